"""The Events panel's routes on `camapp run --web` (loopback, with a password): a page of the
folder's event history newest first, paged by id, filtered by label, zone and day; each event's
snapshot, crop and clip; the key/cookie guard; and a missing or corrupt database is one JSON
error while the video goes on. The history is a real SQLite file with real JPEGs and a real clip
(frames of the person clip), written before the run starts."""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import PERSON_CLIP, need
from support.history import Past, write_history
from web.client import Mjpeg, Web
from web.conftest import running

from camapp.record.eventstore import DB_NAME, EventStore
from camapp.web.checks import BadRequest
from camapp.web.events import MAX_PAGE, PAGE, Query

PASSWORD = "events-panel-pw"
N = 60  # events: person / car / dog in turn, every 20 minutes from T0 (local midnight)


def day_start(text: str) -> float:
    y, m, d = (int(x) for x in text.split("-"))
    return time.mktime((y, m, d, 0, 0, 0, 0, 0, -1))


T0 = day_start("2026-12-05")


def fill(folder: Path) -> None:
    """N events with snapshots (from the clip's frames), a clip for every second one, and the
    zone `door` on every fourth; all on T0's day, the last one 19 h 40 min after its midnight."""
    write_history(
        folder,
        (
            Past(
                ("person", "car", "dog")[i % 3],
                T0 + 1200 * i,
                0.6,
                ("door",) if i % 4 == 0 else (),
                ended=T0 + 1200 * i + 12.5,
                snapshot=True,
                clip_offset=2.0 if i % 2 == 0 else None,
            )
            for i in range(N)
        ),
    )


@pytest.fixture(scope="module")
def web(model_store: Path, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("web-events")
    fill(folder)
    with running(model_store, folder, "--web-password", PASSWORD, key=PASSWORD) as w:
        w.folder = folder  # type: ignore[attr-defined]
        yield w


def get(web: Web, path: str) -> tuple[int, bytes, dict[str, str]]:
    return web.request("GET", web.with_key(path))


def page(web: Web, query: str = "") -> dict:
    code, body, headers = get(web, f"/api/events{query}")
    assert code == 200 and headers["Content-Type"].startswith("application/json"), body
    return json.loads(body)


# -- the query, without a server -------------------------------------------------------------------
def test_the_query_checks_its_values_at_the_boundaries() -> None:
    assert Query.parse({}) == Query(limit=PAGE)
    assert Query.parse({"limit": "1"}).limit == 1 and Query.parse({"limit": str(MAX_PAGE)}).limit == MAX_PAGE
    for bad in (
        {"limit": "0"},
        {"limit": str(MAX_PAGE + 1)},
        {"limit": "-3"},
        {"before": "0"},
        {"before": "x"},
        {"day": "2026-13-01"},
        {"day": "7d"},
        {"label": "x" * 101},
    ):
        with pytest.raises(BadRequest):
            Query.parse(bad)
    q = Query.parse({"day": "2026-12-05", "label": " person ", "zone": "", "before": "7"})
    assert (q.label, q.zone, q.before) == ("person", None, 7)
    assert q.since == T0 and q.until == day_start("2026-12-06")


def test_an_open_event_has_no_duration_and_only_the_files_it_has() -> None:
    from camapp.record.eventstore import StoredEvent
    from camapp.web.events import entry

    e = StoredEvent(
        7, "cam", "person", None, T0, None, 0.5, (1, 2, 3, 4), ("door",), (), None, None, "c.mp4", 0.0
    )
    d = entry(e)
    assert (d["duration"], d["snapshot"], d["crop"], d["clip"]) == (None, None, None, "/api/events/7/clip")
    ended = entry(dataclasses.replace(e, ended=T0 - 1))  # a clock step back: never a negative duration
    assert ended["duration"] == 0.0 and ended["zones"] == ["door"]


# -- the routes --------------------------------------------------------------------------------------
def test_the_first_page_is_the_newest_events_with_their_files(web: Web) -> None:
    data = page(web)
    ids = [e["id"] for e in data["events"]]
    assert ids == list(range(N, N - PAGE, -1))
    assert data["next_before"] == N - PAGE + 1
    assert data["labels"] == ["car", "dog", "person"] and data["zones"] == ["door"]
    e = data["events"][0]  # event 60: i = 59, a dog without a clip
    assert (e["label"], e["duration"], e["zones"], e["clip"]) == ("dog", 12.5, [], None)
    assert e["snapshot"] == f"/api/events/{N}/snapshot" and e["crop"] == f"/api/events/{N}/crop"
    assert (
        data["events"][1]["clip"] == f"/api/events/{N - 1}/clip" and data["events"][1]["clip_offset"] == 2.0
    )


def test_paging_by_id_visits_every_event_once(web: Web) -> None:
    seen, before = [], ""
    while True:
        data = page(web, f"?limit=7{before}")
        seen += [e["id"] for e in data["events"]]
        if data["next_before"] is None:
            break
        before = f"&before={data['next_before']}"
    assert seen == list(range(N, 0, -1))
    # a page that ends exactly at the last event says there is no older one
    assert page(web, f"?limit={N}")["next_before"] is None
    assert page(web, f"?limit={N - 1}")["next_before"] == 2


def test_filters_by_label_zone_and_day(web: Web) -> None:
    people = page(web, f"?label=person&limit={MAX_PAGE}")["events"]
    assert [e["id"] for e in people] == [i + 1 for i in range(N - 1, -1, -1) if i % 3 == 0]
    door = page(web, f"?zone=door&limit={MAX_PAGE}")["events"]
    assert [e["id"] for e in door] == [i + 1 for i in range(N - 1, -1, -1) if i % 4 == 0]
    both = page(web, f"?zone=door&label=person&limit={MAX_PAGE}")["events"]
    assert [e["id"] for e in both] == [i + 1 for i in range(N - 1, -1, -1) if i % 12 == 0]
    # the day is the server's local day: all of them on T0's, none the day before or after
    first = page(web, f"?day=2026-12-05&limit={MAX_PAGE}")["events"]
    assert [e["id"] for e in first] == list(range(N, 0, -1))
    assert page(web, "?day=2026-12-04")["events"] == [] and page(web, "?day=2026-12-06")["events"] == []
    assert page(web, "?label=cat")["events"] == []
    # paging within a filter
    second = page(web, f"?label=dog&limit=5&before={page(web, '?label=dog&limit=5')['next_before']}")
    assert [e["id"] for e in second["events"]] == [45, 42, 39, 36, 33]


def test_snapshots_crops_and_clips_are_served(web: Web) -> None:
    code, body, headers = get(web, "/api/events/5/snapshot")
    assert code == 200 and headers["Content-Type"] == "image/jpeg"
    assert cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR).shape[:2] == (432, 768)
    code, body, _ = get(web, "/api/events/5/crop")
    assert code == 200 and cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR).shape[:2] == (
        200,
        100,
    )
    # the player seeks: a range answers 206 with that part of the clip
    code, body, headers = web.request(
        "GET", web.with_key("/api/events/5/clip"), headers={"Range": "bytes=100-199"}
    )
    assert code == 206 and headers["Content-Type"] == "video/mp4"
    assert body == (web.folder / "clip.mp4").read_bytes()[100:200]  # type: ignore[attr-defined]


def test_missing_events_and_files_are_json_404s(web: Web) -> None:
    for path, says in (("/api/events/999/snapshot", "no event 999"), ("/api/events/6/clip", "has no clip")):
        code, body, headers = get(web, path)
        assert code == 404 and headers["Content-Type"].startswith("application/json")
        assert says in json.loads(body)["error"]
    assert get(web, "/api/events/x/snapshot")[0] == 404
    assert get(web, "/api/events/5/box")[0] == 404
    code, body, _ = get(web, "/api/events?limit=0")
    assert code == 400 and body.decode().count("\n") == 1 and "limit" in body.decode()


def test_the_routes_need_the_key_or_the_cookie(web: Web) -> None:
    bare = Web(web.url, source="127.0.0.2")
    for path in ("/api/events", "/api/events/5/snapshot", "/api/events/5/crop", "/api/events/4/clip"):
        code, body, _ = bare.request("GET", path)
        assert code == 401, (path, body)
    signed = Web(web.url, source="127.0.0.2")
    code, _, headers = signed.request("GET", f"/?key={PASSWORD}")
    assert code == 303
    signed.cookie = headers["Set-Cookie"].split("camapp-signin=", 1)[1].split(";", 1)[0]
    assert signed.request("GET", "/api/events/5/snapshot")[0] == 200
    assert json.loads(signed.request("GET", "/api/events?limit=1")[1])["events"][0]["id"] == N


def test_a_missing_or_corrupt_history_is_one_json_error_and_the_video_goes_on(web: Web) -> None:
    folder: Path = web.folder  # type: ignore[attr-defined]
    db = folder / DB_NAME
    keep = folder / "kept.db"
    db.rename(keep)
    try:
        code, body, _ = get(web, "/api/events")
        assert code == 404 and list(json.loads(body)) == ["error"]
        assert "no event history" in json.loads(body)["error"]
        db.write_bytes(b"this is not an SQLite database" * 100)
        for path in ("/api/events", "/api/events/5/snapshot"):
            code, body, headers = get(web, path)
            assert code == 503 and headers["Content-Type"].startswith("application/json"), body
            error = json.loads(body)["error"]
            assert "\n" not in error and "not a database" in error
        video = Mjpeg(web)
        try:
            assert video.image().shape[:2] == (432, 768)
        finally:
            video.close()
        assert web.status()["frames"] > 0
    finally:
        db.unlink(missing_ok=True)
        keep.rename(db)
    assert page(web, "?limit=1")["events"][0]["id"] == N


# -- what an event plays ---------------------------------------------------------------------------
def fragmented(path: Path, n: int = 12) -> Path:
    """A fragmented MP4 of the clip's first frames, as a segment looks while it is recorded."""
    from camapp.record.encode import ClipWriter, Encoder
    from camapp.record.finalize import mp4_kind

    cap = cv2.VideoCapture(str(need(PERSON_CLIP)))
    enc = Encoder(None)
    writer = ClipWriter(path, enc)
    for i in range(n):
        ok, frame = cap.read()
        assert ok
        writer.write(enc.encode(frame, i / 10))
    writer.write(enc.flush())
    writer.close()
    cap.release()
    assert mp4_kind(path) == "fragmented"
    return path


def test_an_event_plays_its_clip_else_the_recording_else_says_why(tmp_path: Path) -> None:
    from camapp.record.eventstore import StoredEvent
    from camapp.record.retention import DISK_CAP
    from camapp.web.events import entry

    shutil.copy(PERSON_CLIP, tmp_path / "clip.mp4")  # a regular MP4, as a finalized file is
    shutil.copy(PERSON_CLIP, tmp_path / "cam-20261205-000000.mp4")
    fragmented(tmp_path / "cam-20261205-000100.mp4")
    e = StoredEvent(7, "cam", "person", None, T0, T0 + 5, 0.5, (1, 2, 3, 4), (), (), None, None, None, None)
    both = dataclasses.replace(
        e, clip="clip.mp4", clip_offset=3.0, recording="cam-20261205-000000.mp4", recording_offset=42.5
    )
    d = entry(both, tmp_path)
    assert d["play"] == {"kind": "clip", "url": "/api/events/7/clip", "offset": 3.0} and d["note"] == ""
    capped = dataclasses.replace(both, clip_gone=DISK_CAP)
    d = entry(capped, tmp_path)
    assert d["play"] == {"kind": "recording", "url": "/api/events/7/recording", "offset": 42.5}
    assert d["note"] == "" and d["clip_gone"] == DISK_CAP
    writing = dataclasses.replace(capped, recording="cam-20261205-000100.mp4", recording_offset=0.4)
    d = entry(writing, tmp_path)
    assert d["play"] is None
    assert d["note"] == "recording in progress, available when the segment closes; clip deleted (disk cap)"
    gone = dataclasses.replace(capped, recording_gone=DISK_CAP)
    assert entry(gone, tmp_path)["note"] == "clip deleted (disk cap); recording deleted (disk cap)"
    by_hand = dataclasses.replace(both, clip="deleted-by-hand.mp4", recording=None)
    assert entry(by_hand, tmp_path)["note"] == "clip deleted" and entry(by_hand, tmp_path)["play"] is None
    assert entry(e, tmp_path)["note"] == "no clip shows this event"


def test_a_recording_is_served_once_finalized_and_only_from_known_folders(tmp_path: Path) -> None:
    from camapp.web.events import NoHistory, event_file

    folder, elsewhere = tmp_path / "history", tmp_path / "video"
    folder.mkdir()
    elsewhere.mkdir()
    shutil.copy(PERSON_CLIP, elsewhere / "cam-20261205-000000.mp4")
    fragmented(folder / "cam-20261205-000100.mp4")
    store = EventStore(folder / DB_NAME)
    for name in (elsewhere / "cam-20261205-000000.mp4", folder / "cam-20261205-000100.mp4"):
        row = store.add("cam", "person", None, T0, 0.6, (1, 2, 3, 4))
        store.update(row, ended=T0 + 5, recording=name, recording_offset=1.0)
    store.commit()
    store.close()
    db = folder / DB_NAME
    with pytest.raises(NoHistory) as outside:
        event_file(db, 1, "recording")  # outside the history's folder, and no root given
    assert outside.value.status == 404
    assert event_file(db, 1, "recording", (elsewhere,)) == (elsewhere / "cam-20261205-000000.mp4").resolve()
    with pytest.raises(NoHistory) as busy:
        event_file(db, 2, "recording")
    assert (
        busy.value.status == 409
        and str(busy.value) == "recording in progress, available when the segment closes"
    )
    with pytest.raises(NoHistory) as clip_only:
        event_file(db, 1, "clip", (elsewhere,))  # roots are for recordings only
    assert clip_only.value.status == 404
