"""The Qt-free Session with the real model on the shared clips: commands, events, status, failures."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import av
from conftest import BOTTLE_CLIP, PERSON_CLIP, need
from session.events import WAIT, Events

from camapp.errors import CamappError, SourceError
from camapp.session import EventSpec, LogSpec, ModelSpec, Session, SourceSpec, VideoSpec, stats_line


def decoded(path: Path) -> int:
    with av.open(str(path)) as box:
        return sum(1 for _ in box.decode(video=0))


def test_open_emits_events_in_order_and_a_json_status(session, model_store):
    ev = Events(session)
    future = session.open(SourceSpec(str(need(BOTTLE_CLIP))), ModelSpec(measure=True))
    assert future.result(timeout=WAIT) is None
    ev.wait(lambda: len(ev.results()) >= 5)
    names = ev.names()
    first = [n for i, n in enumerate(names) if n not in names[:i]]
    # the source opens before the model loads; rungs are timed before the video starts
    assert first[:6] == ["state", "opening", "warning", "detector", "measured", "opened"], first
    states = [p["state"] for p in ev.named("state")]
    assert states[0] == "opening" and "running" in states
    assert names.index("opened") < names.index("result")
    assert "camapp-session" in ev.threads and "camapp-deliver" in ev.threads  # never the caller's
    assert threading.current_thread().name not in ev.threads

    status = session.status()
    json.dumps(status)  # JSON-able as it is
    assert status["state"] == "running" and status["source"]["spec"] == str(BOTTLE_CLIP)
    assert status["model"]["device"] == "cpu" and status["model"]["running_on"] == "cpu"
    sizes = [r["size"] for r in status["ladder"]]
    assert len(sizes) > 1 and all(r["ms"] > 0 for r in status["ladder"])  # measured on this machine
    assert status["input_size"] == max(sizes) and status["auto"] is False
    assert status["stats"]["frames"] >= 5 and status["stats"]["capture_fps"] > 0
    assert status["recording"] == {"active": False, "path": None, "frames": 0}
    assert stats_line(status).startswith("running ") and "| input " in stats_line(status)


def test_live_commands_reach_the_frames(session, model_store):
    ev = Events(session)
    session.open(SourceSpec(str(need(PERSON_CLIP)), loop=True), ModelSpec()).result(timeout=WAIT)
    ev.wait(lambda: len(ev.results()) >= 3)
    sizes = session.status()["ladder"]

    def after(n: int = 6) -> list:
        start = len(ev.results())
        ev.wait(lambda: len(ev.results()) >= start + n)
        return ev.results()[start + n - 3 : start + n]

    def holds(check) -> bool:
        """Frames already in flight may precede a setting (more of them on a loaded machine):
        once one frame has it, the next three all have it."""
        start = len(ev.results())
        ev.wait(lambda: any(check(r) for r in ev.results()[start:]))
        first = start + next(i for i, r in enumerate(ev.results()[start:]) if check(r))
        ev.wait(lambda: len(ev.results()) >= first + 4)
        return all(check(r) for r in ev.results()[first : first + 4])

    small = min(r["size"] for r in sizes)
    session.set_input_size(small).result(timeout=1)
    assert holds(lambda r: r.stats.input_size == small)
    session.set_threshold(0.8).result(timeout=1)
    assert all(s >= 0.8 for r in after() for s in r.detections.scores)
    session.set_classes(["tv"]).result(timeout=1)
    assert all(set(r.detections.labels) <= {"tv"} for r in after())
    assert session.status()["classes"] == ["tv"] and session.status()["threshold"] == 0.8
    session.set_classes(None).result(timeout=1)
    session.set_input_size("auto", target_fps=5).result(timeout=1)
    after()
    assert session.status()["auto"] is True and session.status()["target_fps"] == 5
    session.set_threads(1).result(timeout=1)
    ev.wait(lambda: getattr(session.detector, "threads", 1) == 1)

    session.pause().result(timeout=1)
    ev.wait(lambda: session.status()["state"] == "paused")
    frames = session.status()["stats"]["frames"]
    time.sleep(0.5)
    assert session.status()["stats"]["frames"] <= frames + 1  # at most the frame in flight
    session.resume().result(timeout=1)
    ev.wait(lambda: session.status()["stats"]["frames"] > frames + 3)
    assert [p["state"] for p in ev.named("state")][-2:] == ["paused", "running"]


def test_detection_switched_off_is_remembered_for_the_next_source_and_said_in_the_status(
    session, model_store
):
    session.set_detect(False).result(timeout=1)  # before any source: remembered
    assert session.status()["detect"] is False
    ev = Events(session)
    session.open(SourceSpec(str(need(PERSON_CLIP)), realtime=False), ModelSpec(), max_frames=40).result(WAIT)
    assert session.wait(WAIT)
    session.stop().result(timeout=WAIT)
    results = ev.results()
    assert len(results) == 40 and not any(len(r.detections) for r in results)
    status = session.status()
    assert status["stats"]["frames"] == status["stats"]["predicted"] == 40  # not one frame detected
    assert status["stats"]["detecting"] is False and stats_line(status).endswith(" | detection off")
    session.set_detect(True).result(timeout=1)
    assert session.status()["detect"] is True


def test_a_bad_setting_is_an_event_and_a_failed_future_never_an_exception(session, model_store):
    ev = Events(session)
    session.open(SourceSpec(str(need(BOTTLE_CLIP))), ModelSpec()).result(timeout=WAIT)
    future = session.set_input_size(123)  # not a rung: returns, does not raise
    assert isinstance(future.exception(timeout=1), CamappError)
    assert ev.named("failed")[-1]["kind"] == "setting" and "123" in ev.named("failed")[-1]["text"]
    future = session.set_classes(["unicorn"])
    assert "unknown class 'unicorn'" in str(future.exception(timeout=1))


def test_concurrent_commands_from_many_threads(session, model_store):
    """A web server calls from its own threads: commands interleave without errors."""
    ev = Events(session)
    session.open(SourceSpec(str(need(BOTTLE_CLIP)), loop=True), ModelSpec()).result(timeout=WAIT)
    sizes = [r["size"] for r in session.status()["ladder"]]
    errors: list[BaseException] = []

    def hammer(i: int) -> None:
        try:
            for k in range(30):
                futures = [
                    session.set_threshold(0.3 + 0.01 * ((i + k) % 40)),
                    session.set_input_size(sizes[(i + k) % len(sizes)]),
                    session.set_classes(None if k % 2 else ["bottle"]),
                ]
                session.status()
                for f in futures:
                    f.result(timeout=5)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    start = len(ev.results())
    ev.wait(lambda: len(ev.results()) >= start + 5)  # still running
    assert not ev.named("failed")


def test_a_missing_file_and_picam_fail_as_events_with_the_clis_text(session, model_store, tmp_path):
    ev = Events(session)
    future = session.open(str(tmp_path / "no-such.mp4"), ModelSpec())  # returns at once
    exc = future.exception(timeout=WAIT)
    assert isinstance(exc, SourceError)
    failed = ev.named("failed")
    assert len(failed) == 1 and failed[0]["kind"] == "source" and failed[0]["text"] == str(exc)
    assert "no-such.mp4" in failed[0]["text"]
    assert session.status()["state"] == "failed" and session.status()["failure_kind"] == "source"
    assert session.detector is None  # the model did not load behind a bad source (measure=False)

    exc = session.open("picam", ModelSpec()).exception(timeout=WAIT)
    assert "python3-picamera2" in str(exc)  # as `camapp run --source picam` says it
    assert ev.named("failed")[-1]["text"] == str(exc)


def test_video_recording_start_stop_and_events(session, model_store, tmp_path):
    ev = Events(session)
    session.open(SourceSpec(str(need(BOTTLE_CLIP)), loop=True), ModelSpec()).result(timeout=WAIT)
    path = tmp_path / "rec.mp4"
    assert session.start_recording(VideoSpec(str(path))).result(timeout=WAIT) == str(path)
    assert ev.named("recording_started")[-1] == {"what": "video", "path": str(path)}
    assert session.status()["recording"]["active"] and session.status()["recording"]["path"] == str(path)
    again = session.start_recording(VideoSpec(str(tmp_path / "other.mp4")))
    assert "already" in str(again.exception(timeout=WAIT))  # one video at a time
    ev.wait(lambda: session.status()["recording"]["frames"] >= 20)
    session.stop_recording().result(timeout=WAIT)
    stopped = ev.named("recording_stopped")[-1]
    assert stopped["what"] == "video" and stopped["path"] == str(path) and stopped["frames"] >= 20
    assert decoded(path) == stopped["frames"]
    assert not session.status()["recording"]["active"]


def test_event_clips_log_and_snapshot_on_the_person_clip(session, model_store, tmp_path):
    """Lossless (file as fast as possible): a clip per sighting, one log line per frame."""
    ev = Events(session)
    outputs = [
        EventSpec(str(tmp_path / "events"), ("person",), 1.0, 1.0),
        LogSpec(str(tmp_path / "log.jsonl")),
    ]
    source = SourceSpec(str(need(PERSON_CLIP)), realtime=False)
    session.open(source, ModelSpec(), outputs, max_frames=120).result(timeout=WAIT)
    assert session.wait(WAIT)
    shot = session.snapshot(tmp_path / "shots").result(timeout=WAIT)
    assert Path(shot).stat().st_size > 0 and ev.named("snapshot")[-1]["path"] == shot
    session.stop().result(timeout=WAIT)
    frames = session.status()["stats"]["frames"]
    assert frames == 120
    lines = [json.loads(x) for x in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [x["frame"] for x in lines] == list(range(120))
    clips = sorted((tmp_path / "events").glob("*_person.mp4"))
    assert len(clips) >= 1 and all(decoded(c) > 10 for c in clips)  # the person walks in at frame 62
    stopped = {p["what"]: p for p in ev.named("recording_stopped")}
    assert stopped["log"]["frames"] == 120 and stopped["events"]["frames"] == sum(decoded(c) for c in clips)
    report = {o["slot"]: o for o in session.status()["outputs"]}
    assert report["log"]["error"] is None and report["events"]["clips"] == [str(c) for c in clips]
    # objects without tracking: sightings that end 1 s (the clips' post-roll) after their last
    # frame; a clip per person sighting, and the log lists them on their frames
    objects = ev.named("object")
    starts = [o for o in objects if o["type"] == "start" and o["label"] == "person"]
    ends = [o for o in objects if o["type"] == "end" and o["label"] == "person"]
    assert len(starts) == len(ends) == len(clips) and [o["id"] for o in starts] == [o["id"] for o in ends]
    assert all(o["track_id"] is None and o["zones"] == [] for o in starts)
    assert all(e["t"] - e["last_seen"] >= 1.0 - 1e-3 or e["frame"] == 119 for e in ends)
    logged = {(x["frame"], o["type"], o["id"]) for x in lines for o in x.get("objects", ())}
    assert {(o["frame"], "start", o["id"]) for o in starts} <= logged


def test_a_failing_recorder_is_an_event_and_detection_goes_on(session, model_store, tmp_path):
    ev = Events(session)
    session.open(SourceSpec(str(need(BOTTLE_CLIP)), loop=True), ModelSpec()).result(timeout=WAIT)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    bad = session.start_recording(VideoSpec(str(blocker / "x.mp4"), make_folder=True))
    assert "Cannot write into" in str(bad.exception(timeout=WAIT))
    assert ev.named("failed")[-1]["kind"] == "record"
    unknown = session.start_events(EventSpec(str(tmp_path / "ev"), ("unicorn",)))
    assert "unknown class 'unicorn'" in str(unknown.exception(timeout=WAIT))
    assert ev.named("failed")[-1]["kind"] == "events"
    # a write error while running: a log on a full device (ENOSPC on the first flush)
    full = tmp_path / "full.jsonl"
    full.symlink_to("/dev/full")
    session.start_output(LogSpec(str(full))).result(timeout=WAIT)
    ev.wait(lambda: any(p["kind"] == "log" for p in ev.named("failed")))
    ev.wait(lambda: "log" not in session.outputs)  # detached
    assert "No space left" in [p for p in ev.named("failed") if p["kind"] == "log"][0]["text"]
    start = len(ev.results())
    ev.wait(lambda: len(ev.results()) >= start + 5)  # the run goes on
    assert session.status()["state"] == "running"


def test_model_change_restarts_the_source_and_events_and_log_follow(session, model_store, tmp_path):
    ev = Events(session)
    session.start_events(EventSpec(str(tmp_path / "ev"), ("bottle",), 0.5, 0.5)).result(timeout=5)
    session.start_output(LogSpec(str(tmp_path / "logs" / "cam.jsonl"), make_folder=True, stamped=True))
    session.stop_output("log").result(timeout=5)  # disarmed again
    session.start_output(LogSpec(str(tmp_path / "logs" / "cam.jsonl"), make_folder=True, stamped=True))
    assert session.status()["armed"] == ["events", "log"]  # no source yet: they wait for one
    session.open(SourceSpec(str(need(BOTTLE_CLIP)), loop=True), ModelSpec()).result(timeout=WAIT)
    session.start_recording(VideoSpec(str(tmp_path / "a.mp4"))).result(timeout=WAIT)
    ev.wait(lambda: session.status()["recording"]["frames"] >= 5)
    first = session.detector
    session.set_model(ModelSpec(input_size=300)).result(timeout=WAIT)
    assert session.detector is not first and session.status()["ladder"] == [
        {"size": 300, "ms": None, "live": False}
    ]
    stopped = {p["what"] for p in ev.named("recording_stopped")}
    assert stopped == {"video", "events", "log"}  # the video ends with its source; events and log restart
    assert [p["what"] for p in ev.named("recording_started")].count("events") == 2
    # the first log, then the one that followed the restart: a taken name becomes cam-...-2.jsonl
    logs = sorted((tmp_path / "logs").iterdir(), key=lambda p: (len(p.name), p.name))
    assert len(logs) == 2 and all(p.name.startswith("cam-") for p in logs)  # a new log, the first kept
    assert logs[0].read_text().count("\n") >= 5
    assert "video" not in session.outputs and "events" in session.outputs
    assert decoded(tmp_path / "a.mp4") >= 5
    session.stop_events().result(timeout=WAIT)
    assert "events" not in session.outputs and session.status()["armed"] == ["log"]
    assert [p["what"] for p in ev.named("recording_stopped")].count("events") == 2


def test_scan_devices_reports_cameras_and_accelerators(session):
    ev = Events(session)
    session.scan_devices()
    ev.wait(lambda: ev.named("accelerators"), timeout=30)
    assert isinstance(ev.named("cameras")[0]["cameras"], list)
    assert ev.named("accelerators")[0]["accelerators"] == []  # no Coral on this machine


def test_close_while_recording_leaves_a_playable_file(model_store, tmp_path):
    s = Session()
    ev = Events(s)
    s.open(SourceSpec(str(need(BOTTLE_CLIP)), loop=True), ModelSpec()).result(timeout=WAIT)
    s.start_recording(VideoSpec(str(tmp_path / "r.mp4"))).result(timeout=WAIT)
    ev.wait(lambda: s.status()["recording"]["frames"] >= 15)
    assert s.close(timeout=30)
    stopped = ev.named("recording_stopped")[-1]
    assert stopped["frames"] >= 15 and decoded(tmp_path / "r.mp4") == stopped["frames"]
    assert ev.named("state")[-1]["state"] == "closed" and not s.worker.thread.is_alive()
    assert "closed" in str(s.open(str(BOTTLE_CLIP)).exception(timeout=1))


def test_a_broken_observer_does_not_stop_the_others(session, model_store, capfd):
    ev = Events(session)
    session.subscribe(lambda name, payload: 1 / 0)
    unsubscribe = session.subscribe(lambda name, payload: None)
    unsubscribe()
    session.open(SourceSpec(str(need(BOTTLE_CLIP))), ModelSpec()).result(timeout=WAIT)
    ev.wait(lambda: len(ev.results()) >= 3)
    assert "observer failed" in capfd.readouterr().err


def test_an_armed_output_that_cannot_start_does_not_stop_the_source(session, model_store, tmp_path):
    """Events left on with a class the model lacks: reported and disarmed; the video runs."""
    ev = Events(session)
    session.start_events(EventSpec(str(tmp_path / "ev"), ("unicorn",))).result(timeout=5)
    session.open(SourceSpec(str(need(BOTTLE_CLIP))), ModelSpec()).result(timeout=WAIT)
    assert ev.named("failed")[-1]["kind"] == "events" and "unicorn" in ev.named("failed")[-1]["text"]
    assert session.status()["armed"] == [] and "events" not in session.outputs
    ev.wait(lambda: len(ev.results()) >= 3)
