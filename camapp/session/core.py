"""`Session`: one running set-up (detector, source, pipeline, recorders) behind every front-end.

The commands are here (threads and errors: see `camapp.session.base`): opening, live settings,
tracking, recorders, devices, stopping. What they build is described by `camapp.session.specs`.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any

from camapp.errors import CamappError, SourceError
from camapp.pipeline.memory import memory_warning
from camapp.session.base import Cancelled, SessionBase, kind_of
from camapp.session.devices import list_accelerators, loads_before_source, runs_on_cpu_threads
from camapp.session.loader import describe_source, detector_info, lanes_for, load_detector
from camapp.session.motion import MotionSpec, check_motion, motion_event, new_gate
from camapp.session.recorders import FOLLOW, SLOT_KIND, build_recorders, recorder_path
from camapp.session.specs import (
    BuildContext,
    DetectorInfo,
    EventSpec,
    ModelMissing,
    ModelSpec,
    OutputSpec,
    SourceSpec,
    TrackSpec,
    VideoSpec,
    check_zones,
    class_ids,
    is_camera_spec,
    is_file_spec,
    model_missing_message,
    run_inputs,
)
from camapp.session.status import build_status
from camapp.session.tracking import apply_live, build_pipeline, watched_zones
from camapp.session.worker import list_cameras, measure_rungs

if TYPE_CHECKING:
    from camapp.pipeline import Result, Stats
    from camapp.pipeline.tracking import TrackingPipeline
    from camapp.record import Recorder, Report
    from camapp.sources.base import Source


class Session(SessionBase):
    """Owns the pipeline's parts; front-ends send commands and listen to events (docs/session.md)."""

    # --- opening ------------------------------------------------------------------------------
    def open(
        self,
        source: str | SourceSpec,
        model: ModelSpec | None = None,
        outputs: Iterable[OutputSpec] = (),
        *,
        classes: list[str] | None = None,
        max_frames: int | None = None,
        reconnect_timeout: float | None = None,
    ) -> Future:
        """Stop what runs, (re)load the detector if `model` changed, open `source` and start.

        `outputs` start with the first frame; `classes` (label names) set the class filter.
        """
        spec = SourceSpec.of(source)
        model = model or self.model or ModelSpec(measure=True)
        self._generation += 1  # results of the pipeline being replaced go quiet now
        limits = {"max_frames": max_frames, "reconnect_timeout": reconnect_timeout}
        return self._job(lambda: self._open(spec, model, list(outputs), classes, limits))

    def set_model(self, model: ModelSpec) -> Future:
        """Load another model or device and restart the current source on it."""
        if self.source is None:
            return self._job(lambda: self._load(model))
        return self.open(self.source, model, **self._limits)

    def _open(
        self,
        spec: SourceSpec,
        model: ModelSpec,
        outputs: list[OutputSpec],
        classes: list[str] | None,
        limits: dict[str, Any],
    ) -> None:
        from camapp.sources import open_source

        self._stop_pipeline()
        self.source = spec
        self._set_state("opening", f"Opening {spec.spec}…")
        self.emit("opening", text=f"Opening {spec.spec}…")
        try:  # the AI Camera's network must reach the sensor before the camera opens
            if loads_before_source(model.device, spec.spec) and (self.detector is None or self.model != model):
                self._load(model, 1, classes)
        except CamappError as exc:
            self._set_state("failed", str(exc), kind_of(exc))
            raise
        try:  # the source first: a wrong path or URL is reported before the model loads
            source = open_source(
                spec.spec,
                width=spec.width,
                height=spec.height,
                fps=spec.fps,
                realtime=spec.realtime,
                loop=spec.loop,
            )
        except SourceError as exc:
            self._source_failed(spec, model, exc)
            raise
        try:
            lanes = lanes_for(model.schedule, model.device, model.threads, source.realtime)
            if self.detector is None or self.model != model or self.lanes != lanes:
                self._load(model, lanes, classes)
            elif classes:
                self.set_classes(classes)
            if self._cancel.is_set():
                raise Cancelled("the session closed while starting")
            consumers = self._build(outputs)  # asked for with this source: a failure fails the open
            consumers.update(self._rearm(consumers))
        except BaseException as exc:
            source.close()
            if isinstance(exc, CamappError) and not isinstance(exc, Cancelled):
                self._set_state("failed", str(exc), kind_of(exc))
            raise
        self._limits = limits  # a later set_model() restarts with the same limits
        self._start(spec, source, consumers)

    def _rearm(self, taken: dict[str, Recorder]) -> dict[str, Recorder]:
        """Event clips and the log armed earlier; one that cannot start is reported and disarmed,
        the source runs anyway."""
        built: dict[str, Recorder] = {}
        for slot, spec in list(self.armed.items()):
            if slot in taken:
                continue
            try:
                built.update(self._build([spec]))
            except CamappError as exc:
                self.armed.pop(slot, None)
                self._fail(exc, SLOT_KIND[slot])
        return built

    def _source_failed(self, spec: SourceSpec, model: ModelSpec, exc: SourceError) -> None:
        # a camera index with no camera at all; picam keeps its own advice (install picamera2)
        plain = is_camera_spec(spec.spec) and not spec.spec.startswith("picam")
        cameras = list_cameras() if plain else None
        if cameras == []:
            self.emit("cameras", cameras=cameras)
            kind, text = "no-camera", "No camera found"
        else:
            kind, text = "source", str(exc)
        self.emit("failed", kind=kind, text=text)
        exc.reported = True  # type: ignore[attr-defined]
        self._set_state("failed", text, kind)
        if model.measure and (self.detector is None or self.model != model):
            # the controls get labels and rungs, and the next source starts without waiting;
            # a model problem stays off the screen: one problem at a time, the source's
            with contextlib.suppress(CamappError):
                self._load(model, quiet=True)

    def _load(
        self, model: ModelSpec, lanes: int = 1, classes: list[str] | None = None, quiet: bool = False
    ) -> DetectorInfo:
        """Load the detector and, with `model.measure`, time its rungs (raises on close)."""
        if self.detector is not None:
            self.detector.close()
            self.detector = None
            self.info = None
        missing = model_missing_message(model)
        if missing:
            raise ModelMissing(missing)
        if not quiet:
            self.emit("opening", text="Loading the model…")
        with self._lock:
            self.warnings = []
        self.emit("warning", text="")  # a new detector: the last one's warnings no longer apply
        said: list[str] = []

        def warn(text: str) -> None:  # the accelerator's warnings, now or later (a lost Coral)
            said.append(text)
            print(f"camapp: warning: {text}", file=sys.stderr)
            self._warn(text)

        spec = model if model.threads or not self.threads else _with_threads(model, self.threads)
        det = load_detector(spec, threshold=self.threshold, classes=classes, lanes=lanes, warn=warn)
        self.detector, self.model, self.lanes = det, model, lanes
        self.live.reset()  # other networks: their live figures start again
        if classes:
            self.classes = det.classes
        for text in getattr(det, "warnings", ()):
            if text not in said:
                self._warn(str(text))
        watch = getattr(det, "watch_progress", None)
        if callable(watch):  # a device with slow start-up steps (the AI Camera's firmware upload)
            watch(self._device_progress)
        self.info = detector_info(det)
        self.emit("detector", info=self.info)
        if model.measure:

            def progress(n: int, total: int) -> None:
                if not quiet:
                    self.emit("opening", text=f"Timing input sizes on this machine… {n + 1}/{total}")

            measured = measure_rungs(det, progress=progress, cancelled=self._cancel.is_set)
            if self._cancel.is_set():
                raise Cancelled("the session closed while starting")
            self.rung_ms = measured
            self.emit("measured", ms=self.live.merged(measured))
        return self.info

    def _device_progress(self, what: str, done: int, total: int) -> None:
        """A device's slow step, as the other start-up steps are shown ("opening"); when it ends
        after the source started, the state is said again so front-ends show it instead."""
        percent = min(100, 100 * done // total) if total > 0 else 0
        self.emit("opening", text=f"{what}: {percent}%", what=what, done=done, total=total, percent=percent)
        if percent == 100 and self.state in ("running", "paused"):
            self._set_state(self.state, self.state_text)

    def _warn(self, text: str) -> None:
        with self._lock:
            self.warnings.append(text)
        self.emit("warning", text=text)

    def _start(self, spec: SourceSpec, source: Source, consumers: dict[str, Recorder]) -> None:
        gen = self._generation
        try:  # worker only; with tracking, the TrackingPipeline and its stage
            pipeline, stage = build_pipeline(
                source, self.detector, consumers.values(), self.tracking, motion=self.motion, **self._limits
            )
        except BaseException:
            source.close()
            for rec in consumers.values():
                rec.close()
            raise
        if self.linger is not None:
            pipeline.objects.linger = self.linger
        pipeline.on_result(lambda r: self._on_result(gen, r))
        pipeline.on_state(lambda s: self._on_state(gen, s))
        short = memory_warning(source.size, encoders=len({"video", "events"} & consumers.keys()))
        if short:  # said at the start, not found out when the machine kills the run
            print(f"camapp: warning: {short}", file=sys.stderr)
            self._warn(short)
        with self._lock:
            self.pipeline, self.outputs, self.stage = pipeline, consumers, stage
            self.moving, self.motion_gate = False, getattr(pipeline, "motion", None)
            self.reports = dict(consumers)
            self.source_text = describe_source(source)
        self._apply(pipeline)
        if self.paused:
            pipeline.pause()
        pipeline.start()
        self.emit("opened", source=spec.spec, text=self.source_text)
        for slot, rec in consumers.items():
            self.emit("recording_started", what=slot, path=recorder_path(rec))

    def _on_result(self, gen: int, result: Result) -> None:
        if gen == self._generation:
            self.latest = result
            self.emit("result", result=result)
            if self.live.feed(result.stats):  # the running rung's own median replaces its estimate
                self.emit("measured", ms=self.live.merged(self.rung_ms))
            track = result.track
            for event in track.events if track is not None else ():
                self.emit("track", **event)  # cross, enter, exit: as the log writes them
            for obj in result.objects.events if result.objects is not None else ():
                self.emit("object", **obj.to_dict())
            moved = motion_event(result, self.moving)
            if moved is not None:
                self.moving = not self.moving
                self.motion_starts += self.moving
                self.emit("motion", **moved)  # start, end: in frame order, like track events

    def _on_state(self, gen: int, stats: Stats) -> None:
        if gen != self._generation:
            return
        if stats.state == "error":
            self._set_state("failed", stats.message, "pipeline")
        else:
            self._set_state(stats.state, stats.message)

    def _apply(self, p: TrackingPipeline) -> None:
        """Hand the live settings to a new pipeline (leniently: a rung the model lacks is skipped)."""
        p.set_threshold(self.threshold)
        p.set_classes(self.classes)
        p.set_detect(self.detect)
        det = self.detector
        if self.threads and runs_on_cpu_threads(det.device) and self.threads != getattr(det, "threads", self.threads):
            p.set_threads(self.threads)
        sizes = tuple(det.input_sizes)
        if self.input_size == "auto" and len(sizes) > 1 and not getattr(det, "regions", None):
            p.set_input_size("auto", target_fps=self.target_fps)
        elif isinstance(self.input_size, int) and self.input_size in sizes:
            p.set_input_size(self.input_size)

    # --- live settings: cheap and thread-safe, applied between frames --------------------------
    def set_input_size(self, size: int | str, target_fps: float | None = None) -> Future:
        """A rung of the ladder, or "auto" to hold `target_fps` (default: the source's rate).

        On a device whose network input is fixed and whose detector has `regions`, a size is a
        stop of the inference region (a centred zoom) and moves it; "auto" does not apply there.
        """
        if size == "auto" and getattr(self.detector, "regions", None):
            return self._refused(
                CamappError(
                    f"auto picks an input size by speed; on {self.detector.device} the network's input "
                    "is fixed and the sizes pick the region it sees"
                )
            )
        return self._now(
            lambda p: p.set_input_size(size, target_fps=target_fps), input_size=size, target_fps=target_fps
        )

    def set_threshold(self, threshold: float) -> Future:
        return self._now(lambda p: p.set_threshold(threshold), threshold=float(threshold))

    def set_classes(self, classes: Iterable[int | str] | None) -> Future:
        """Only these classes (ids or label names); None for all."""
        try:
            wanted = None if classes is None else list(classes)
            if wanted and isinstance(wanted[0], str):
                names = self.info.names if self.info else ()
                wanted = class_ids(names, [str(c) for c in wanted])
            ids = None if wanted is None else frozenset(int(c) for c in wanted)
        except CamappError as exc:
            return self._refused(exc)
        return self._now(lambda p: p.set_classes(ids), classes=ids)

    def set_threads(self, threads: int) -> Future:
        det = self.detector
        live = det is not None and runs_on_cpu_threads(det.device) and callable(getattr(det, "set_threads", None))
        self.live.reset()  # another thread count: every rung's time changes
        return self._now(lambda p: live and p.set_threads(threads), threads=int(threads))

    def pause(self) -> Future:
        return self._now(lambda p: p.pause(), paused=True)

    def resume(self) -> Future:
        return self._now(lambda p: p.resume(), paused=False)

    def set_detect(self, on: bool) -> Future:
        """Detection on, or off: no frame goes to the detector (the CPU or accelerator rests),
        while video, recordings and the front-ends go on with no boxes; objects in view end
        as objects that leave do, after their linger. Remembered for the next source."""
        return self._now(lambda p: p.set_detect(on), detect=bool(on))

    def _now(self, call: Callable[[TrackingPipeline], object], **remember: Any) -> Future:
        """Apply to the running pipeline (validated there), then remember for the next one."""
        p = self.pipeline
        try:
            if p is not None:
                call(p)
        except CamappError as exc:
            return self._refused(exc)
        with self._lock:
            for key, value in remember.items():
                setattr(self, key, value)
        future: Future = Future()
        future.set_result(None)
        return future

    def _refused(self, exc: CamappError) -> Future:
        future: Future = Future()
        self._fail(exc, "setting", future)
        return future

    # --- tracking -----------------------------------------------------------------------------
    def set_tracking(self, spec: TrackSpec | None) -> Future:
        """Tracking on (`TrackSpec`) or off (None), remembered for the next source. Applied on
        the worker, between two frames: on/off, lines, zones, trail and detect-every change live
        (the source keeps its position, recordings go on; turning it on starts fresh counts).
        Only another region (`roi`) restarts the pipeline on the same source (as `set_model`
        does: a video recording ends there, event clips and the log follow). The future holds
        "live", "restarted" or "remembered" (no source yet)."""

        def apply() -> str:
            # event clips waiting for a zone keep tracking on, with that zone (say so, refuse)
            running = [self.specs[k] for k in self.outputs if k in self.specs]
            check_zones(watched_zones([*self.armed.values(), *running]), spec)
            if spec is not None:
                spec.check()
            check_motion(self.motion, spec)
            old, self.tracking = self.tracking, spec
            if self.pipeline is None:
                return "remembered"
            live, stage = apply_live(self.pipeline, self.stage, old, spec)
            if live:
                with self._lock:
                    self.stage = stage
                return "live"
            if self.source is not None and self.model is not None:
                self._generation += 1
                self._open(self.source, self.model, [], None, self._limits)
            return "restarted"

        return self._job(apply, "setting")

    def set_motion(self, spec: MotionSpec | None) -> Future:
        """The motion gate on (`MotionSpec`) or off (None), remembered for the next source and
        applied live between two frames (a new gate learns the background afresh; the same
        mode with other settings keeps it). The future holds "live" or "remembered"."""

        def apply() -> str:
            check_motion(spec, self.tracking)
            self.motion = spec
            p = self.pipeline
            if p is None:
                return "remembered"
            gate = p.motion
            if spec is None:
                p.set_motion(None)
            elif gate is not None:
                gate.set_settings(spec.settings(), regions=spec.mode == "regions")
                gate.keepalive_s, gate.overlay = spec.keepalive, spec.overlay
            else:
                gate = new_gate(spec, self.detector)
                p.set_motion(gate)
            with self._lock:
                self.moving = self.moving and spec is not None
                self.motion_gate = gate if spec is not None else self.motion_gate
            return "live"

        return self._job(apply, "setting")

    # --- recorders: every start and stop runs on the worker ----------------------------------
    def start_output(self, spec: OutputSpec, *, follow: bool | None = None) -> Future:
        """Start a recorder on the running pipeline; the future holds its path. Event clips and
        the log (`follow`, default for them) restart by themselves on the next source."""
        slot = spec.slot
        if follow is None:
            follow = slot in FOLLOW

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
            if self.linger is not None:
                self.pipeline.objects.linger = self.linger
            self.pipeline.add_consumer(rec)
            path = recorder_path(rec)
            self.emit("recording_started", what=slot, path=path)
            return path

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

    def report(self, slot: str, *, last: bool = False) -> Report | None:
        """What the recorder running in `slot` has written, or None; with `last`, also the last
        one's after it stopped (for a summary). Any thread."""
        with self._lock:
            rec = self.outputs.get(slot) or (self.reports.get(slot) if last else None)
        return rec.report() if rec is not None else None

    def _build(self, specs: list[OutputSpec]) -> dict[str, Recorder]:
        ctx = BuildContext(
            names=tuple(self.detector.names) if self.detector is not None else (),
            lossless=self.source is not None and not self.source.realtime,
            inputs=run_inputs(self.source.spec if self.source else None, self.model),
            tracking=self.tracking,
            camera=camera_name(self.source.spec) if self.source else "",
            on_clip=self._on_clip,
            on_recording=self._on_recording,
            on_pruned=self._on_pruned,
            held=self._held,
        )
        built = build_recorders(specs, ctx, self._broke)
        for spec in specs:
            self.specs[spec.slot] = spec
            if isinstance(spec, EventSpec):
                self.linger = spec.post_roll  # objects end when their clips do
        return built

    def _on_clip(self, object_id: int, clip: Path, offset: float) -> None:
        """An event clip shows object `object_id` from `offset` s in (the clip recorder's thread):
        say so, and tell the event history."""
        from camapp.record.history import EventHistory

        self.emit("clip", id=object_id, path=str(clip), offset=round(offset, 3))
        history = self.outputs.get("history")
        if isinstance(history, EventHistory):
            history.link(object_id, clip, offset)

    def _on_recording(self, object_id: int, path: Path, offset: float) -> None:
        """The continuous recording's file `path` shows object `object_id` from `offset` s in."""
        from camapp.record.history import EventHistory

        history = self.outputs.get("history")
        if isinstance(history, EventHistory):
            history.link_recording(object_id, path, offset)

    def _on_pruned(self, paths: list[Path]) -> None:
        """The recording's disk cap deleted `paths`: the history marks the events they showed."""
        from camapp.record.history import EventHistory

        history = self.outputs.get("history")
        if isinstance(history, EventHistory):
            history.forget(paths)

    def _held(self) -> list[Path]:
        """The files the run's recorders are writing or finalizing now (any thread)."""
        with self._lock:
            running = [*self.outputs.values(), *getattr(self, "_closing", ())]
        held: list[Path] = []
        for rec in running:
            files = getattr(rec, "held", None)
            if callable(files):
                held += files()
        return held

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

    def _stopped(self, slot: str, rec: Recorder) -> None:
        report = rec.report()
        self.emit("recording_stopped", what=slot, path=report.path, frames=report.frames)

    def snapshot(self, folder: str | Path, result: Result | None = None) -> Future:
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

    # --- devices and the model store ----------------------------------------------------------
    def scan_devices(self) -> None:
        """Cameras and accelerators, found on a thread of their own (probing can be slow)."""

        def scan() -> None:
            self.emit("cameras", cameras=list_cameras())
            self.emit("accelerators", accelerators=list_accelerators())

        threading.Thread(target=scan, name="camapp-scan", daemon=True).start()

    def fetch_model(self) -> Future:
        """Download the default model into the store."""

        def fetch() -> None:
            from camapp.store import load_catalog
            from camapp.store.fetch import fetch

            self.emit("opening", text="Downloading the model…")
            try:
                fetch(load_catalog().default("cpu"), progress=False, say=lambda _: None)
            except CamappError as exc:
                raise ModelMissing(f"Download failed: {exc}") from None
            self.emit("fetched")

        return self._job(fetch)

    # --- running and stopping -----------------------------------------------------------------
    def wait(self, timeout: float | None = None) -> bool:
        """True once the input ended, an error stopped the pipeline, or there is none."""
        p = self.pipeline
        return True if p is None else p.wait(timeout)

    def status(self) -> dict[str, Any]:
        """A JSON-able snapshot of everything a front-end shows (see `camapp.session.status`)."""
        return build_status(self)

    def stop(self) -> Future:
        """Stop the pipeline and finalize every recorder; the detector stays loaded."""
        return self._job(self._stop_pipeline)

    def _stop_pipeline(self) -> None:
        with self._lock:
            p, self.pipeline = self.pipeline, None
            outputs, self.outputs = self.outputs, {}
            self._closing = list(outputs.values())  # their files stay held while they close
        try:
            if p is not None:
                p.stop(timeout=3.0)  # closes every consumer: recordings are finalized here
                self._last_stats = p.stats
                for obj in p.objects.close():  # objects still in view end with the run
                    self.emit("object", **obj.to_dict())
            for slot, rec in outputs.items():
                rec.close()
                self._stopped(slot, rec)
        finally:
            with self._lock:
                self._closing = []

    def close(self, timeout: float = 5.0) -> bool:
        """Finalize recordings, stop every thread, free the detector; True if done in time."""

        def final() -> None:
            self._stop_pipeline()
            if self._snapshots is not None:
                self._snapshots.close()
            if self.detector is not None:
                self.detector.close()
                self.detector = None

        self._cancel.set()
        self._generation += 1
        ok = self.worker.run_and_wait(final, timeout)
        self._set_state("closed")
        with self._lock:
            self._closed = True
        self.worker.stop()
        return ok


def camera_name(spec: str) -> str:
    """What the event history calls a source: a file's name, else the spec (`0`, a URL)."""
    return Path(spec).name if is_file_spec(spec) else spec


def _with_threads(model: ModelSpec, threads: int) -> ModelSpec:
    from dataclasses import replace

    return replace(model, threads=threads)
