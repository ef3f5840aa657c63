"""SnapshotWriter: the annotated next frame on request, periodic snapshots, errors."""

from __future__ import annotations

import json
import re

import cv2
import numpy as np
import pytest
from conftest import PERSON_CLIP, need

from camapp.errors import CamappError
from camapp.record import SnapshotWriter
from camapp.render import annotate


def test_snapshot_is_the_next_annotated_frame(tmp_path, clip_results, detector):
    results = list(clip_results(need(PERSON_CLIP), 80, start=70, detector=detector))
    snaps = SnapshotWriter(tmp_path)
    for r in results[:5]:
        snaps.submit(r)
    fut = snaps.snapshot()
    snaps.submit(results[5])
    snaps.submit(results[6])
    path = fut.result(timeout=30)
    snaps.close()
    assert snaps.saved == [path] and re.fullmatch(r"snapshot-\d{8}-\d{6}-\d{3}-f000075\.png", path.name)
    saved = cv2.imread(str(path))
    r = results[5]
    assert "person" in r.detections.labels
    assert np.array_equal(saved, annotate(r.frame.image, r.detections, r.stats))  # PNG is lossless


def test_every_n_seconds_of_frame_time(tmp_path, clip_results):
    snaps = SnapshotWriter(tmp_path, every=0.5, fmt="jpg", queue_size=100)
    for r in clip_results(need(PERSON_CLIP), 30):  # 3 s at 10 fps
        snaps.submit(r)
    snaps.close()
    indices = [int(p.stem.rsplit("-f", 1)[1]) for p in snaps.saved]
    assert indices == [0, 5, 10, 15, 20, 25]
    assert all(p.suffix == ".jpg" and cv2.imread(str(p)).shape == (432, 768, 3) for p in snaps.saved)


def test_snapshot_after_close_fails_at_once(tmp_path):
    snaps = SnapshotWriter(tmp_path)
    snaps.close()
    with pytest.raises(CamappError):
        snaps.snapshot().result(timeout=1)


def test_directory_that_is_a_file_reports_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    snaps = SnapshotWriter(blocker / "snaps")
    assert snaps.error and str(blocker / "snaps") in snaps.error
    with pytest.raises(CamappError):
        snaps.snapshot().result(timeout=1)
    snaps.close()


def test_full_disk_stops_snapshots_and_leaves_no_partial_file(tmp_path, run_child):
    out = tmp_path / "snaps"
    child = run_child(
        str(need(PERSON_CLIP)), str(out), "--kind", "snapshots", "--frames", "20", "--fsize", "200000"
    )
    stdout, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    summary = json.loads(stdout.splitlines()[-1])
    assert summary["submitted"] == 20
    assert summary["error"] == f"snapshots in {out} stopped: File too large"
    # A 768x432 PNG is larger than the limit: the half-written file is removed.
    assert list(out.iterdir()) == []
