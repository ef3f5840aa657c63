"""SSD-MobileNet on a Coral Edge TPU: the CPU detector's interpreter with the Edge TPU delegate.

An `_edgetpu.tflite` model is compiled for one input size, so the resolution multiplier does not
apply (`input_sizes` has one rung and `fixed_input_reason` says why). When the Edge TPU cannot be
used the detector falls back to the CPU with the model's CPU twin, saying exactly why (stderr and
`fallback_reason`), unless `fallback=False`, which raises `DeviceError` instead.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from camapp.detect.base import DeviceKind, Found, Probe
from camapp.detect.cpu import TFLiteDetector
from camapp.errors import CamappError, DeviceError, ModelError
from camapp.hw import edgetpu as runtime_probe
from camapp.hw import usb
from camapp.hw.edgetpu import load_edgetpu_delegate, parse_device
from camapp.tflite.model import SSDModel
from camapp.types import Detections

DEVICE = DeviceKind(
    "edgetpu", "Edge TPU", "edgetpu[:usb|:pci][:N]", "Coral Edge TPU", fallback=True, catalog_model=True
)
EDGETPU_SUFFIX = "_edgetpu"


class EdgeTPUDetector(TFLiteDetector):
    """A `TFLiteDetector` whose interpreter runs the compiled graph on the Edge TPU.

    A Coral can drop off the bus mid-run (a Pi 4 short of USB power is the classic case): the
    next `detect` then switches to the CPU twin (`cpu_model`), with `fallback_reason` set and one
    warning, or raises `DeviceError` when falling back is not allowed.
    """

    device = "edgetpu"
    fallback_reason: str | None = None

    def __init__(
        self,
        model: SSDModel,
        names: Sequence[str],
        *,
        device: str = "edgetpu",
        cpu_model: SSDModel | None = None,
        fallback: bool = True,
        warn: Callable[[str], None] = print,
        **options: Any,
    ):
        cpu_options = {k: v for k, v in options.items() if k not in ("delegates", "runtime", "background")}
        super().__init__(model, names, **options)
        self.device = self.requested_device = device
        self.fixed_input_reason = (
            f"Edge TPU models are compiled for one input size ({model.native_size}x{model.native_size})"
        )
        self.warnings: list[str] = []
        self._cpu_model, self._fallback, self._warn = cpu_model, fallback, warn
        self._cpu_options = {**cpu_options, "runtime": options.get("runtime")}
        self._cpu: TFLiteDetector | None = None

    def infer(self, image_bgr: np.ndarray, tensor: np.ndarray | None = None) -> Callable[[], Detections]:
        if self._cpu is None:
            try:
                return super().infer(image_bgr, tensor)
            except RuntimeError as exc:  # the delegate failed mid-run; bad input is a ValueError
                self._switch_to_cpu(exc)
        cpu = self._cpu
        assert cpu is not None
        cpu.threshold, cpu.classes = self.threshold, self.classes  # live settings follow
        decode = cpu.infer(image_bgr, tensor)
        self.last_invoke_ms = cpu.last_invoke_ms
        return decode

    def set_threads(self, threads: int) -> None:
        """After a fallback the CPU twin runs every frame: it is the one to rebuild (the Edge TPU
        interpreter is dead and rebuilding it would fail)."""
        if self._cpu is None:
            super().set_threads(threads)
            return
        self._cpu.set_threads(threads)
        self.threads = self._cpu.threads

    def _switch_to_cpu(self, exc: BaseException) -> None:
        text = str(exc).strip()
        reason = f"the Edge TPU stopped working ({text.splitlines()[0] if text else type(exc).__name__})"
        if not self._fallback or self._cpu_model is None:
            raise DeviceError(f"{self.device}: {reason}") from None
        self._cpu = TFLiteDetector(self._cpu_model, self.names, background=False, **self._cpu_options)
        self.threads = self._cpu.threads  # what the pipeline now weighs against the cores
        self.fallback_reason = reason
        self.device = "cpu"
        self.warnings.append(f"{self.requested_device} failed, running on the CPU from now on: {reason}")
        self._warn(self.warnings[-1])

    def close(self) -> None:
        if self._cpu is not None:
            self._cpu.close()
        super().close()


class CPUFallbackDetector(TFLiteDetector):
    """The CPU detector standing in for an Edge TPU that could not be used."""

    device = "cpu"

    def __init__(self, model: SSDModel, names: Sequence[str], *, reason: str, requested: str, **options: Any):
        super().__init__(model, names, **options)
        self.fallback_reason = reason
        self.requested_device = requested
        self.warnings = [f"{requested} unavailable, running on the CPU: {reason}"]


@dataclass(frozen=True)
class ModelPair:
    """The Edge TPU model to try and the CPU model to fall back to (either may be missing)."""

    edgetpu: Path | None
    cpu: Path | None
    labels: Path | None
    problem: str | None = None  # why there is no usable Edge TPU model


def _strip_suffix(path: Path) -> Path:
    return path.with_name(path.stem[: -len(EDGETPU_SUFFIX)] + path.suffix)


def _installed(name: str | None) -> Path | None:
    from camapp.store import load_catalog

    if not name:
        return None
    entry = load_catalog().get(name)
    return entry.install_dir / entry.model if entry.installed else None


def resolve_pair(model: str | Path | None, labels: str | Path | None) -> ModelPair:
    """Which compiled model to run and which CPU twin to fall back on, from the catalog or beside a path."""
    from camapp.store import load_catalog
    from camapp.store.resolve import _looks_like_path

    label_path = Path(labels) if labels else None
    if model is not None and (isinstance(model, Path) or _looks_like_path(model)):
        path = Path(model).expanduser()
        if path.stem.endswith(EDGETPU_SUFFIX):
            twin = _strip_suffix(path)
            return ModelPair(path, twin if twin.is_file() else None, label_path or _labels_beside(path))
        compiled = path.with_name(path.stem + EDGETPU_SUFFIX + path.suffix)
        if compiled.is_file():
            return ModelPair(compiled, path, label_path or _labels_beside(path))
        problem = f"{path.name} is not compiled for the Edge TPU (no {compiled.name} beside it)"
        return ModelPair(None, path, label_path or _labels_beside(path), problem)
    catalog = load_catalog()
    if model is None:
        cpu_entry = catalog.default("cpu")
        tpu_name = cpu_entry.edgetpu_variant or catalog.defaults.get("edgetpu")
    else:
        entry = catalog.get(str(model))
        if entry.kind == "edgetpu":
            tpu_name = entry.name
            twins = [e for e in catalog.models.values() if e.edgetpu_variant == entry.name]
            default_cpu = catalog.default("cpu")
            cpu_entry = next((e for e in twins if e.installed), default_cpu if default_cpu in twins else None)
            cpu_entry = cpu_entry or (twins[0] if twins else default_cpu)
        else:
            cpu_entry, tpu_name = entry, entry.edgetpu_variant
    cpu = _installed(cpu_entry.name) or _installed(catalog.default("cpu").name)
    tpu_entry = catalog.get(tpu_name) if tpu_name else None
    label_path = label_path or (tpu_entry or cpu_entry).labels_path() or cpu_entry.labels_path()
    if tpu_entry is None:
        return ModelPair(None, cpu, label_path, f"model {cpu_entry.name!r} has no Edge TPU variant")
    if not tpu_entry.installed:
        problem = f"model {tpu_entry.name!r} is not installed: run 'camapp models fetch {tpu_entry.name}'"
        return ModelPair(None, cpu, label_path, problem)
    return ModelPair(tpu_entry.install_dir / tpu_entry.model, cpu, label_path)


def _labels_beside(path: Path) -> Path | None:
    from camapp.store.resolve import LABEL_NAMES

    return next((path.parent / n for n in LABEL_NAMES if (path.parent / n).is_file()), None)


def _fixed_size_options(options: dict[str, Any], native: int) -> dict[str, Any]:
    """Edge TPU: one rung, the compiled size; an explicit other size is a user error."""
    asked = options.get("input_size")
    if asked is not None and asked != native:
        raise CamappError(
            f"input size {asked} is not available on the Edge TPU: the model is compiled for {native}"
        )
    return {**options, "input_size": native, "input_sizes": (native,)}


def open_edgetpu(
    model: str | Path | None,
    *,
    labels: str | Path | None = None,
    device: str = "edgetpu",
    fallback: bool = True,
    load_delegate: Callable[..., Any] | None = None,
    sysfs: Path = usb.SYSFS,
    warn: Callable[[str], None] | None = None,
    **options: Any,
) -> TFLiteDetector:
    """The Edge TPU detector, or (with `fallback`) the CPU one with `fallback_reason` set."""
    from camapp.labels import load_labels, no_labels_warning
    from camapp.tflite.model import read_model

    option = parse_device(device)  # a malformed device is a user error, never a fallback
    say = warn or (lambda text: print(f"camapp: warning: {text}", file=sys.stderr))
    pair = resolve_pair(model, labels)
    names = load_labels(pair.labels) if pair.labels else ()
    try:
        if pair.edgetpu is None:
            # The hardware's reason first: it is the one a user must fix before any model helps.
            load_edgetpu_delegate(option, load_delegate=load_delegate, sysfs=sysfs)
            raise DeviceError(pair.problem or "no Edge TPU model")
        ssd = read_model(pair.edgetpu)
        if not ssd.edgetpu:
            raise ModelError(f"{pair.edgetpu.name} is not compiled for the Edge TPU (run edgetpu_compiler)")
        delegate = load_edgetpu_delegate(option, load_delegate=load_delegate, sysfs=sysfs)
        detector = EdgeTPUDetector(
            ssd,
            names,
            device=device,
            delegates=[delegate],
            cpu_model=read_model(pair.cpu) if pair.cpu else None,
            fallback=fallback,
            warn=say,
            **_fixed_size_options(options, ssd.native_size),
        )
    except (DeviceError, ModelError) as exc:
        reason = str(exc)
        if not fallback:
            raise DeviceError(f"{device} cannot be used: {reason}") from None
        if pair.cpu is None:
            raise DeviceError(
                f"{device} cannot be used ({reason}), and no CPU model is installed to fall back on: "
                "run 'camapp models fetch'"
            ) from None
        cpu = CPUFallbackDetector(read_model(pair.cpu), names, reason=reason, requested=device, **options)
        if not names:
            cpu.warnings.append(no_labels_warning(pair.cpu))
        for text in cpu.warnings:
            say(text)
        return cpu
    for coral in usb.find_corals(sysfs):
        if coral.usb2:
            detector.warnings.append(
                f"Coral at {coral.device.sysname} runs at {usb.speed_text(coral.device.speed_mbps)}, "
                f"several times slower than USB 3: {usb.usb2_advice(sysfs)}"
            )
    if not names:
        detector.warnings.append(no_labels_warning(pair.edgetpu))
    for text in detector.warnings:
        say(text)
    return detector


open_detector = open_edgetpu


def probe(sysfs: Path) -> Probe:
    """The runtime library and the Corals on the USB bus, each with its fix."""
    lines = []
    rt = runtime_probe.probe_runtime()
    if rt.found:
        lines.append(f"  Edge TPU runtime: {rt.library} found")
    else:
        lines.append(f"  Edge TPU runtime: not found ({rt.error})")
        lines.append(f"    fix: {runtime_probe.install_hint()}")
    corals = usb.find_corals(sysfs)
    if not usb.usb_devices(sysfs):
        lines.append(
            f"  Coral USB Accelerator: cannot tell, no USB devices under {sysfs}/bus/usb (not Linux, or a container)"
        )
    elif not corals:
        lines.append("  Coral USB Accelerator: none on the USB bus (looked for 1a6e:089a and 18d1:9302)")
        lines.append("    fix: plug it in; on a Pi 4, if it does not appear, use a powered USB hub")
    for i, c in enumerate(corals):
        speed = usb.speed_text(c.device.speed_mbps)
        lines.append(
            f"  Coral USB Accelerator edgetpu:usb:{i}: {c.device.ids} at {c.device.sysname}, {c.state}, {speed}"
        )
        if c.usb2:
            lines.append(
                f"    slow: on USB 2 inference is several times slower; fix: {usb.usb2_advice(sysfs)}"
            )
    if corals and rt.found:
        lines.append(
            "  use it: --device edgetpu (after `camapp models fetch ssd_mobilenet_v1_coco_quant_postprocess_edgetpu`)"
        )
    found = tuple(
        Found(f"edgetpu:usb:{i}", f"Edge TPU {i + 1}" + (" (USB 2: slow)" if c.usb2 else ""))
        for i, c in enumerate(corals)
    )
    return Probe(tuple(lines), found)
