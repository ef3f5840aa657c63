"""The narrow slice of the session the browser view drives, as a Protocol.

The server only talks to this: a status snapshot, a stream of results for the video, change
notifications for the figures, and the commands the page's controls send. `camapp.session.Session`
satisfies it through `camapp.web.view.SessionView`, the one module that knows the session's own
names, so a change there does not ripple through the server.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from camapp.session.forms import DrawnChange, MaskChange


@runtime_checkable
class WebSession(Protocol):
    """What the page can see and change. Commands validate at once and raise `CamappError` for a
    bad value (the server answers 400 with its one line); they never block on capture or disk."""

    record_dir: Path  # downloads are served from here and nowhere else

    def status(self) -> dict[str, Any]:
        """A JSON-able snapshot: source, model, input size and ladder with measured ms, auto,
        threshold, classes, paused, recording (path, elapsed), events, fps, latency, drops."""
        ...

    def on_result(self, callback: Callable[[Any], None]) -> Callable[[], None]:
        """Call `callback(result)` for every processed frame (pipeline thread); returns an unsubscribe."""
        ...

    def on_change(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback()` when the status changed other than by a new frame; returns an unsubscribe."""
        ...

    def set_input_size(self, size: int | str, target_fps: float | None = None) -> None: ...

    def set_threshold(self, threshold: float) -> None: ...

    def set_classes(self, labels: list[str] | None) -> None: ...

    def set_paused(self, paused: bool) -> None: ...

    def set_detect(self, on: bool) -> None:
        """Detection on, or off: no frame goes to the detector, the video goes on without boxes."""
        ...

    def set_recording(self, on: bool) -> None: ...

    def set_events(self, on: bool, classes: list[str] | None = None) -> None: ...

    def snapshot(self) -> None: ...

    def set_tracking(self, change: DrawnChange) -> None:
        """Tracking on/off, the page's line, zone and trails; what the page did not change stays."""
        ...

    def set_motion(self, change: MaskChange) -> None:
        """The motion gate on (with the settings `camapp run` was given, or the defaults) or off,
        and the page's masks added or replaced; what the page did not change stays."""
        ...

    def set_notify(self, body: dict[str, Any]) -> None:
        """Notifications on, changed or off, live (`camapp.web.sinks.parse_notify`'s body)."""
        ...

    def test_notify(self, body: dict[str, Any]) -> None:
        """Send a test message; its result line is the status' `notify.test`."""
        ...

    def set_mqtt(self, body: dict[str, Any]) -> None:
        """MQTT on, to another broker or off, live (`camapp.web.sinks.parse_mqtt`'s body)."""
        ...
