"""The session: one running set-up (detector, source, pipeline, recorders) behind every front-end.

`camapp run --headless`, the desktop app and the browser view all drive a `Session` with
commands and listen to its events; see docs/session.md.
"""

from camapp.session.core import Session
from camapp.session.motion import MotionSpec
from camapp.session.specs import (
    DRAWN_LINE,
    DRAWN_TRAIL,
    DRAWN_ZONE,
    DetectorInfo,
    EventSpec,
    HistorySpec,
    LogSpec,
    ModelSpec,
    SnapshotSpec,
    SourceSpec,
    TrackSpec,
    VideoSpec,
    is_camera_spec,
    is_file_spec,
)
from camapp.session.status import stats_line
from camapp.session.tracking import track_lines

__all__ = [
    "DRAWN_LINE",
    "DRAWN_TRAIL",
    "DRAWN_ZONE",
    "DetectorInfo",
    "EventSpec",
    "HistorySpec",
    "LogSpec",
    "ModelSpec",
    "MotionSpec",
    "Session",
    "SnapshotSpec",
    "SourceSpec",
    "TrackSpec",
    "VideoSpec",
    "is_camera_spec",
    "is_file_spec",
    "stats_line",
    "track_lines",
]
