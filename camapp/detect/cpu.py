"""SSD-MobileNet on the CPU through a TFLite interpreter (XNNPACK, N threads).

Each input size ("rung" of the resolution multiplier) is its own rewritten model and
interpreter, built once and cached, so switching rungs live costs nothing at switch time.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from camapp.detect.base import postprocess, preprocess
from camapp.detect.model import SSDModel
from camapp.detect.runtime import Runtime, get_runtime, quiet_native_info
from camapp.errors import CamappError, ModelError
from camapp.types import Detections


class TFLiteDetector:
    """A `Detector` on a TFLite interpreter; the Edge TPU backend reuses it with a delegate."""

    device = "cpu"

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
    ) -> None:
        self.model = model
        self.names = tuple(names)
        self.runtime = runtime or get_runtime()
        self.threads = max(1, threads or os.cpu_count() or 1)
        self.threshold = float(threshold)
        self.classes = frozenset(classes) if classes is not None else None
        self.max_detections = max_detections
        self.delegates = list(delegates)
        sizes = sorted(set(input_sizes or [model.native_size]), reverse=True)
        self._sizes = tuple(sizes)
        self._interpreters: dict[int, Any] = {}
        self._lock = threading.Lock()
        self.last_invoke_ms = 0.0
        start = input_size or model.native_size
        if start not in self._sizes:
            raise CamappError(
                f"input size {start} is not available; choose one of {', '.join(map(str, sizes))}"
            )
        self._interpreter_for(start)
        self._current = self._requested = start

    @property
    def native_size(self) -> int:
        return self.model.native_size

    @property
    def input_sizes(self) -> tuple[int, ...]:
        return self._sizes

    @property
    def input_size(self) -> int:
        """The size the most recent `detect` ran at (a request takes effect on the next frame)."""
        return self._current

    def set_input_size(self, size: int) -> None:
        """Thread-safe: applied at the start of the next `detect` call."""
        if size not in self._sizes:
            raise CamappError(
                f"input size {size} is not available; choose one of {', '.join(map(str, self._sizes))}"
            )
        self._requested = size

    def model_content(self, size: int) -> bytes:
        """The model bytes for one rung: the file itself at the native size."""
        if size == self.model.native_size and self.max_detections is None:
            return self.model.content
        from camapp.detect.rewrite import resize_model

        return resize_model(self.model, size, max_detections=self.max_detections)

    def _interpreter_for(self, size: int) -> Any:
        with self._lock:
            interp = self._interpreters.get(size)
            if interp is None:
                interp = self._make_interpreter(self.model_content(size))
                self._interpreters[size] = interp
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

    def prepare(self, sizes: Sequence[int] | None = None) -> None:
        """Build the interpreters for `sizes` (all rungs by default) ahead of a live switch."""
        for size in sizes or self._sizes:
            self._interpreter_for(size)

    def invoke(self, tensor: np.ndarray, size: int) -> tuple[np.ndarray, ...]:
        interp = self._interpreter_for(size)
        inp = interp.get_input_details()[0]["index"]
        interp.set_tensor(inp, tensor)
        t0 = time.perf_counter()
        interp.invoke()
        self.last_invoke_ms = (time.perf_counter() - t0) * 1000.0
        o = self.model.output_tensors
        return tuple(interp.get_tensor(o[k])[0] for k in ("boxes", "classes", "scores", "count"))

    def detect(self, image_bgr: np.ndarray) -> Detections:
        if image_bgr is None or image_bgr.ndim != 3 or image_bgr.shape[2] != 3:
            raise ValueError("detect() needs an HxWx3 BGR image")
        size = self._requested
        self._current = size
        h, w = self.model.input_size
        shape = (size, size) if size != self.model.native_size else (h, w)
        tensor = preprocess(image_bgr, shape, self.model.input_dtype)
        boxes, classes, scores, count = self.invoke(tensor, size)
        return postprocess(
            boxes,
            classes,
            scores,
            int(np.ravel(count)[0]) if np.size(count) else len(scores),
            image_bgr.shape,
            self.names,
            self.threshold,
            self.classes,
        )

    def close(self) -> None:
        with self._lock:
            self._interpreters.clear()


def open_cpu(
    model: str | Path | None, *, labels: str | Path | None = None, device: str = "cpu", **options: Any
) -> TFLiteDetector:
    """Resolve `model` through the store, validate it, and build the CPU detector."""
    from camapp.detect.model import read_model
    from camapp.labels import load_labels
    from camapp.store import resolve_model

    model_path, labels_path = resolve_model(model, labels, kind="cpu")
    ssd = read_model(model_path)
    names = load_labels(labels_path) if labels_path else ()
    return TFLiteDetector(ssd, names, **options)
