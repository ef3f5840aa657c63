"""The session's recorders: video (with segments), event clips, the detection log, snapshots.

Each is a pipeline consumer in one slot ("video", "events", "log", "snapshots"). Event clips and
the log follow the session to the next source; a recorder that fails is reported as a `failed`
event and detached, and the run goes on.
"""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path
from typing import Any

from camapp.errors import CamappError
from camapp.session.base import SessionBase
from camapp.session.specs import (
    SLOTS,
    EventSpec,
    LogSpec,
    OutputSpec,
    VideoSpec,
    build_output,
    check_distinct,
    check_zones,
    run_inputs,
)
from camapp.session.status import frames_of, output_path

SLOT_KIND = {"video": "record", "events": "events", "log": "log", "snapshots": "snapshots"}


class Outputs(SessionBase):
    """Recorder commands; every start and stop runs on the session's worker."""

    def start_output(self, spec: OutputSpec, *, follow: bool | None = None) -> Future:
        """Start a recorder on the running pipeline; the future holds its path. Event clips and
        the log (`follow`, default for them) restart by themselves on the next source."""
        slot = SLOTS[type(spec)]
        if follow is None:
            follow = isinstance(spec, (EventSpec, LogSpec))

        def start() -> str:
            if slot in self.outputs:
                raise CamappError(f"{slot} is already being written")
            if follow:
                self.armed[slot] = spec
            if self.pipeline is None:
                return ""  # armed: starts with the next source
            try:
                rec = self._build([spec])[slot]
            except CamappError:
                self.armed.pop(slot, None)
                raise
            with self._lock:
                self.outputs[slot] = self.reports[slot] = rec
            self.pipeline.add_consumer(rec)
            self.emit("recording_started", what=slot, path=output_path(rec))
            return output_path(rec)

        return self._job(start, SLOT_KIND[slot])

    def stop_output(self, slot: str) -> Future:
        """Stop and finalize one recorder ("video", "events", "log", "snapshots")."""
        self.armed.pop(slot, None)
        return self._job(lambda: self._stop_output(slot))

    def start_recording(self, spec: VideoSpec) -> Future:
        return self.start_output(spec)

    def stop_recording(self) -> Future:
        return self.stop_output("video")

    def start_events(self, spec: EventSpec) -> Future:
        return self.start_output(spec)

    def stop_events(self) -> Future:
        return self.stop_output("events")

    def _build(self, specs: list[OutputSpec]) -> dict[str, Any]:
        check_distinct(specs)
        lossless = self.source is not None and not self.source.realtime
        names = tuple(self.detector.names) if self.detector is not None else ()
        inputs = run_inputs(self.source.spec if self.source else None, self.model)
        built: dict[str, Any] = {}
        try:
            for spec in specs:
                if isinstance(spec, EventSpec):
                    check_zones(spec.classes, self.tracking)  # zone:NAME needs that zone
                slot = SLOTS[type(spec)]
                built[slot] = build_output(
                    spec, names, lossless, on_error=lambda m, s=slot: self._broke(s, m), inputs=inputs
                )
        except BaseException:
            for rec in built.values():
                rec.close()
            raise
        return built

    def _broke(self, slot: str, message: str) -> None:
        """A recorder thread hit a write error (full disk): report it, then detach the recorder."""
        text = f"Recording stopped: {message}" if slot == "video" else message
        self.emit("failed", kind=SLOT_KIND[slot], text=text)
        self.armed.pop(slot, None)
        self.worker.submit(lambda: self._stop_output(slot))

    def _stop_output(self, slot: str) -> None:
        with self._lock:
            rec = self.outputs.pop(slot, None)
        if rec is None:
            return
        if self.pipeline is not None:
            self.pipeline.remove_consumer(rec)
        rec.close()  # encodes what is queued and writes the trailer
        self._stopped(slot, rec)

    def _stopped(self, slot: str, rec: Any) -> None:
        self.emit("recording_stopped", what=slot, path=output_path(rec), frames=frames_of(rec))

    def snapshot(self, folder: str | Path, result: Any = None) -> Future:
        """Save `result` (default: the newest; works while paused) as a PNG; the future holds its path."""
        from camapp.record import SnapshotWriter

        result = result if result is not None else self.latest
        future: Future = Future()

        def save() -> None:
            if result is None:
                raise CamappError("Nothing to snapshot yet")
            writer = self._snapshots
            if writer is None or writer.directory != Path(folder) or not writer.running:
                if writer is not None:
                    writer.close()
                writer = self._snapshots = SnapshotWriter(folder, fmt="png")
            saved = writer.snapshot()
            writer.submit(result)  # not a pipeline consumer: it gets exactly this frame

            def done(fut: Future) -> None:
                try:
                    path = str(fut.result())
                except Exception as exc:
                    self._fail(CamappError(f"Snapshot not saved: {exc}"), "snapshot", future)
                    return
                self.emit("snapshot", path=path)
                future.set_result(path)

            saved.add_done_callback(done)

        job = self._job(save, "snapshot")
        job.add_done_callback(
            lambda j: j.exception() and not future.done() and future.set_exception(j.exception())
        )
        return future
