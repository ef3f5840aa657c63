"""The Events dock on a real history (SQLite, JPEGs and a clip from the person clip's frames):
it lists the events newest first with thumbnails, and activating one plays its clip from the
event's offset (Qt Multimedia's own player, offscreen)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import PERSON_CLIP, need
from support.history import Past, write_history

from camapp.gui.events_dock import EventsDock
from camapp.record.eventstore import DB_NAME, EventStore

T0 = 1_796_600_000.0
OFFSET = 4.0


def fill(folder: Path, n: int = 5) -> None:
    """`n` people a minute apart, each with its clip; the last still in view (no thumbnail yet)."""
    write_history(
        folder,
        (
            Past(
                "person",
                T0 + 60 * i,
                0.7,
                ("door",) if i == 1 else (),
                ended=T0 + 60 * i + 8.0 if i < n - 1 else None,
                crop=i < n - 1,
                clip_offset=OFFSET,
            )
            for i in range(n)
        ),
    )


def test_the_dock_lists_the_history_newest_first_with_thumbnails(qtbot, tmp_path: Path) -> None:
    fill(tmp_path)
    dock = EventsDock(lambda: tmp_path)
    qtbot.addWidget(dock)
    qtbot.waitUntil(lambda: dock.list.count() == 5, timeout=10_000)
    texts = [dock.list.item(i).text() for i in range(5)]
    assert texts[0].startswith("person #4") and "in view" in texts[0]  # the newest, still open
    assert texts[3].startswith("person #1") and "8.0 s · door" in texts[3]
    assert dock.list.item(0).icon().isNull() and not dock.list.item(1).icon().isNull()
    assert dock.note.text() == ""


def test_a_folder_without_a_history_or_with_a_corrupt_one_says_so(qtbot, tmp_path: Path) -> None:
    dock = EventsDock(lambda: tmp_path)
    qtbot.addWidget(dock)
    qtbot.waitUntil(lambda: "No events yet" in dock.note.text(), timeout=10_000)
    (tmp_path / DB_NAME).write_bytes(b"not a database" * 200)
    dock.refresh()
    qtbot.waitUntil(lambda: "not a database" in dock.note.text(), timeout=10_000)
    assert dock.list.count() == 0


def test_activating_an_event_plays_its_clip_from_the_offset(qtbot, tmp_path: Path) -> None:
    pytest.importorskip("PyQt6.QtMultimedia")
    fill(tmp_path)
    dock = EventsDock(lambda: tmp_path)
    qtbot.addWidget(dock)
    qtbot.waitUntil(lambda: dock.list.count() == 5, timeout=10_000)
    dock.list.itemActivated.emit(dock.list.item(2))
    player = dock.player
    assert player is not None
    qtbot.waitUntil(lambda: player.started_at is not None, timeout=15_000)
    assert abs(player.started_at - OFFSET) <= 0.5
    qtbot.waitUntil(lambda: player.player.position() > OFFSET * 1000 + 300, timeout=15_000)
    player.close()


def test_the_window_shows_the_dock_with_e_and_reads_its_output_folder(qtbot, tmp_path: Path) -> None:
    import os

    from camapp.gui.settings import Settings
    from camapp.gui.window import GuiOptions, MainWindow

    fill(tmp_path / "out")
    w = MainWindow(Settings(), GuiOptions(source=str(need(PERSON_CLIP))))
    w.output_override = tmp_path / "out"
    qtbot.addWidget(w)
    w.show()
    assert not w.events_dock.isVisible()  # hidden until asked for: the video keeps its room
    shortcut = next(s for s in w._shortcut_objs if s.key().toString() == "E")
    shortcut.activated.emit()  # as the key does (offscreen, no window has the keyboard focus)
    assert w.events_dock.isVisible()
    qtbot.waitUntil(lambda: w.events_dock.list.count() == 5, timeout=10_000)
    keep = os.environ.get("CAMAPP_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        w.grab().save(str(Path(keep) / "gui-events.png"))
    shortcut.activated.emit()
    assert not w.events_dock.isVisible()


def test_without_a_clip_an_event_plays_the_recording_or_says_why(qtbot, tmp_path: Path) -> None:
    """Event 1: its clip deleted by the cap, the continuous recording's (finalized) segment plays
    from the event's start; event 2: its segment still being recorded (a fragmented MP4), so the
    dock says so instead of opening a player."""
    pytest.importorskip("PyQt6.QtMultimedia")
    from web.test_events import fragmented

    from camapp.record.retention import DISK_CAP

    shutil.copy(PERSON_CLIP, tmp_path / "cam-20261207-140000.mp4")
    fragmented(tmp_path / "cam-20261207-140100.mp4")
    store = EventStore(tmp_path / DB_NAME)
    for i, (seg, offset) in enumerate((("cam-20261207-140000.mp4", 6.0), ("cam-20261207-140100.mp4", 0.5))):
        row = store.add("cam", "person", i, T0 + 60 * i, 0.7, (10, 20, 110, 220))
        store.update(
            row,
            ended=T0 + 60 * i + 8.0,
            clip=tmp_path / "gone.mp4",
            clip_gone=DISK_CAP,
            recording=tmp_path / seg,
            recording_offset=offset,
        )
    store.commit()
    store.close()
    dock = EventsDock(lambda: tmp_path)
    qtbot.addWidget(dock)
    qtbot.waitUntil(lambda: dock.list.count() == 2, timeout=10_000)
    writing, capped = dock.list.item(0), dock.list.item(1)
    assert writing.text().endswith(
        "recording in progress, available when the segment closes; clip deleted (disk cap)"
    )
    assert capped.toolTip() == "play the recording from this event"
    dock.list.itemActivated.emit(writing)
    assert dock.player is None and dock.note.text().startswith("Recording in progress, available when")
    dock.list.itemActivated.emit(capped)
    player = dock.player
    assert player is not None
    qtbot.waitUntil(lambda: player.started_at is not None, timeout=15_000)
    assert abs(player.started_at - 6.0) <= 0.5
    qtbot.waitUntil(lambda: player.player.position() > 6000 + 300, timeout=15_000)
    player.close()
