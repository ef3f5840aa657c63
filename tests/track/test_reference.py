"""camapp's ByteTrack against the reference it replaced (supervision 0.23's ByteTrack behind the
same interface, tests/track/sv_reference.py) on every frame of both sample clips, real model.

The same detections go to both; a frame matches when both show the same boxes with the same ids
(up to a renaming fixed for the whole clip). The differences are the two explained in
docs/tracking.md: the second box on a placed object that starts no track here, and the
reference's sweep of ids that fell on a predicted frame (mended in `Reference`)."""

import pytest
from conftest import BOTTLE_CLIP, PERSON_CLIP, need

from camapp.track import open_tracker
from camapp.types import Detections

sv_reference = pytest.importorskip(
    "track.sv_reference", reason="supervision 0.23 (the test extra) is the reference"
)


@pytest.fixture(scope="module")
def clips(model_store):
    """Every frame's detections down to the tracker's `low` (as the pipeline feeds it), per clip."""
    from camapp.cli.bench_track import detect_all
    from camapp.detect import open_detector
    from camapp.sources.opencv import OpenCVSource

    det = open_detector(threshold=open_tracker(threshold=0.5).low)
    out = {}
    try:
        for path in (need(PERSON_CLIP), need(BOTTLE_CLIP)):
            probe = OpenCVSource(str(path), realtime=False)
            probe.open()
            fps = probe.fps
            probe.close()
            out[path.name] = (fps, [d for _, d in detect_all(str(path), det, None)])
    finally:
        det.close()
    return out


def run(tracker, frames: list[Detections], every: int) -> list[Detections]:
    return [tracker.update(d) if i % every == 0 else tracker.predict() for i, d in enumerate(frames)]


def differing(a: list[Detections], b: list[Detections]) -> list[int]:
    """Frames whose boxes or ids differ; ids are compared through a one-to-one renaming that
    the first frame holding both fixes."""
    ours, theirs, bad = {}, {}, []
    for i, (x, y) in enumerate(zip(a, b)):
        same = len(x) == len(y) and bool((abs(x.boxes - y.boxes) < 0.05).all())
        for p, q in zip(x.track_ids.tolist(), y.track_ids.tolist()) if same else ():
            if (p < 0) != (q < 0) or (
                p >= 0 and (ours.setdefault(p, q) != q or theirs.setdefault(q, p) != p)
            ):
                same = False
        if not same:
            bad.append(i)
    return bad


@pytest.mark.parametrize("clip", [PERSON_CLIP.name, BOTTLE_CLIP.name])
def test_id_sequences_match_the_reference(clips, clip):
    fps, frames = clips[clip]
    # every frame detected: at least 99% of frames the same, as the reference kept as it was
    bad = differing(
        run(open_tracker(fps=fps), frames, 1), run(sv_reference.ByteTrackTracker(fps=fps), frames, 1)
    )
    assert len(bad) <= 0.01 * len(frames), bad
    # the rule that makes the difference off (overlap 1): every frame the same, also with
    # predicted frames between detections (against the reference with its sweep mended)
    for every in (1, 3):
        ours = run(open_tracker(fps=fps, overlap=1.0), frames, every)
        assert differing(ours, run(sv_reference.Reference(fps=fps), frames, every)) == [], every
