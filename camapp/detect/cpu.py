"""SSD-MobileNet on the CPU through a TFLite interpreter (XNNPACK, N threads).

Each input size ("rung" of the resolution multiplier) is its own rewritten model and
interpreter, built once and cached, so switching rungs live costs nothing at switch time.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from camapp.detect.base import DeviceKind, Found, Probe, SSDOutputs, postprocess, preprocess
from camapp.errors import CamappError, ModelError
from camapp.quiet import quiet_native_info
from camapp.tflite.model import OUTPUT_ROLES, SSDModel
from camapp.tflite.runtime import Runtime, get_runtime
from camapp.types import Detections

DEVICE = DeviceKind("cpu", "CPU", "cpu", "CPU (TFLite with XNNPACK)", cpu_threads=True, catalog_model=True)

# The resolution-multiplier ladder for SSD-MobileNet v1 at 300, chosen with `camapp eval` on coco32
# (README "Speed and accuracy"): every rung is on the accuracy-for-size frontier; odd multiples
# of 16 measured better than their even neighbours (272: 27.1 vs 256: 19.7 mAP, cap 100).
DEFAULT_LADDER: tuple[int, ...] = (300, 272, 240, 208, 176, 144, 112)


def ladder_for(model: SSDModel, ladder: Sequence[int] = DEFAULT_LADDER) -> tuple[int, ...]:
    """The rungs `model` can run at: the ladder below its native size, or just its native size
    if it cannot be rewritten (Edge TPU, or anchors that do not follow the recipe)."""
    from camapp.detect.rewrite import resize_problem

    native = model.native_size
    if resize_problem(model) is not None:
        return (native,)
    return tuple(sorted({native, *(s for s in ladder if s < native)}, reverse=True))


class TFLiteDetector:
    """A `Detector` on a TFLite interpreter; the Edge TPU backend reuses it with a delegate.

    Rungs are built once and cached. The first one is built in the constructor; the others in
    one background thread (`background=True`) so a live switch never waits for a rewrite:
    `detect` keeps running at the current rung until the requested one is ready.
    """

    device = "cpu"
    # rest between background builds, as a multiple of the last build's duration
    BUILD_PACING = 1.0

    def __init__(
        self,
        model: SSDModel,
        names: Sequence[str],
        *,
        threads: int | None = None,
        input_size: int | None = None,
        input_sizes: Sequence[int] | None = None,
        threshold: float = 0.5,
        classes: Sequence[int] | None = None,
        max_detections: int | None = None,
        runtime: Runtime | None = None,
        delegates: Sequence[Any] = (),
        background: bool = True,
    ) -> None:
        self.model = model
        self.names = tuple(names)
        self.warnings: list[str] = []  # for the user: the app shows them, the CLI prints them
        self.runtime = runtime or get_runtime()
        self.threads = max(1, threads or os.cpu_count() or 1)
        self.threshold = float(threshold)
        self.classes = frozenset(classes) if classes is not None else None
        self.max_detections = max_detections
        self.delegates = list(delegates)
        if input_sizes:
            sizes = tuple(sorted(set(input_sizes), reverse=True))
        elif self.delegates:
            sizes = (model.native_size,)
        else:
            sizes = ladder_for(model)
        self._sizes = sizes
        self._check_resizable()
        start = input_size or (model.native_size if model.native_size in sizes else sizes[0])
        self._check_size(start)
        self.last_invoke_ms = 0.0
        self.build_ms: dict[int, float] = {}  # rung -> seconds*1000 to rewrite, load and warm up
        self._interpreters: dict[int, Any] = {}
        self._errors: dict[int, CamappError] = {}
        self._pending = [s for s in sizes if s != start]
        self._cond = threading.Condition()
        self._worker: threading.Thread | None = None
        self._closed = False
        self._building: int | None = None
        self._waiters = 0  # prepare() calls waiting: build flat out, no pacing
        self._background = background
        self._interpreters[start] = self._build(start)
        self._current = self._requested = start
        if background:
            self._start_worker()

    def twin(self) -> TFLiteDetector:
        """A second detector on the same model and settings, with its own interpreters
        (for frame-parallel lanes: one interpreter must never run two frames at once)."""
        return TFLiteDetector(
            self.model,
            self.names,
            threads=self.threads,
            input_size=self._requested,
            input_sizes=self._sizes,
            threshold=self.threshold,
            classes=self.classes,
            max_detections=self.max_detections,
            runtime=self.runtime,
            delegates=self.delegates,
            background=self._background,
        )

    def _check_resizable(self) -> None:
        if all(s == self.model.native_size for s in self._sizes):
            return
        from camapp.detect.rewrite import resize_problem

        problem = resize_problem(self.model)
        if problem:
            raise CamappError(
                f"{self.model.path.name} runs only at input size {self.model.native_size}: {problem}"
            )

    def _check_size(self, size: int) -> None:
        if size not in self._sizes:
            raise CamappError(
                f"input size {size} is not available; choose one of {', '.join(map(str, self._sizes))}"
            )

    @property
    def native_size(self) -> int:
        return self.model.native_size

    @property
    def input_sizes(self) -> tuple[int, ...]:
        return self._sizes

    @property
    def input_size(self) -> int:
        """The size the most recent `detect` ran at (a request takes effect once its rung is built)."""
        return self._current

    @property
    def ready_sizes(self) -> tuple[int, ...]:
        """Rungs built so far; a switch to one of these takes effect on the next frame."""
        with self._cond:
            return tuple(s for s in self._sizes if s in self._interpreters)

    def set_input_size(self, size: int) -> None:
        """Thread-safe: applied at the next `detect` once the rung is built (at once if it is)."""
        self._check_size(size)
        with self._cond:
            error = self._errors.get(size)
            if error is not None:
                raise error
            self._requested = size
            self._cond.notify_all()  # wakes a pacing worker: the requested rung is built next
        self._start_worker()

    def set_threads(self, threads: int) -> None:
        """Thread-safe: rebuild every rung with `threads` CPU threads, the current one first.

        Until its rebuild is ready each rung keeps running on its old interpreter.
        """
        threads = max(1, int(threads))
        with self._cond:
            if threads == self.threads or self._closed:
                return
            self.threads = threads
            self._pending = sorted(set(self._sizes), key=lambda s: (s != self._requested, -s))
            self._cond.notify_all()
        self._start_worker()

    def model_content(self, size: int) -> bytes:
        """The model bytes for one rung: the file itself at the native size."""
        if size == self.model.native_size and self.max_detections is None:
            return self.model.content
        from camapp.detect.rewrite import resize_model

        return resize_model(self.model, size, max_detections=self.max_detections)

    def _build(self, size: int) -> Any:
        """Rewrite, load and warm up one rung (the first invoke packs the XNNPACK weights)."""
        t0 = time.perf_counter()
        interp = self._make_interpreter(self.model_content(size))
        inp = interp.get_input_details()[0]
        interp.set_tensor(inp["index"], np.zeros(inp["shape"], inp["dtype"]))
        interp.invoke()
        self.build_ms[size] = (time.perf_counter() - t0) * 1000.0
        return interp

    def _make_interpreter(self, content: bytes) -> Any:
        try:
            with quiet_native_info():
                interp = self.runtime.interpreter_cls(
                    model_content=content,
                    num_threads=self.threads,
                    experimental_delegates=self.delegates or None,
                )
                interp.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"{self.model.path} cannot be loaded by {self.runtime.name}: {first}") from None
        return interp

    def _start_worker(self) -> None:
        with self._cond:
            if self._closed or not self._pending or (self._worker and self._worker.is_alive()):
                return
            self._worker = threading.Thread(target=self._work, name="camapp-rungs", daemon=True)
            self._worker.start()

    def _work(self) -> None:
        """Build pending rungs, the requested one first, until none is left.

        Between two background builds the worker rests as long as the last build took, so on
        2 cores the live stream keeps most of the CPU; a requested rung or a `prepare` call
        cuts the rest short.
        """
        while True:
            with self._cond:
                if self._closed or not self._pending:
                    self._cond.notify_all()
                    return
                size = self._requested if self._requested in self._pending else self._pending[0]
                self._pending.remove(size)
                self._building = size
            t0 = time.perf_counter()
            try:
                interp, error = self._build(size), None
            except CamappError as exc:
                interp, error = None, exc
            except Exception as exc:  # never leave prepare() waiting on a dead worker
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                interp, error = None, ModelError(f"building input size {size} failed: {first}")
            with self._cond:
                if interp is not None:
                    self._interpreters[size] = interp
                else:
                    self._errors[size] = error
                self._building = None
                self._cond.notify_all()
                self._cond.wait_for(
                    lambda: self._closed or self._waiters > 0 or self._requested in self._pending,
                    timeout=(time.perf_counter() - t0) * self.BUILD_PACING,
                )

    def prepare(self, sizes: Sequence[int] | None = None, timeout: float | None = None) -> None:
        """Block until the rungs `sizes` (all by default) are built; re-raise a failed build."""
        wanted = list(sizes or self._sizes)
        for size in wanted:
            self._check_size(size)
        self._start_worker()
        with self._cond:
            self._waiters += 1
            self._cond.notify_all()
            try:
                done = self._cond.wait_for(lambda: self._closed or all(map(self._settled, wanted)), timeout)
            finally:
                self._waiters -= 1
            for size in wanted:
                if size in self._errors:
                    raise self._errors[size]
        if not done:
            raise CamappError(f"building input sizes {wanted} took longer than {timeout} s")

    def _settled(self, size: int) -> bool:
        """Built (or failed) and not queued for a rebuild; call with the condition held."""
        if size in self._pending or size == self._building:
            return False
        return size in self._interpreters or size in self._errors

    def _interpreter_for(self, size: int) -> Any:
        """The rung's interpreter, waiting for it to be built if need be."""
        interp = self._interpreters.get(size)
        if interp is None:
            self.prepare([size])
            interp = self._interpreters.get(size)
            if interp is None:
                raise CamappError("the detector is closed")
        return interp

    def invoke(self, tensor: np.ndarray, size: int) -> SSDOutputs:
        """Run one preprocessed tensor at rung `size`; sets `last_invoke_ms` (invoke alone).

        The rung's interpreter is this detector's backend: it returns the rows every device's
        backend returns (`SSDOutputs`), decoded by the shared `postprocess`.
        """
        interp = self._interpreter_for(size)
        inp = interp.get_input_details()[0]["index"]
        interp.set_tensor(inp, tensor)
        t0 = time.perf_counter()
        interp.invoke()
        self.last_invoke_ms = (time.perf_counter() - t0) * 1000.0
        o = self.model.output_tensors
        boxes, classes, scores, count = (interp.get_tensor(o[k])[0] for k in OUTPUT_ROLES)
        return SSDOutputs(boxes, classes, scores, int(np.ravel(count)[0]) if np.size(count) else len(scores))

    def invoke_times(self, size: int, image_bgr: np.ndarray, runs: int = 20) -> list[float]:
        """Invoke-only milliseconds of `runs` runs at rung `size` on one image (for benchmarks)."""
        tensor = preprocess(image_bgr, self._shape(size), self.model.input_dtype)
        self.invoke(tensor, size)  # not timed: first call after a switch
        times = []
        for _ in range(runs):
            self.invoke(tensor, size)
            times.append(self.last_invoke_ms)
        return times

    def _shape(self, size: int) -> tuple[int, int]:
        return self.model.input_size if size == self.model.native_size else (size, size)

    def _rung_for_next_frame(self) -> int:
        """The requested rung once it is built; until then the current one (the stream goes on)."""
        size = self._requested
        return size if size in self._interpreters else self._current

    def input_tensor(self, image_bgr: np.ndarray) -> np.ndarray:
        """The network input for `image_bgr` at the rung the next `detect` will use.

        Lets a capture thread do the resize and colour conversion while inference runs;
        `detect(image, tensor)` then only invokes. A tensor made before a rung switch no longer
        fits and is remade by `detect`, so a switch never yields a wrongly sized input.
        """
        return preprocess(image_bgr, self._shape(self._rung_for_next_frame()), self.model.input_dtype)

    def detect(self, image_bgr: np.ndarray, tensor: np.ndarray | None = None) -> Detections:
        """Detections in `image_bgr`'s pixels; `tensor` is its `input_tensor`, if already made."""
        return self.infer(image_bgr, tensor)()

    def infer(self, image_bgr: np.ndarray, tensor: np.ndarray | None = None) -> Callable[[], Detections]:
        """Invoke now; the returned call decodes the boxes, on any thread.

        The pipeline decodes off the inference thread: after an invoke has evicted Python from
        the caches, decoding took 165 µs there (42 µs when repeated at once). The outputs are
        copies and the settings are those of this frame, so a later invoke or setting cannot
        change the result.
        """
        if image_bgr is None or image_bgr.ndim != 3 or image_bgr.shape[2] != 3:
            raise ValueError("detect() needs an HxWx3 BGR image")
        size = self._current = self._rung_for_next_frame()
        h, w = self._shape(size)
        if tensor is None or tensor.shape != (1, h, w, 3) or tensor.dtype != self.model.input_dtype:
            tensor = preprocess(image_bgr, (h, w), self.model.input_dtype)
        out = self.invoke(tensor, size)
        args = (out.boxes, out.classes, out.scores, out.count, image_bgr.shape, self.names)
        return functools.partial(postprocess, *args, self.threshold, self.classes)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._pending.clear()
            worker = self._worker
            self._cond.notify_all()
        if worker is not None and worker is not threading.current_thread():
            worker.join(timeout=10)
        with self._cond:
            self._interpreters.clear()


def open_cpu(
    model: str | Path | None,
    *,
    labels: str | Path | None = None,
    device: str = "cpu",
    warn: Callable[[str], None] | None = None,
    **options: Any,
) -> TFLiteDetector:
    """Resolve `model` through the store, validate it, and build the CPU detector."""
    from camapp.labels import load_labels, no_labels_warning
    from camapp.store import resolve_model
    from camapp.tflite.model import read_model

    model_path, labels_path = resolve_model(model, labels, kind="cpu")
    ssd = read_model(model_path)
    names = load_labels(labels_path) if labels_path else ()
    check_labels(ssd, names, labels_path)
    detector = TFLiteDetector(ssd, names, **options)
    if not names:
        detector.warnings.append(no_labels_warning(model_path))
        (warn or (lambda text: print(f"camapp: warning: {text}", file=sys.stderr)))(detector.warnings[-1])
    return detector


open_detector = open_cpu


def probe(sysfs: Path) -> Probe:
    """The CPU is always there; what can fail is the TFLite runtime."""
    try:
        runtime = get_runtime().name
    except CamappError as exc:
        return Probe((f"  CPU: {exc}",))
    cores = os.cpu_count() or 1
    return Probe((f"  CPU: {cores} cores, {runtime} runtime  -> --device cpu",), (Found("cpu", "CPU"),))


def check_labels(model: SSDModel, names: Sequence[str], labels_path: Path | None) -> None:
    """A label file must name exactly the model's classes, or every label shown would be wrong."""
    from camapp.detect.rewrite import postprocess_options

    classes = postprocess_options(model).get("num_classes")
    if names and classes is not None and len(names) != int(classes):
        raise ModelError(
            f"label file {labels_path} has {len(names)} names but {model.path.name} has {int(classes)} "
            "classes (one name per line; a leading '???' background line is skipped)"
        )
