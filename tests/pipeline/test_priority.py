"""Helper threads give way to inference when it takes every core (Linux per-thread niceness)."""

from __future__ import annotations

import os
import sys
import threading

import pytest
from conftest import PERSON_CLIP, need

from camapp.detect import open_detector
from camapp.pipeline import Pipeline, Result
from camapp.pipeline.priority import HELPER_NICE, lower_priority, takes_every_core, thread_nice
from camapp.record.base import Worker
from camapp.sources import open_source

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux only")


class Probe(Worker):
    """Notes the niceness of the thread each piece of work runs on."""

    def __init__(self) -> None:
        super().__init__("probe", queue_size=4)
        self.nice: set[int | None] = set()
        self._start()

    def _handle(self, result: Result) -> None:
        self.nice.add(thread_nice())


class NiceSource:
    """The real clip, noting the niceness of the thread that reads it (the capture thread)."""

    def __init__(self, source) -> None:
        self._source = source
        self.nice: list[int | None] = []

    def __getattr__(self, name):
        return getattr(self._source, name)

    def read(self):
        self.nice.append(thread_nice())
        return self._source.read()


def run_probed(detector, **options) -> tuple[list, set, set, set]:
    source = NiceSource(open_source(str(need(PERSON_CLIP)), realtime=False))
    early, late = Probe(), Probe()
    inference: set[int | None] = set()
    infer = detector.infer

    def probed_infer(image, tensor=None):  # the niceness of the thread that invokes
        inference.add(thread_nice())
        return infer(image, tensor)

    detector.infer = probed_infer
    p = Pipeline(source, detector, [early], max_frames=40, **options)
    p.start()
    p.add_consumer(late)
    assert p.wait(120)
    p.stop()
    late.close()
    del detector.infer
    return source.nice, early.nice, late.nice, inference


def test_helpers_give_way_when_inference_takes_every_core(model_store):
    base = thread_nice()
    if base == HELPER_NICE:
        pytest.skip("the test runner itself runs at nice 19: a lowered thread looks the same")
    det = open_detector(threads=os.cpu_count(), input_sizes=[300])
    try:
        assert takes_every_core(det)
        capture, early, late, inference = run_probed(det)
    finally:
        det.close()
    assert capture[-1] == HELPER_NICE  # the capture thread lowers itself once running
    assert early == {HELPER_NICE} and late == {HELPER_NICE}  # consumers, also those added later
    assert inference == {base}  # the inference thread keeps its priority
    assert thread_nice() == base  # and so does the caller's


def test_helpers_keep_their_priority_when_a_core_is_left_free(model_store):
    base = thread_nice()
    det = open_detector(threads=1, input_sizes=[300])
    try:
        if os.cpu_count() == 1:
            pytest.skip("one core: one inference thread takes every core")
        assert not takes_every_core(det)
        capture, early, late, inference = run_probed(det)
        assert set(capture) == {base} and early == {base} and late == {base} and inference == {base}
        # yield_cpu=True lowers them anyway
        capture, early, _, inference = run_probed(det, yield_cpu=True)
        assert capture[-1] == HELPER_NICE and early == {HELPER_NICE} and inference == {base}
    finally:
        det.close()


def test_lower_priority_is_inherited_and_only_touches_its_thread():
    base = thread_nice()
    seen: dict[str, int | None] = {}

    def work() -> None:
        assert lower_priority()
        seen["after"] = thread_nice()
        child = threading.Thread(target=lambda: seen.update(child=thread_nice()))
        child.start()
        child.join()

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert seen == {"after": HELPER_NICE, "child": HELPER_NICE}  # threads it starts inherit it
    assert thread_nice() == base
    assert not lower_priority(threading.Thread(target=print))  # not started: nothing to lower
