"""EventRecorder on the person clip with the real detector: triggers, pre-roll, post-roll, files."""

from __future__ import annotations

import dataclasses
import re

import av
import numpy as np
import pytest
from conftest import PERSON_CLIP, need

from camapp.errors import CamappError
from camapp.pipeline.objects import END, START, UPDATE, ObjectEvent, ObjectInfo
from camapp.record import EventRecorder
from camapp.record.finalize import mp4_kind
from camapp.types import Detections

FPS = 10.0
PRE, POST = 3.0, 1.5


@pytest.fixture(scope="module")
def person_run(model_store, rec_kit):
    """Real detections for the first 250 frames (25 s) of the person clip: people come and go."""
    from camapp.detect import open_detector

    need(PERSON_CLIP)
    det = open_detector(threshold=0.4)
    try:
        return [
            rec_kit.Result(frame, det.detect(frame.image), rec_kit.Stats(input_size=det.input_size))
            for frame in rec_kit.read_clip(PERSON_CLIP, 250)
        ]
    finally:
        det.close()


def expected_events(results, classes=("person",)):
    """(trigger_t, end_t) per event, straight from the rule: start on sight, end POST s after."""
    events, trigger, last = [], None, None
    for r in results:
        t = r.frame.media_time
        seen = bool(set(classes) & set(r.detections.labels))
        if seen and trigger is None:
            trigger = t
        if trigger is not None:
            if seen:
                last = t
            if t - last >= POST - 1e-9:
                events.append((trigger, t))
                trigger = None
    if trigger is not None:
        events.append((trigger, results[-1].frame.media_time))
    return events


def frames_of(path):
    with av.open(str(path)) as c:
        return [(float(f.pts * f.time_base), f.to_ndarray(format="bgr24")) for f in c.decode(video=0)]


def test_events_with_pre_and_post_roll(tmp_path, person_run):
    want = expected_events(person_run)
    assert len(want) >= 2, want  # the clip has people entering, leaving and entering again
    rec = EventRecorder(tmp_path, ["person"], pre_roll=PRE, post_roll=POST, queue_size=1000)
    for r in person_run:
        rec.submit(r)
    rec.close()
    assert rec.error is None and rec.dropped == 0 and rec.active is None
    got = [(round(e.trigger_t, 3), round(e.end_t, 3)) for e in rec.events]
    assert got == [(round(a, 3), round(b, 3)) for a, b in want]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(e.path.name for e in rec.events)
    # each clip ends finalized: a regular MP4 whose header holds its frames (browsers can seek it)
    assert sorted(rec.finalized) == sorted(e.path for e in rec.events) and rec.unfinalized == []
    for e in rec.events:
        assert mp4_kind(e.path) == "regular"
        with av.open(str(e.path)) as c:
            assert c.streams.video[0].frames == e.frames

    first = rec.events[0]
    assert re.fullmatch(r"\d{8}-\d{6}_person(-\d+)?\.mp4", first.path.name)
    assert first.classes == ("person",)
    # Pre-roll: at least PRE seconds, starting on the keyframe (forced each second) before that.
    assert PRE - 1e-6 <= first.pre_roll <= PRE + 1.0 + 1e-6
    decoded = frames_of(first.path)
    expected_count = round((first.end_t - first.start_t) * FPS) + 1
    assert first.frames == expected_count == len(decoded)
    times = [t for t, _ in decoded]
    assert np.allclose(np.diff(times), 1 / FPS, atol=0.002)
    assert times[-1] - times[0] == pytest.approx(first.end_t - first.start_t, abs=0.01)
    # The file's first image is the source frame at start_t, i.e. from before the trigger.
    by_index = {r.frame.index: r.frame.image.astype(int) for r in person_run}
    img = decoded[0][1].astype(int)
    start_i, trigger_i = round(first.start_t * FPS), round(first.trigger_t * FPS)
    diff_start = np.abs(img - by_index[start_i]).mean()
    assert diff_start < np.abs(img - by_index[trigger_i]).mean()
    assert diff_start < 8


def test_no_watched_class_no_file_and_bounded_buffer(tmp_path, person_run):
    rec = EventRecorder(tmp_path, ["giraffe"], pre_roll=PRE, post_roll=POST, queue_size=1000)
    for r in person_run[:80]:
        rec.submit(r)
    rec.close()
    assert rec.events == [] and list(tmp_path.iterdir()) == []
    # The pre-roll ring holds at most pre-roll + one keyframe interval of packets.
    assert len(rec._ring) <= (PRE + 1.0) * FPS + 2


def test_close_ends_an_open_event_cleanly(tmp_path, person_run):
    start = next(i for i, r in enumerate(person_run) if "person" in r.detections.labels)
    rec = EventRecorder(
        tmp_path, ["person", "dog"], pre_roll=1.0, post_roll=POST, ext=".mkv", queue_size=1000
    )
    for r in person_run[max(0, start - 20) : start + 15]:
        rec.submit(r)
    rec.close()
    rec.close()
    (event,) = rec.events
    assert event.path.suffix == ".mkv" and "person" in event.path.name and "dog" not in event.path.name
    decoded = frames_of(event.path)
    assert len(decoded) == event.frames >= 15 + 10


def test_needs_a_class(tmp_path):
    with pytest.raises(CamappError, match="at least one class"):
        EventRecorder(tmp_path, [" ", ""])


def with_objects(results, events_at, linger):
    """The results with no boxes but these object events (frame index -> [ObjectEvent]): what a
    pipeline's watcher would attach."""
    return [
        dataclasses.replace(
            r, detections=Detections.empty(), objects=ObjectInfo(tuple(events_at.get(i, ())), linger)
        )
        for i, r in enumerate(results)
    ]


def obj(kind, i, start_i, last_i, label="person", zones=()):
    box = (10.0, 10.0, 50.0, 90.0)
    return ObjectEvent(
        kind, 7, label, 0.8, box, 0.8, box, start_i / FPS, last_i / FPS, i / FPS, i, 0.0, 3, zones, zones
    )


def test_clips_follow_the_object_events_the_results_carry(tmp_path, person_run):
    """A clip starts with the watched object's start and ends on its end event (gone exactly the
    post-roll): the recorder acts on the events, not on the boxes (there are none here)."""
    events_at = {10: [obj(START, 10, 10, 10)], 40: [obj(END, 40, 10, 25)]}  # gone 1.5 s at frame 40
    links = []
    rec = EventRecorder(
        tmp_path / "a",
        ["person"],
        pre_roll=0.5,
        post_roll=POST,
        queue_size=1000,
        on_clip=lambda *link: links.append(link),
    )
    for r in with_objects(person_run[:60], events_at, linger=POST):
        rec.submit(r)
    rec.close()
    (clip,) = rec.events
    assert (clip.trigger_t, clip.last_seen_t, clip.end_t) == pytest.approx((1.0, 2.5, 4.0))
    assert clip.classes == ("person",) and len(frames_of(clip.path)) == clip.frames
    # the clip shows object 7 from its start on: the pre-roll (0.5 s, from a keyframe) into the file
    assert links == [(7, clip.path, pytest.approx(1.0 - clip.start_t))] and clip.start_t <= 0.5

    # events ended after another linger than its post-roll: the recorder watches the boxes itself
    other = EventRecorder(tmp_path / "b", ["person"], pre_roll=0.5, post_roll=POST, queue_size=1000)
    for r in with_objects(person_run[:60], events_at, linger=POST + 1):
        other.submit(r)
    other.close()
    assert other.events == [] and list((tmp_path / "b").iterdir()) == []


def test_a_zone_clip_runs_while_an_object_is_in_the_zone(tmp_path, person_run):
    """`zone:desk`: from the update that puts an object in the zone until the post-roll after the
    update that takes it out (the object itself stays in view, and its label is not watched)."""
    events_at = {
        5: [obj(START, 5, 5, 5)],
        12: [obj(UPDATE, 12, 5, 12, zones=("desk",))],
        20: [obj(UPDATE, 20, 5, 20)],
    }
    rec = EventRecorder(tmp_path, ["zone:desk"], pre_roll=0.0, post_roll=1.0, queue_size=1000)
    for r in with_objects(person_run[:50], events_at, linger=1.0):
        rec.submit(r)
    rec.close()
    (clip,) = rec.events
    assert clip.classes == ("zone:desk",) and clip.seen == {"zone:desk"}
    assert (clip.trigger_t, clip.last_seen_t, clip.end_t) == pytest.approx((1.2, 2.0, 3.0))
    assert clip.path.name.endswith("_zone-desk.mp4")


def test_a_finished_clip_stays_held_until_the_finalizer_holds_it(tmp_path, person_run):
    """Between a clip's close (its write lock released) and its hand-over to the finalizer, a disk
    cap on another thread must still see it as held, or it may delete it before it is finalized."""
    from camapp.outputs import locked

    rec = EventRecorder(tmp_path, ["person"], pre_roll=PRE, post_roll=POST, queue_size=1000)
    handed = rec._finalizer.submit
    unprotected = []

    def submit(path, *args, **kwargs):  # what a cap pass would see at this moment
        if not any(p == path for p in rec.held()) and not locked(path):
            unprotected.append(path.name)
        return handed(path, *args, **kwargs)

    rec._finalizer.submit = submit
    for r in person_run:
        rec.submit(r)
    rec.close()
    assert rec.error is None and len(rec.events) >= 2
    assert unprotected == []
