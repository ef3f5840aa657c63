"""Capture and inference in two threads joined by a tiny queue, with live settings.

Real-time semantics: the queue holds at most `queue_size` frames and a newer frame pushes out
the oldest (counted as dropped), so detection always works on the freshest frame and latency
stays bounded. When a file is read as fast as possible (`realtime=False`) nothing is dropped:
the capture thread waits for room instead (backpressure).

The inference thread only invokes: the capture thread resizes and colour-converts each frame
into the network's input tensor, and when inference runs on every core the capture and consumer
threads give way to it (`priority`), so they fill the invoke's idle gaps instead of stalling it.

A detector with `lanes` (`camapp.detect.lanes.Lanes`) gets one inference thread per lane, each
on its own frames. A `Sequencer` thread decodes the boxes and hands the results on in frame
order, so an inference thread goes from one invoke to the next.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from camapp.detect.base import Detector
from camapp.errors import SourceError
from camapp.pipeline.consumer import Consumer, Result
from camapp.pipeline.handoff import END, FrameQueue, Sequencer, backlog
from camapp.pipeline.memory import WAITING_BYTES, frames_within
from camapp.pipeline.objects import ObjectWatcher
from camapp.pipeline.priority import lower_consumer, lower_priority, takes_every_core
from camapp.pipeline.reconnect import Reconnector
from camapp.pipeline.settings import LiveSettings
from camapp.pipeline.stats import Stats, StatsMeter
from camapp.sources.base import Source, SourceLost
from camapp.types import Frame

log = logging.getLogger(__name__)

MAX_BACKLOG = 8  # results a consumer may lag behind when nothing may be dropped


class Pipeline:
    """Reads `source`, runs `detector` on the freshest frame, hands each `Result` to consumers.

    The pipeline owns the source once started (it closes it in `stop()`); the caller owns the
    detector. `yield_cpu` lowers the capture and consumer threads' priority (see `priority`);
    by default that happens when the detector's threads are as many as the cores.
    Pass `open_source=True` to have the capture thread open the source (keeps a GUI responsive
    while a camera starts); an open failure then ends in state "error".
    Callbacks (`on_result`, `on_state`) run on the pipeline's threads and must be cheap.
    """

    def __init__(
        self,
        source: Source,
        detector: Detector,
        consumers: Sequence[Consumer] = (),
        *,
        realtime: bool | None = None,
        queue_size: int = 1,
        prepare_input: bool = True,
        max_frames: int | None = None,
        open_source: bool = False,
        reconnect_delay: float = 0.5,
        reconnect_max_delay: float = 5.0,
        reconnect_timeout: float | None = None,
        yield_cpu: bool | None = None,
    ) -> None:
        self.source = source
        self.detector = detector
        self.realtime = getattr(source, "realtime", True) if realtime is None else realtime
        self.max_frames = max_frames
        self.prepare_input = prepare_input  # make the input tensor on the capture thread
        self._open_first = open_source
        # helper threads at low priority: None = whenever the detector takes every core
        self.yield_cpu = yield_cpu
        self._yielding = False
        self._consumers: list[Consumer] = list(consumers)
        self.objects = ObjectWatcher()  # objects' start/update/end, on every result
        self._result_cbs: list[Callable[[Result], None]] = []
        self._state_cbs: list[Callable[[Stats], None]] = []
        self._lock = threading.Lock()
        self._meter = StatsMeter()
        self._queue = FrameQueue(queue_size, drop=self.realtime, on_drop=self._meter.drop)
        self._meter.input_size = detector.input_size
        self._halt = threading.Event()  # stop capturing (stop() or inference finished)
        self._running = threading.Event()  # cleared while paused
        self._running.set()
        self._done = threading.Event()
        # the reconnect settings live there only; the properties below read them
        self._reconnector = Reconnector(
            source,
            delay=reconnect_delay,
            max_delay=reconnect_max_delay,
            timeout=reconnect_timeout,
            say=self._set_state,
            wait=self._halt.wait,
            running=self._running.is_set,
        )
        self._resumed: dict[int, float] = {}  # frame index -> seconds without frames before it
        self._settings = LiveSettings(detector, lambda: getattr(source, "fps", None))
        # one inference thread per lane; tickets keep their results in frame order
        self._lanes: tuple[Detector, ...] = tuple(getattr(detector, "lanes", None) or (detector,))
        self._take_lock = threading.Lock()
        self._sequencer = Sequencer(self._emit, window=2 * len(self._lanes), on_error=self._fail)
        self._working = len(self._lanes)
        self._threads: list[threading.Thread] = []
        self._stopped = False
        self._source_closed = False

    # -- public control ------------------------------------------------------------------------
    @property
    def stats(self) -> Stats:
        return self._meter.snapshot()

    @property
    def auto(self) -> bool:
        return self._settings.auto

    @property
    def reconnect_delay(self) -> float:
        """Seconds before the first attempt to reopen a lost source (doubling up to the max)."""
        return self._reconnector.delay

    @property
    def reconnect_max_delay(self) -> float:
        return self._reconnector.max_delay

    @property
    def reconnect_timeout(self) -> float | None:
        """Seconds without steady frames before a lost source is given up (None: never)."""
        return self._reconnector.timeout

    def start(self) -> None:
        if self._threads:
            raise RuntimeError("a pipeline starts once; build a new one")
        self._sequencer.start()  # before any lane can hand it a result
        self._threads = [threading.Thread(target=self._capture_loop, name="camapp-capture", daemon=True)]
        for i, lane in enumerate(self._lanes):
            name = "camapp-inference" + (f"-{i}" if i else "")
            self._threads.append(
                threading.Thread(target=self._inference_loop, args=(lane,), name=name, daemon=True)
            )
        for t in self._threads:
            t.start()
        self._threads.append(self._sequencer.thread)
        self._maybe_yield()

    def wait(self, timeout: float | None = None) -> bool:
        """True once the input has ended, an error stopped the pipeline or `stop()` was called."""
        return self._done.wait(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop both threads, then close every consumer (finalizing recordings) and the source."""
        if self._stopped:
            return
        self._stopped = True
        self._halt.set()
        self._running.set()
        self._queue.halt()
        self._sequencer.halt()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            consumers = list(self._consumers)
        for c in consumers:
            try:
                c.close()
            except Exception:
                log.exception("closing %r failed", c)
        if not any(t.is_alive() for t in self._threads[:1]):
            self._close_source()  # else the capture thread closes it when its read returns
        if self._meter.state not in ("ended", "error"):
            self._set_state("ended", "stopped")
        self._done.set()

    def add_consumer(self, consumer: Consumer) -> None:
        with self._lock:
            self._consumers.append(consumer)
            yielding = self._yielding
        if yielding:
            lower_consumer(consumer)

    def remove_consumer(self, consumer: Consumer) -> None:
        """Detach `consumer` (the caller closes it, e.g. to finalize a recording)."""
        with self._lock:
            if consumer in self._consumers:
                self._consumers.remove(consumer)

    def on_result(self, callback: Callable[[Result], None]) -> None:
        with self._lock:
            self._result_cbs.append(callback)

    def on_state(self, callback: Callable[[Stats], None]) -> None:
        """`callback(stats)` whenever `stats.state` or `stats.message` changes."""
        with self._lock:
            self._state_cbs.append(callback)

    def set_input_size(self, size: int | str, target_fps: float | None = None) -> None:
        """A ladder rung, or "auto" to hold `target_fps` (default: the source's rate, else 15)."""
        self._settings.set_input_size(size, target_fps)

    def set_threshold(self, threshold: float) -> None:
        self._settings.set_threshold(threshold)

    def set_classes(self, classes: set[int] | frozenset[int] | None) -> None:
        self._settings.set_classes(classes)

    def set_threads(self, threads: int) -> None:
        self._settings.set_threads(threads)

    def pause(self) -> None:
        if self._done.is_set():
            return
        self._running.clear()
        self._set_state("paused")

    def resume(self) -> None:
        if not self._running.is_set():
            self._running.set()
            self._set_state("running")

    # -- internals -----------------------------------------------------------------------------
    def _close_source(self) -> None:
        with self._lock:
            if self._source_closed:
                return
            self._source_closed = True
        self.source.close()

    def _maybe_yield(self) -> None:
        """Once inference takes every core, helpers give way (for good: niceness is one-way)."""
        if self._yielding:
            return
        want = takes_every_core(self.detector) if self.yield_cpu is None else self.yield_cpu
        with self._lock:
            if not want or self._yielding:
                return
            self._yielding = True
            consumers = list(self._consumers)
        for c in consumers:
            lower_consumer(c)
        # the capture thread lowers itself, after opening its source: decoder threads the
        # source starts inherit their creator's niceness and do best at normal priority

    def _set_state(self, state: str, message: str = "") -> None:
        if self._meter.set_state(state, message):
            snapshot = self._meter.snapshot()
            with self._lock:
                callbacks = list(self._state_cbs)
            for cb in callbacks:
                try:
                    cb(snapshot)
                except Exception:
                    log.exception("state callback failed")

    def _capture_loop(self) -> None:
        try:
            if self._open_first and not self._open():
                return
            self._reconnector.start()
            lowered = False
            while not self._halt.is_set():
                if self._yielding and not lowered:
                    lower_priority()
                    lowered = True
                live = getattr(self.source, "live", True)
                if not live and not self._running.is_set():
                    self._running.wait(0.1)  # a paused file holds its position
                    continue
                try:
                    frame = self.source.read()
                except SourceLost as exc:
                    if not self._reconnector.lost(str(exc)):
                        return
                    continue
                if frame is None:
                    break
                gap = self._reconnector.frame()
                if gap is not None:
                    with self._lock:
                        self._resumed[frame.index] = gap
                self._meter.captured()
                if not self._running.is_set():
                    if live:
                        continue  # a paused camera keeps draining so it is fresh on resume
                    while not self._running.wait(0.1) and not self._halt.is_set():
                        pass  # a file frame read as pause began waits for resume
                self._queue.put(self._prepare(frame))  # drops count as frames are taken
        except Exception as exc:
            log.exception("capture failed")
            self._set_state("error", f"capture failed: {exc}")
        finally:
            self._queue.put(END, force=True)
            if self._stopped:
                self._close_source()  # stop() gave up waiting for a read that blocked

    def _open(self) -> bool:
        try:
            self.source.open()
            return True
        except SourceError as exc:
            self._set_state("error", str(exc))
            return False

    def _inference_loop(self, lane: Detector) -> None:
        """One inference thread: take the next frame with a ticket, detect, hand the result on."""
        try:
            while True:
                with self._take_lock:  # tickets in the order frames leave the queue
                    limit = self.max_frames is not None and self._sequencer.issued >= self.max_frames
                    ticket = None if limit else self._sequencer.ticket()
                    if ticket is None:
                        break
                    item = self._queue.get()
                if item is END:
                    self._queue.put(END, force=True)  # for the other lanes
                    self._sequencer.put(ticket, None)
                    break
                self._sequencer.put(ticket, self._process(lane, item))  # type: ignore[arg-type]
        except Exception as exc:
            log.exception("inference failed")
            self._fail(exc)
        finally:
            self._lane_done()

    def _lane_done(self) -> None:
        """The last inference thread out ends the run."""
        with self._lock:
            self._working -= 1
            last = self._working == 0
        self._halt.set()
        self._queue.halt()
        if not last:
            return
        self._sequencer.close()  # every result taken is delivered before the run is over
        if self._meter.state != "error":
            self._set_state("ended", "" if not self._stopped else "stopped")
        self._done.set()

    def _prepare(self, frame: Frame) -> tuple[Any, ...]:
        """The queue item for `frame` (capture thread, capture order): frame and network input."""
        return frame, self._input_tensor(frame.image)

    def _input_tensor(self, image: np.ndarray) -> np.ndarray | None:
        """The network input, made on the capture thread so inference does not wait for it."""
        return self.detector.input_tensor(image) if self.prepare_input else None

    def _process(self, lane: Detector, item: tuple[Frame, np.ndarray | None]) -> tuple[Any, ...]:
        """Invoke on one frame with `lane`; settings and the auto rung policy apply here."""
        frame, tensor = item
        if self._settings.apply():
            self._maybe_yield()  # threads changed: inference may now fill the cores
        device = lane.device
        t0 = time.perf_counter()
        decode = lane.infer(frame.image, tensor)
        infer_ms = (time.perf_counter() - t0) * 1000.0
        if not self._yielding and lane.device != device:
            self._maybe_yield()  # an Edge TPU fell back to the CPU: inference may now fill the cores
        size = lane.input_size  # the rung this frame really ran at
        if infer_ms > 0:
            self._settings.follow_policy(size, len(self._lanes) * 1000.0 / infer_ms)
        return frame, decode, infer_ms, size

    def _emit(self, processed: tuple[Any, ...]) -> None:
        """Decode one result and hand it to callbacks and consumers (the sequencer's thread,
        in frame order). `decode` is None for a frame to hand on without a detection."""
        frame, decode, infer_ms, size, *extra = processed
        fresh = decode() if decode is not None else None  # a failure here ends the run through _fail
        latency_ms = (time.monotonic() - frame.timestamp) * 1000.0
        handed = self._hand_on(frame, fresh, *extra)
        if handed is None:
            self._meter.drop(1)
            return
        if fresh is None:
            self._meter.predicted(latency_ms)
        else:
            self._meter.processed(infer_ms, latency_ms, size)
        if self._meter.state == "starting":  # after a reconnect, the Reconnector says "running" itself
            self._set_state("running")
        detections, info, *more = handed
        objects = self.objects.frame(frame, detections, info)
        self._publish(
            Result(
                frame,
                detections,
                self._meter.snapshot(),
                track=info,
                objects=objects,
                resumed=self._gap_before(frame),
                gate=more[0] if more else None,
            )
        )

    def _gap_before(self, frame: Frame) -> float | None:
        """Seconds without frames before `frame` when it is the first delivered after a reconnect
        (the first frame read after it may have been dropped as stale: its gap moves on)."""
        with self._lock:
            if not self._resumed:
                return None
            passed = [i for i in self._resumed if i <= frame.index]
            gaps = [self._resumed.pop(i) for i in passed]
        return max(gaps) if gaps else None

    def _hand_on(self, frame: Frame, fresh: Any, *extra: Any) -> tuple[Any, ...] | None:
        """(boxes, tracking info[, gate plan]) to hand on for `frame`, or None to drop it (a
        subclass's hook; `extra` is what its `_process` added after the four fields)."""
        return fresh, None

    def _publish(self, result: Result) -> None:
        """Hand `result` to the callbacks, then the consumers; without real time, wait for them."""
        with self._lock:
            callbacks = list(self._result_cbs)
            consumers = list(self._consumers)
        for cb in callbacks:
            try:
                cb(result)
            except Exception:
                log.exception("result callback failed")
        for c in consumers:
            try:
                c.submit(result)
            except Exception:
                log.exception("consumer %r failed", c)
        if not self.realtime:
            self._wait_for(consumers, frames_within(result.frame.image.nbytes, WAITING_BYTES, MAX_BACKLOG))

    def _fail(self, exc: Exception) -> None:
        """A lane or the delivery thread (decoding, a consumer's backlog probe) failed: end in
        error; capture, the other lanes and delivery stop."""
        self._set_state("error", f"inference failed: {exc}")
        self._sequencer.halt()
        self._halt.set()
        self._queue.halt()

    def _wait_for(self, consumers: list[Consumer], most: int = MAX_BACKLOG) -> None:
        """Backpressure for files read as fast as possible: no consumer falls more than `most`
        results behind (`MAX_BACKLOG`, fewer for large frames), so a lossless recorder's queue
        (and memory) stays bounded."""
        while not self._stopped and any(backlog(c) > most for c in consumers):
            time.sleep(0.002)
