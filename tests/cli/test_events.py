"""`camapp run --history` on the real person clip, and `camapp events list|show|export|prune`;
a run killed with -9 keeps every event that ended before, in a sound database, and the next run
appends to it."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time

import av
import cv2
import pytest
from conftest import PERSON_CLIP, ROOT, need

from camapp.cli import main
from camapp.errors import CamappError
from camapp.record.eventstore import DB_NAME, EventStore

PEOPLE = 6  # six people walk in one at a time (tests/cli/test_track_args.py)
DOOR = "door:0,0.65,1,0.65"
TABLE = "table:0.4,0.1,0.7,0.1,0.7,0.9,0.4,0.9"
SEGMENT = 30  # seconds of the continuous recording's files


@pytest.fixture(scope="module")
def history(tmp_path_factory, model_store):
    """The whole clip with tracking, person clips, a continuous recording in 30 s segments and the
    history in one folder; and its log."""
    rec = tmp_path_factory.mktemp("history")
    args = ["run", "--headless", "--source", str(need(PERSON_CLIP)), "--no-realtime", "--track"]
    args += ["--classes", "person", "--line", DOOR, "--zone", TABLE, "--record-on", "person"]
    args += ["--record", str(rec / "cam.mp4"), "--record-segment", str(SEGMENT)]
    args += ["--record-dir", str(rec), "--history", "--log", str(rec.parent / f"{rec.name}.jsonl")]
    assert main([*args, "--stats-every", "600"]) == 0
    return rec, [json.loads(x) for x in (rec.parent / f"{rec.name}.jsonl").read_text().splitlines()]


def test_an_event_per_person_with_snapshots_and_the_clip_that_shows_it(history, capsys):
    rec, log = history
    store = EventStore(rec / DB_NAME, readonly=True)
    assert store.integrity() == "ok"
    events = store.list(oldest_first=True)
    assert abs(len(events) - PEOPLE) <= 1 and {e.label for e in events} == {"person"}
    # the same objects as the log's (the session's object events), each started and ended
    ends = [o for line in log for o in line.get("objects", ()) if o["type"] == "end"]
    starts = [o for line in log for o in line.get("objects", ()) if o["type"] == "start"]
    assert [o["track_id"] for o in starts] == [e.track_id for e in events]
    assert [o["track_id"] for o in ends] == [e.track_id for e in events[: len(ends)]]
    assert len(ends) >= len(events) - 1  # the last one may still be in view at the end of the clip
    for e, first, o in zip(events, starts, ends):
        # started: the first sighting; ended: the capture time of the last frame it was seen on
        assert e.started == pytest.approx(first["wall"] - (first["t"] - first["start"]), abs=0.002)
        assert first["wall"] <= e.ended < o["wall"]
        assert e.top_score == pytest.approx(o["top_score"], abs=1e-4) and list(e.box) == pytest.approx(
            o["top_box"], abs=0.1
        )
    assert sum("door up" in e.lines for e in events) == PEOPLE
    assert sum("table" in e.zones for e in events) >= PEOPLE - 1
    clips = {c.name for c in rec.glob("*_person.mp4")}
    for e in events:
        assert e.ended is not None and e.ended > e.started and e.camera == PERSON_CLIP.name
        full, crop = cv2.imread(str(rec / e.snapshot)), cv2.imread(str(rec / e.crop))
        assert full.shape == (432, 768, 3) and 0 < crop.shape[0] <= 432 and crop.shape[1] < 768
        assert e.clip in clips and e.clip_offset is not None
        with av.open(str(rec / e.clip)) as c:
            duration = float(c.duration) / av.time_base
        assert 0 <= e.clip_offset < duration
    firsts = {}
    for e in events:
        firsts.setdefault(e.clip, e)
    # a clip starts at least the pre-roll (3 s, on a keyframe each second) before its first object
    assert all(2.9 <= e.clip_offset <= 4.1 for e in firsts.values()), [e.clip_offset for e in events]

    # the continuous recording: each event points at the segment and the offset of its first
    # sighting; every frame was recorded (--no-realtime), so a segment's start in the clip is the
    # frames of the segments before it
    segments = sorted(rec.glob("cam-*.mp4"))
    frames, first_frame = 0, {}
    for seg in segments:
        first_frame[seg.name] = frames
        with av.open(str(seg)) as c:
            frames += sum(1 for p in c.demux(video=0) if p.size)
    assert len(segments) == 5 and frames == 1394  # 139.4 s of the 10 fps clip
    for e, first in zip(events, starts):
        assert e.recording in first_frame and e.recording_gone is None, e
        at = first_frame[e.recording] / 10 + e.recording_offset  # seconds into the clip
        assert at == pytest.approx(first["start"], abs=0.051), (e, first)
        assert 0 <= e.recording_offset < SEGMENT

    capsys.readouterr()
    assert main(["events", "--dir", str(rec), "list", "--json"]) == 0
    listed = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["id"] for x in listed] == [e.id for e in reversed(events)]  # newest first
    assert main(["events", "--dir", str(rec), "list", "--zone", "table", "--limit", "2"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:3] == ["id", "started", "secs"] and len(table) == 3
    assert main(["events", "--dir", str(rec), "list", "--label", "dog"]) == 0
    assert capsys.readouterr().out.strip() == "no events"
    assert main(["events", "--dir", str(rec), "show", str(events[0].id)]) == 0
    shown = dict(line.split(None, 1) for line in capsys.readouterr().out.splitlines())
    assert (
        shown["label"] == "person" and shown["snapshot"] == events[0].snapshot and "door up" in shown["lines"]
    )
    assert main(["events", "--dir", str(rec), "export", "--format", "csv", "--since", "1d"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [int(r["id"]) for r in rows] == [e.id for e in events] and json.loads(rows[0]["box"])


def test_events_mistakes_are_one_line_and_exit_2(tmp_path, capsys):
    assert main(["events", "--dir", str(tmp_path), "list"]) == 2
    assert capsys.readouterr().err.strip() == f"camapp: error: no event history at {tmp_path / DB_NAME}"
    EventStore(tmp_path / DB_NAME).close()
    assert main(["events", "--dir", str(tmp_path), "list", "--since", "yesterday"]) == 2
    assert "--since 'yesterday'" in capsys.readouterr().err
    assert main(["events", "--dir", str(tmp_path), "show", "7"]) == 2
    assert capsys.readouterr().err.strip().endswith("no event 7 in " + str(tmp_path / DB_NAME))
    assert main(["events", "--dir", str(tmp_path), "prune", "--older-than", "1"]) == 0
    assert capsys.readouterr().out.startswith("pruned 0 event(s)")
    assert main(["run", "--headless", "--source", "0", "--history-days", "3"]) == 2
    assert capsys.readouterr().err.strip() == (
        "camapp: error: --history-days and --history-keep-mb go with --history"
    )
    assert main(["run", "--headless", "--source", "0", "--history-keep-mb", "100"]) == 2
    assert "go with --history" in capsys.readouterr().err
    assert main(["events", "--dir", str(tmp_path), "prune"]) == 2
    assert capsys.readouterr().err.strip() == (
        "camapp: error: prune needs --older-than DAYS or --keep-mb MB (or both)"
    )


def camapp_run(folder, *extra):
    args = [sys.executable, "-m", "camapp", "run", "--headless", "--source", str(need(PERSON_CLIP))]
    args += ["--no-realtime", "--record-on", "person", "--record-dir", str(folder), "--history", *extra]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env
    )


def ended(folder):
    try:  # not there yet, or just created and its schema not yet committed
        store = EventStore(folder / DB_NAME, readonly=True)
    except CamappError:
        return []
    try:
        return [e for e in store.list(oldest_first=True) if e.ended is not None]
    finally:
        store.close()


def test_kill_9_keeps_every_ended_event_and_the_next_run_appends(tmp_path, model_store):
    child = camapp_run(tmp_path)
    deadline = time.monotonic() + 600
    seen = []
    try:
        while len(seen) < 2:  # two sightings of a person have ended (5 s post-roll each)
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "no ended events in time"
            time.sleep(0.2)
            seen = ended(tmp_path)
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL
    store = EventStore(tmp_path / DB_NAME, readonly=True)
    assert store.integrity() == "ok"
    kept = {e.id: e for e in store.list()}
    store.close()
    for e in seen:  # every event seen ended before the kill is there, unchanged, with its snapshots
        assert kept[e.id] == e and (tmp_path / e.snapshot).is_file() and (tmp_path / e.crop).is_file()

    again = camapp_run(tmp_path, "--max-frames", "120")  # the person walks in at frame 62
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    after = EventStore(tmp_path / DB_NAME)  # the writer's open also checks the schema
    rows = after.list(oldest_first=True)
    assert after.integrity() == "ok" and [e.id for e in rows][: len(kept)] == sorted(kept)
    new = rows[len(kept) :]
    assert new and all(e.id > max(kept) and e.ended is not None for e in new)


def test_the_history_goes_beside_the_recording_when_no_clips_are_recorded(tmp_path) -> None:
    from camapp.cli import build_parser
    from camapp.cli.run import outputs

    def history_of(*flags):
        args = build_parser().parse_args(["run", "--headless", "--source", "0", "--history", *flags])
        return next(s for s in outputs(args) if s.slot == "history")

    assert history_of().folder is None  # the user data folder
    beside = history_of("--record", str(tmp_path / "rec" / "cam.mp4"), "--record-segment", "60")
    assert beside.folder == str(tmp_path / "rec") and beside.keep_mb is None
    clips = history_of(
        "--record", str(tmp_path / "cam.mp4"), "--record-on", "person", "--history-keep-mb", "500"
    )
    assert clips.folder == "recordings" and clips.keep_mb == 500.0


def test_prune_keep_mb_deletes_old_clips_keeps_their_events_and_a_locked_clip(tmp_path, capsys) -> None:
    from record.test_retention import history, locker

    from camapp.record.retention import DISK_CAP, clip_files

    history(tmp_path).close()
    clips = clip_files(tmp_path)
    proc = locker(clips[0])  # a running camapp writes it
    try:
        assert main(["events", "--dir", str(tmp_path), "prune", "--keep-mb", str(700 / 1024)]) == 0
    finally:
        proc.communicate("")
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"pruned 0 event(s) from {tmp_path / DB_NAME}; 5 left"
    assert (
        out[1]
        == "kept under 0.683594 MB: removed 3 clip(s) and 0 event(s), 1.1 MB -> 0.5 MB; 1 being written kept"
    )
    assert [c.exists() for c in clips] == [True, False, False, False, True]
    store = EventStore(tmp_path / DB_NAME, readonly=True)
    assert [store.get(i).clip_gone for i in range(1, 6)] == [None, DISK_CAP, DISK_CAP, DISK_CAP, None]
    assert store.integrity() == "ok"
    assert main(["events", "--dir", str(tmp_path), "show", "2"]) == 0
    assert "clip_gone    disk cap" in capsys.readouterr().out


def test_both_caps_in_a_run_keep_the_events_and_mark_what_they_deleted(tmp_path, model_store, capsys) -> None:
    """Small caps on the continuous recording (2 s segments) and on the history's clips: what they
    delete leaves the events, marked; whatever is on disk is whole (finalized) and the database sound."""
    from camapp.record.finalize import mp4_kind
    from camapp.record.retention import DISK_CAP

    rec = tmp_path / "rec"
    rec.mkdir()
    args = ["run", "--headless", "--source", str(need(PERSON_CLIP)), "--no-realtime", "--track"]
    args += ["--classes", "person", "--max-frames", "420", "--stats-every", "600"]
    args += ["--record", str(rec / "cam.mp4"), "--record-segment", "2", "--record-keep-mb", "0.4"]
    args += ["--record-on", "person", "--record-dir", str(rec), "--history", "--history-keep-mb", "1"]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err and "cannot finalize" not in err
    store = EventStore(rec / DB_NAME, readonly=True)
    assert store.integrity() == "ok"
    events = store.list(oldest_first=True)
    assert len(events) >= 2, events  # people walk in at 6 s and 25 s
    assert any(e.recording_gone == DISK_CAP for e in events)  # the first person's segment went
    assert any(e.clip_gone == DISK_CAP for e in events)  # a 2 MB clip over the 1 MB cap, at the end
    for e in events:
        assert e.recording is not None and e.clip is not None
        assert (e.recording_gone == DISK_CAP) == (not (rec / e.recording).exists()), e
        assert (e.clip_gone == DISK_CAP) == (not (rec / e.clip).exists()), e
        assert (rec / e.snapshot).is_file()
    for f in [*rec.glob("cam-*.mp4"), *rec.glob("*_person.mp4")]:
        assert mp4_kind(f) == "regular", f  # nothing deleted or cut while being written
    clips = sum(f.stat().st_size for f in rec.glob("*_person.mp4"))
    shots = sum(f.stat().st_size for f in (rec / "snapshots").iterdir())
    assert clips + shots <= 1 * 2**20 or len(list(rec.glob("*_person.mp4"))) == 1
