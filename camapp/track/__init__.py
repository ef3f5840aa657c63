"""Following objects across frames: a tracker (one module per kind), lines, zones and counts."""

from camapp.track.base import TRACKERS, Tracker, TrackInfo, open_tracker
from camapp.track.regions import Line, Roi, Zone
from camapp.track.stage import TrackStage

__all__ = ["TRACKERS", "Line", "Roi", "TrackInfo", "TrackStage", "Tracker", "Zone", "open_tracker"]
