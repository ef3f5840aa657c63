"""`SnapshotWriter`: the annotated frame as PNG or JPEG, on request and/or every N seconds."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import cv2

from camapp.errors import CamappError
from camapp.outputs import write_new
from camapp.record.base import ErrorCallback, Report, Worker, describe
from camapp.record.encode import frame_time
from camapp.render import annotate

if TYPE_CHECKING:
    from camapp.pipeline import Result

log = logging.getLogger("camapp.record")

FORMATS = {"png": ".png", "jpg": ".jpg", "jpeg": ".jpg"}


class SnapshotWriter(Worker):
    """Write annotated snapshots into `directory` (`--snapshot-dir`).

    `snapshot()` asks for the next submitted result and returns a `Future` that resolves to the
    file's path (or raises the write error). `every=N` also saves one frame each N seconds of frame
    time. Only frames that are saved are queued, so `submit()` costs nothing otherwise.
    Errors (full disk, unwritable directory): as `VideoRecorder` — `error`, one log line,
    `on_error`, and pending futures fail.
    """

    slot: ClassVar[str] = "snapshots"

    def __init__(
        self,
        directory: str | Path,
        *,
        every: float | None = None,
        fmt: str = "png",
        jpeg_quality: int = 92,
        queue_size: int = 8,
        on_error: ErrorCallback | None = None,
    ) -> None:
        if fmt.lower() not in FORMATS:
            raise CamappError(f"snapshot format {fmt!r}: use png or jpg")
        if every is not None and every <= 0:
            raise CamappError("snapshot interval must be positive seconds")
        self.directory = Path(directory)
        super().__init__(f"snapshots in {self.directory}", queue_size, on_error, name="camapp-snapshots")
        self.every = every
        self.ext = FORMATS[fmt.lower()]
        self.params = [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality] if self.ext == ".jpg" else []
        self.saved: list[Path] = []
        self._requests: list[Future[Path]] = []
        self._req_lock = threading.Lock()
        self._next_t: float | None = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.fail(f"cannot write to {self.directory}: {describe(exc)}")
            return
        self._start()

    def report(self) -> Report:
        return Report(str(self.directory), len(self.saved))

    def snapshot(self) -> Future[Path]:
        """Save the next result; the future gives its path. Fails at once if stopped."""
        fut: Future[Path] = Future()
        if not self.running:
            fut.set_exception(CamappError(self.error or "snapshots are closed"))
            return fut
        with self._req_lock:
            self._requests.append(fut)
        return fut

    def submit(self, result: Result) -> None:
        with self._req_lock:
            requests, self._requests = self._requests, []
        due = False
        if self.every is not None:
            t = frame_time(result.frame)
            if self._next_t is None or t >= self._next_t or t < self._next_t - 2 * self.every:
                due = True
                self._next_t = t + self.every
        if (requests or due) and not self._offer((result, requests)):
            for fut in requests:
                fut.set_exception(CamappError(self.error or "snapshot dropped: writer busy"))

    def _handle(self, item: tuple[Result, list[Future[Path]]]) -> None:
        result, requests = item
        try:
            path = self._write(result)
        except Exception as exc:
            for fut in requests:
                fut.set_exception(exc)
            raise
        for fut in requests:
            fut.set_result(path)

    def _discard(self, item: tuple[Result, list[Future[Path]]]) -> None:
        for fut in item[1]:
            fut.set_exception(CamappError(self.error or "snapshots stopped"))

    def _write(self, result: Result) -> Path:
        image = annotate(result.frame.image, result.detections, result.stats, getattr(result, "track", None))
        ok, data = cv2.imencode(self.ext, image, self.params)
        if not ok:
            raise RuntimeError(f"OpenCV could not encode {self.ext}")
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")[:-3]
        # a fresh name, never replacing a file; OSError carries the reason (ENOSPC, EACCES, EFBIG)
        # and no half-written image is left behind
        path = write_new(
            self.directory / f"snapshot-{stamp}-f{result.frame.index:06d}{self.ext}", data.tobytes()
        )
        self.saved.append(path)
        return path

    def _finish(self) -> None:
        with self._req_lock:
            requests, self._requests = self._requests, []
        for fut in requests:
            fut.set_exception(CamappError("snapshots closed before another frame arrived"))
