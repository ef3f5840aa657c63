"""The front-ends' read-only window on the event history: where it is, and pages of dicts."""

from __future__ import annotations

import pytest

from camapp.errors import CamappError
from camapp.record.eventstore import DB_NAME, EventStore
from camapp.session.history import history_folder, read_events


def test_the_output_folder_when_it_has_a_history_else_the_user_data_folder(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CAMAPP_EVENTS_DIR", str(tmp_path / "data"))
    assert history_folder(tmp_path / "out") == tmp_path / "data"
    assert read_events(tmp_path / "out") == []  # no history: nothing, no error
    store = EventStore(tmp_path / "out" / DB_NAME)
    for i in range(3):
        row = store.add("cam", "person", i, 100.0 + i, 0.6, (1, 2, 3, 4))
        store.update(row, clip=tmp_path / "out" / "c.mp4", clip_offset=1.5, crop=tmp_path / "x.jpg")
    store.commit()
    store.close()
    assert history_folder(tmp_path / "out") == tmp_path / "out"
    events = read_events(tmp_path / "out", limit=2)
    assert [e["id"] for e in events] == [3, 2]
    assert events[0]["clip"] == str(tmp_path / "out" / "c.mp4")  # stored relative, read absolute
    assert events[0]["crop"] == str(tmp_path / "x.jpg")  # outside the folder: stored as it was
    assert [e["id"] for e in read_events(tmp_path / "out", before=2)] == [1]


def test_a_corrupt_history_is_one_line(tmp_path) -> None:
    (tmp_path / DB_NAME).write_bytes(b"garbage" * 500)
    with pytest.raises(CamappError, match="not a database"):
        read_events(tmp_path)
