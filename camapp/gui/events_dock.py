"""The Events dock: the event history (`camapp run --history`) of the output folder, else of the
user data folder, newest first, each with its thumbnail; activating one (double-click, Enter)
plays its clip from the event's start, or without one the continuous recording from the event's
start; an event with neither says why (its clip deleted by the disk cap, its segment still recording).

The history is read on a worker thread every few seconds (the GUI thread never waits on disk);
the rows and thumbnails come back through a signal.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QSize, Qt, QTimer, QUrl, pyqtSignal
from PyQt6.QtGui import QIcon, QImage, QPixmap
from PyQt6.QtWidgets import (
    QDialog,
    QDockWidget,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from camapp.errors import CamappError
from camapp.session.history import history_folder, read_events

REFRESH_MS = 5000
THUMB = 96  # pixels, the thumbnails' longer side
PAGE = 100


def _read(folder: Path) -> tuple[list[dict[str, Any]], dict[int, bytes], str]:
    """(events, thumbnail bytes by id, error line) — on the worker thread."""
    try:
        events = read_events(folder, limit=PAGE)
    except CamappError as exc:
        return [], {}, str(exc)
    thumbs: dict[int, bytes] = {}
    for e in events:
        name = e["crop"] or e["snapshot"]
        if name:
            with contextlib.suppress(OSError):
                thumbs[e["id"]] = Path(name).read_bytes()
    return events, thumbs, ""


def describe(e: dict[str, Any]) -> str:
    """Two lines: what, and when for how long with its zones."""
    what = e["label"] if e["track_id"] is None else f"{e['label']} #{e['track_id']}"
    when = dt.datetime.fromtimestamp(e["started"]).strftime("%Y-%m-%d %H:%M:%S")
    secs = "in view" if e["ended"] is None else f"{e['ended'] - e['started']:.1f} s"
    zones = ", ".join([*e["zones"], *e["lines"]])
    text = f"{what}\n{when} · {secs}" + (f" · {zones}" if zones else "")
    if e.get("note") and (e["ended"] is not None or e.get("recording")):
        text += f"\n{e['note']}"
    return text


class EventPlayer(QDialog):
    """An event's clip (or continuous recording), played from `offset` seconds in."""

    def __init__(self, clip: Path, offset: float, title: str, parent: QWidget | None = None) -> None:
        from PyQt6.QtMultimedia import QMediaPlayer
        from PyQt6.QtMultimediaWidgets import QVideoWidget

        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(800, 480)
        self.offset = offset
        self.video = QVideoWidget(self)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.video)
        self.player = QMediaPlayer(self)
        self.player.setVideoOutput(self.video)
        self.started_at: float | None = None  # the first position reported playing, seconds
        self._sought = False
        self.player.mediaStatusChanged.connect(self._status)
        self.player.positionChanged.connect(self._moved)
        self.player.setSource(QUrl.fromLocalFile(str(clip)))

    def _status(self, status: Any) -> None:
        from PyQt6.QtMultimedia import QMediaPlayer

        if status == QMediaPlayer.MediaStatus.LoadedMedia and not self._sought:
            self._sought = True
            self.player.setPosition(int(self.offset * 1000))
            self.player.play()

    def _moved(self, ms: int) -> None:
        from PyQt6.QtMultimedia import QMediaPlayer

        playing = self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState
        if self._sought and playing and self.started_at is None:
            self.started_at = ms / 1000

    def done(self, result: int) -> None:
        self.player.stop()
        super().done(result)


class EventsDock(QDockWidget):
    """The events of the history in `folder()` (asked at each refresh: the output folder may change)."""

    loaded = pyqtSignal(object)

    def __init__(self, folder: Callable[[], Path], parent: QWidget | None = None) -> None:
        super().__init__("Events", parent)
        self.setObjectName("events-dock")
        self.folder = folder
        self.list = QListWidget()
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.setWordWrap(True)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.note)
        lay.addWidget(self.list, 1)
        self.setWidget(body)
        self.player: EventPlayer | None = None
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="camapp-events")
        self._busy = False
        self._shown: list[Any] | None = None  # None: nothing shown yet, not even "no events"
        self.loaded.connect(self._show)
        self.list.itemActivated.connect(self._play)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self._tick)
        self.timer.start()
        self.visibilityChanged.connect(lambda shown: shown and self.refresh())
        self.refresh()

    def _tick(self) -> None:
        if self.isVisible():  # a hidden dock reads nothing
            self.refresh()

    def refresh(self) -> None:
        if self._busy:
            return
        self._busy = True
        future = self._pool.submit(lambda: _read(history_folder(self.folder())))
        future.add_done_callback(self._done)

    def _done(self, future: Any) -> None:
        """On the worker thread: hand the result to the GUI thread (a queued signal)."""
        if future.cancelled():
            return
        with contextlib.suppress(RuntimeError):  # the dock was deleted meanwhile
            self.loaded.emit(future.result())

    def _show(self, found: tuple[list[dict[str, Any]], dict[int, bytes], str]) -> None:
        self._busy = False
        events, thumbs, error = found
        shown = [(e["id"], e["ended"], e["play"] and e["play"]["path"], e["note"]) for e in events]
        if shown == self._shown and not error:
            return  # nothing new: keep the selection, the scroll position and what the note says
        self.note.setText(error or ("" if events else "No events yet (camapp run --history)"))
        self._shown = shown
        self.list.clear()
        for e in events:
            item = QListWidgetItem(describe(e))
            data = thumbs.get(e["id"])
            if data:
                image = QImage.fromData(data)
                if not image.isNull():
                    scaled = image.scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio)
                    item.setIcon(QIcon(QPixmap.fromImage(scaled)))
            item.setData(Qt.ItemDataRole.UserRole, e)
            play = e["play"]
            tip = f"play the {play['kind']} from this event" if play else e["note"]
            item.setToolTip(tip)
            self.list.addItem(item)

    def _play(self, item: QListWidgetItem) -> None:
        e = item.data(Qt.ItemDataRole.UserRole)
        if not e or not e["play"]:
            note = (e or {}).get("note") or "no clip shows this event"
            self.note.setText(note[:1].upper() + note[1:])
            return
        if self.player is not None:
            self.player.close()
        title = describe(e).replace("\n", " · ")
        self.player = EventPlayer(Path(e["play"]["path"]), e["play"]["offset"], title, self)
        self.player.show()

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        self.timer.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)
        super().closeEvent(event)
