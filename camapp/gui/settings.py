"""What the app remembers between runs, in an INI file in the platform's config folder.

An explicit file (not QSettings' native registry/plist backend) so `--reset-settings` and the
tests can point at or delete one known location. `CAMAPP_CONFIG_DIR` overrides the folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QByteArray, QSettings

from camapp.gui.paths import default_output_dir, settings_path


@dataclass
class OutputChoices:
    """The Events / log / long-recording controls (`camapp.gui.recording_panel`)."""

    events: bool = False  # record a clip whenever one of `event_classes` is seen
    event_classes: str = "person"  # comma-separated label names
    pre_roll: float = 3.0  # seconds before the first sighting
    post_roll: float = 5.0  # seconds after the last
    events_dir: str = ""  # "" = the output folder's "events" subfolder
    log: bool = False  # write detections as JSON Lines beside the recordings
    segment_min: float = 0.0  # cut long recordings every N minutes; 0 = one file
    keep_gb: float = 0.0  # with segments, delete the oldest beyond this; 0 = keep all


@dataclass
class TrackChoices:
    """The Tracking box (`camapp.gui.tracking`): on/off, the counting line and the zone drawn on
    the video, trails. Settings saved before a field existed load it as its default."""

    track: bool = False  # follow objects: ids on the boxes, counts
    line: str = ""  # "x0,y0,x1,y1" in 0-1 coordinates of the frame; "" = no line
    zone: str = ""  # "x,y,x,y,..." (a polygon) in 0-1 coordinates of the frame; "" = no zone
    trails: bool = False  # draw each object's last positions


class Settings:
    """Typed accessors over QSettings; every value has a default so a fresh start just works."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or settings_path()
        self._q = QSettings(str(self.path), QSettings.Format.IniFormat)

    def _get(self, key: str, default: Any, kind: type) -> Any:
        value = self._q.value(key, default)
        if value is None or value == "":
            return default
        try:
            if kind is bool:
                return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
            return kind(value)
        except (TypeError, ValueError):
            return default

    def _set(self, key: str, value: Any) -> None:
        self._q.setValue(key, value)

    @property
    def source(self) -> str | None:
        return self._get("source", None, str)

    @source.setter
    def source(self, value: str | None) -> None:
        self._set("source", value or "")

    @property
    def device(self) -> str:
        return self._get("device", "cpu", str)

    @device.setter
    def device(self, value: str) -> None:
        self._set("device", value)

    @property
    def threads(self) -> int:
        return max(1, self._get("threads", os.cpu_count() or 1, int))

    @threads.setter
    def threads(self, value: int) -> None:
        self._set("threads", int(value))

    @property
    def input_size(self) -> int | str | None:
        """A rung (int), "auto", or None for the model's native size."""
        value = self._get("input_size", None, str)
        if value is None or value == "auto":
            return value
        return int(value) if value.isdigit() else None

    @input_size.setter
    def input_size(self, value: int | str | None) -> None:
        self._set("input_size", "" if value is None else str(value))

    @property
    def target_fps(self) -> float:
        return self._get("target_fps", 15.0, float)

    @target_fps.setter
    def target_fps(self, value: float) -> None:
        self._set("target_fps", float(value))

    @property
    def threshold(self) -> float:
        return min(1.0, max(0.0, self._get("threshold", 0.5, float)))

    @threshold.setter
    def threshold(self, value: float) -> None:
        self._set("threshold", round(float(value), 3))

    @property
    def classes(self) -> list[str] | None:
        """Label names to keep; None means every class."""
        if not self._get("classes_filtered", False, bool):
            return None
        value = self._q.value("classes", [])
        if isinstance(value, str):
            value = [value] if value else []
        return [str(v) for v in value or []]

    @classes.setter
    def classes(self, value: list[str] | None) -> None:
        self._set("classes_filtered", value is not None)
        self._set("classes", list(value or []))

    @property
    def output_dir(self) -> Path:
        value = self._get("output_dir", None, str)
        return Path(value) if value else default_output_dir()

    @output_dir.setter
    def output_dir(self, value: Path | str) -> None:
        self._set("output_dir", str(value))

    @property
    def outputs(self) -> OutputChoices:
        default = OutputChoices()
        return OutputChoices(
            **{
                f.name: self._get(
                    f"outputs/{f.name}", getattr(default, f.name), type(getattr(default, f.name))
                )
                for f in fields(OutputChoices)
            }
        )

    @outputs.setter
    def outputs(self, value: OutputChoices) -> None:
        for f in fields(OutputChoices):
            self._set(f"outputs/{f.name}", getattr(value, f.name))

    @property
    def tracking(self) -> TrackChoices:
        default = TrackChoices()
        return TrackChoices(
            **{
                f.name: self._get(
                    f"tracking/{f.name}", getattr(default, f.name), type(getattr(default, f.name))
                )
                for f in fields(TrackChoices)
            }
        )

    @tracking.setter
    def tracking(self, value: TrackChoices) -> None:
        for f in fields(TrackChoices):
            self._set(f"tracking/{f.name}", getattr(value, f.name))

    @property
    def geometry(self) -> QByteArray | None:
        value = self._q.value("geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    @geometry.setter
    def geometry(self, value: QByteArray) -> None:
        self._set("geometry", value)

    def sync(self) -> None:
        self._q.sync()

    def clear(self) -> None:
        self._q.clear()
        self._q.sync()
