"""`camapp run --track` end to end on the real person clip, and the tracking options' mistakes."""

import json

import pytest
from conftest import PERSON_CLIP, need
from support.cli import run_refused

from camapp.cli import main

# Watched frame by frame (one frame a second): six people walk in one at a time from the bottom
# edge, stand at the table and leave to the right. `door` lies across the way in (their box
# centres pass it going up), `exit` across the way out (going right).
PEOPLE = 6
DOOR, EXIT = "door:0,0.65,1,0.65", "exit:0.8,0,0.8,1"


@pytest.fixture(scope="module")
def person_run(tmp_path_factory, model_store):
    log = tmp_path_factory.mktemp("track") / "log.jsonl"
    args = ["run", "--headless", "--source", str(need(PERSON_CLIP)), "--no-realtime", "--track"]
    args += [
        "--classes",
        "person",
        "--line",
        DOOR,
        "--line",
        EXIT,
        "--zone",
        "table:0.4,0.1,0.7,0.1,0.7,0.9,0.4,0.9",
    ]
    args += ["--log", str(log), "--stats-every", "60"]
    return args, log


def test_track_counts_the_people_and_each_crossing_once(person_run, capsys):
    args, log = person_run
    assert main(args) == 0
    out = capsys.readouterr().out.splitlines()
    distinct = next(line for line in out if "distinct" in line)
    n = int(distinct.split("person: ")[1].split(" distinct")[0])
    assert abs(n - PEOPLE) <= 1, distinct
    assert f"line door: {PEOPLE} up person" in out
    assert f"line exit: {PEOPLE} right person" in out
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    frames = [x for x in lines if "frame" in x]
    assert len(frames) == 1394
    assert all("track_id" in d for f in frames for d in f["detections"])
    crosses = [x for x in lines if x.get("event") == "cross"]
    assert len(crosses) == 2 * PEOPLE
    assert set(crosses[0]) == {"event", "line", "direction", "track_id", "label", "t"}
    door_ids = [c["track_id"] for c in crosses if c["line"] == "door"]
    assert len(set(door_ids)) == PEOPLE  # six different people, each once
    exits = [x for x in lines if x.get("event") == "exit"]
    assert exits and all(x["dwell"] >= 0 for x in exits) and max(x["dwell"] for x in exits) > 5
    # the log tells the summary's story: its ids are the objects counted (1..n), and a box not
    # yet confirmed as an object carries -1
    ids = {d["track_id"] for f in frames for d in f["detections"]}
    assert ids - {-1} == set(range(1, n + 1)) and -1 in ids
    assert {e["track_id"] for e in lines if "event" in e} <= ids - {-1}


@pytest.mark.parametrize("size", [300, 272, 240, 208, 176])
def test_the_door_counts_each_person_once_at_the_input_sizes_auto_uses(model_store, capsys, size):
    """The smaller the input, the lower the scores and the more double boxes; the count holds."""
    args = ["run", "--headless", "--source", str(need(PERSON_CLIP)), "--no-realtime", "--track"]
    assert main([*args, "--line", DOOR, "--input-size", str(size), "--stats-every", "60"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert f"line door: {PEOPLE} up person" in out, out[-4:]
    distinct = next(line for line in out if "person: " in line and "distinct" in line)
    assert int(distinct.split("person: ")[1].split(" distinct")[0]) <= PEOPLE + 1, distinct


@pytest.mark.parametrize(
    "extra,reason",
    [
        (["--track", "--line", "door:0.1,0.5,0.9"], "needs 2 points"),
        (["--track", "--line", "door:0.1,0.5,1.5,0.5"], "between 0 and 1"),
        (["--track", "--zone", "desk:0.1,0.1,0.5,0.5"], "at least 3 points"),
        (["--track", "--zone", "desk:0,0,1,1,1,0,0,1"], "crosses itself"),
        (["--roi", "0.5,0.2,0.5,0.9"], "empty region"),
        (["--track", "--record-on", "zone:desk"], "unknown zone 'desk'"),
        (["--line", "door:0,0.5,1,0.5"], "--line goes with --track"),
        (["--detect-every", "3"], "--detect-every goes with --track"),
        (["--track", "--line", "a:0,0.5,1,0.5", "--zone", "a:0,0,1,0,1,1"], "used twice"),
    ],
)
def test_bad_tracking_options_exit_2_with_one_line(model_store, capsys, extra, reason):
    run_refused(capsys, extra, reason)


def test_record_on_a_zone_starts_a_clip(model_store, tmp_path, capsys):
    rc = main(
        ["run", "--headless", "--source", str(need(PERSON_CLIP)), "--no-realtime", "--max-frames", "120"]
        + ["--track", "--zone", "table:0.3,0.05,0.8,0.05,0.8,0.95,0.3,0.95", "--record-on", "zone:table"]
        + ["--record-dir", str(tmp_path)]
    )
    assert rc == 0, capsys.readouterr()
    clips = sorted(tmp_path.glob("*_zone-table.mp4"))
    assert len(clips) == 1 and clips[0].stat().st_size > 10_000
