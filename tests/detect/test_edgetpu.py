"""The `edgetpu` device: Coral delegate, fixed input size, and the CPU fallback.

This machine has no Coral and no Edge TPU runtime. The fallback tests are fully real (LiteRT's own
`load_delegate` fails here, then the real model runs on the real photos). The Edge TPU path fakes
only what the hardware would provide, as each docstring says.
"""

import shutil

import flatbuffers
import pytest
from conftest import IMAGES, SHARED_MODEL, need

from camapp.cli import main
from camapp.detect import open_detector
from camapp.detect.edgetpu import CPUFallbackDetector, EdgeTPUDetector, open_edgetpu
from camapp.errors import CamappError, DeviceError
from camapp.store import load_catalog
from camapp.tflite.runtime import Runtime, get_runtime
from tests.hw.sysfs import PI4_ROOT_HUBS, coral, usb_tree

GRACE = IMAGES / "grace_hopper.bmp"


def test_without_runtime_falls_back_to_cpu_on_real_photos(model_store, image, capsys):
    """Real: no libedgetpu here, so `--device edgetpu` runs the default model on the CPU, and says why."""
    det = open_detector(device="edgetpu", threshold=0.4)
    assert isinstance(det, CPUFallbackDetector) and det.device == "cpu"
    assert "Edge TPU runtime not found" in det.fallback_reason
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("camapp: warning: edgetpu unavailable, running on the CPU:")
    assert {"person", "tie"} <= set(det.detect(image("grace_hopper.bmp")).labels)


def test_cli_falls_back_with_a_warning(model_store, capsys):
    """Real: `camapp detect --device edgetpu:usb:0` still detects, with one warning line."""
    assert main(["detect", "--device", "edgetpu:usb:0", str(need(GRACE))]) == 0
    out, err = capsys.readouterr()
    assert "person" in out and "tie" in out
    assert "edgetpu:usb:0 unavailable, running on the CPU" in err and "Traceback" not in err


def test_cli_no_fallback_exits_2(model_store, capsys):
    """Real: with --no-fallback the missing Edge TPU is an error, one line, exit code 2."""
    assert main(["detect", "--device", "edgetpu", "--no-fallback", str(need(GRACE))]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("camapp: error: edgetpu cannot be used: Edge TPU runtime not found")
    assert len(err.strip().splitlines()) == 1


def mark_compiled(cpu_model: bytes) -> bytes:
    """The real CPU model plus an (unused) `edgetpu-custom-op` op code, so it reads as compiled."""
    schema = get_runtime().schema
    model = schema.ModelT.InitFromPackedBuf(bytearray(cpu_model), 0)
    code = schema.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = 32  # CUSTOM
    code.customCode = b"edgetpu-custom-op"
    code.version = 1
    model.operatorCodes.append(code)
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


@pytest.fixture()
def coral_models(tmp_path):
    """A folder as a user would have it: ssd.tflite, ssd_edgetpu.tflite and labelmap.txt."""
    folder = tmp_path / "models"
    folder.mkdir()
    cpu = need(SHARED_MODEL / "detect.tflite")
    shutil.copyfile(cpu, folder / "ssd.tflite")
    (folder / "ssd_edgetpu.tflite").write_bytes(mark_compiled(cpu.read_bytes()))
    shutil.copyfile(SHARED_MODEL / "labelmap.txt", folder / "labelmap.txt")
    return folder


class FakeEdgeTPU:
    """Stands for libedgetpu plus a Coral: `load_delegate` hands out a token, and the interpreter
    (the real LiteRT one) records the delegates it was given and runs the graph on the CPU."""

    def __init__(self):
        self.loaded = []
        self.interpreter_delegates = []
        self.unplugged = False
        real = get_runtime()

        def interpreter(model_content, num_threads, experimental_delegates):
            self.interpreter_delegates.append(experimental_delegates)
            interp = real.interpreter_cls(model_content=model_content, num_threads=num_threads)
            return Unpluggable(interp, self) if experimental_delegates else interp

        self.runtime = Runtime("litert+fake-edgetpu", interpreter, self.load_delegate, real.schema)

    def load_delegate(self, library, options=None):
        self.loaded.append((library, options))
        return "edgetpu-delegate"


class Unpluggable:
    """The interpreter of a delegated graph, whose `invoke` fails once the Coral is "unplugged".

    The RuntimeError text is made up: what libedgetpu reports on a USB drop was not observed here;
    any RuntimeError from `invoke` is treated the same.
    """

    def __init__(self, interp, tpu):
        self._interp, self._tpu = interp, tpu

    def __getattr__(self, name):
        return getattr(self._interp, name)

    def invoke(self):
        if self._tpu.unplugged:
            raise RuntimeError("Edge TPU: USB transfer failed (device disconnected)")
        return self._interp.invoke()


def test_edgetpu_path_uses_delegate_and_one_fixed_size(coral_models, image, tmp_path):
    """Stands for a working Coral in a USB 3 port: delegate loaded with device usb:0, compiled model run."""
    tpu = FakeEdgeTPU()
    sysfs = usb_tree(tmp_path / "sys", [*PI4_ROOT_HUBS, coral("2-1", "18d1:9302", "5000")])
    warnings = []
    det = open_edgetpu(
        coral_models / "ssd.tflite",
        device="edgetpu:usb:0",
        load_delegate=tpu.load_delegate,
        sysfs=sysfs,
        warn=warnings.append,
        runtime=tpu.runtime,
        threshold=0.4,
        input_sizes=(300, 224, 160),  # the GUI's ladder: ignored, the model is compiled for 300
    )
    assert isinstance(det, EdgeTPUDetector) and det.device == "edgetpu:usb:0"
    assert det.model.path.name == "ssd_edgetpu.tflite" and det.model.edgetpu
    assert tpu.loaded == [("libedgetpu.so.1", {"device": "usb:0"})]
    assert tpu.interpreter_delegates == [["edgetpu-delegate"]]
    assert det.input_sizes == (300,) and "300x300" in det.fixed_input_reason
    assert det.fallback_reason is None and warnings == []
    with pytest.raises(CamappError, match="input size 224"):
        det.set_input_size(224)
    assert {"person", "tie"} <= set(det.detect(image("grace_hopper.bmp")).labels)


def test_coral_on_usb2_warns_but_runs(coral_models, tmp_path):
    """Stands for a Coral in a Pi 4's black (USB 2) port: it works, several times slower; we say so."""
    tpu = FakeEdgeTPU()
    sysfs = usb_tree(tmp_path / "sys", [*PI4_ROOT_HUBS, coral("1-1.4", "18d1:9302", "480")])
    warnings = []
    det = open_edgetpu(
        coral_models / "ssd_edgetpu.tflite",
        load_delegate=tpu.load_delegate,
        sysfs=sysfs,
        warn=warnings.append,
        runtime=tpu.runtime,
    )
    assert isinstance(det, EdgeTPUDetector)
    assert len(warnings) == 1 and "USB 2 (480 Mbit/s)" in warnings[0] and "USB 3 port" in warnings[0]
    assert det.warnings == warnings


def test_explicit_other_input_size_is_a_user_error(coral_models, tmp_path):
    tpu = FakeEdgeTPU()
    with pytest.raises(CamappError, match="compiled for 300"):
        open_edgetpu(
            coral_models / "ssd.tflite",
            load_delegate=tpu.load_delegate,
            sysfs=tmp_path,
            runtime=tpu.runtime,
            input_size=224,
        )


def test_uncompiled_model_falls_back_and_says_why(coral_models, tmp_path):
    """Stands for a working Coral given a CPU-only .tflite: it runs, on the CPU, with the reason."""
    (coral_models / "ssd_edgetpu.tflite").unlink()
    tpu = FakeEdgeTPU()
    warnings = []
    det = open_edgetpu(
        coral_models / "ssd.tflite", load_delegate=tpu.load_delegate, sysfs=tmp_path, warn=warnings.append
    )
    assert isinstance(det, CPUFallbackDetector)
    assert "ssd.tflite is not compiled for the Edge TPU" in det.fallback_reason
    assert warnings == det.warnings


def test_no_coral_plugged_falls_back(coral_models, tmp_path):
    """Stands for libedgetpu installed but no Coral on the bus: LiteRT's real ValueError text."""

    def load_delegate(library, options=None):
        raise ValueError("Failed to load delegate from libedgetpu.so.1\n")

    sysfs = usb_tree(tmp_path / "sys", PI4_ROOT_HUBS)
    det = open_edgetpu(
        coral_models / "ssd.tflite", load_delegate=load_delegate, sysfs=sysfs, warn=lambda _: None
    )
    assert isinstance(det, CPUFallbackDetector) and det.model.path.name == "ssd.tflite"
    assert "no Coral is on the USB bus" in det.fallback_reason
    with pytest.raises(DeviceError, match="edgetpu cannot be used: no Edge TPU found"):
        open_edgetpu(coral_models / "ssd.tflite", load_delegate=load_delegate, sysfs=sysfs, fallback=False)


def test_catalog_model_not_installed_names_the_fetch_command(model_store):
    """Stands for a working Coral before `camapp models fetch` of the compiled model."""
    tpu = FakeEdgeTPU()
    det = open_edgetpu(None, load_delegate=tpu.load_delegate, warn=lambda _: None)
    assert isinstance(det, CPUFallbackDetector)
    assert det.model.path.name == "detect.tflite"  # the default CPU model, which is installed
    assert "camapp models fetch ssd_mobilenet_v1_coco_quant_postprocess_edgetpu" in det.fallback_reason


def test_catalog_links_cpu_models_to_coral_variants():
    catalog = load_catalog()
    assert catalog.default("edgetpu").kind == "edgetpu"
    for entry in catalog.models.values():
        if entry.edgetpu_variant:
            variant = catalog.get(entry.edgetpu_variant)
            assert variant.kind == "edgetpu" and variant.input_size == entry.input_size
        if entry.name.endswith("_postprocess") or entry.name.endswith("_edgetpu"):
            (f,) = entry.files
            assert f.url == f"https://github.com/google-coral/test_data/raw/master/{f.name}"
            assert f.name == entry.model and f.name.removesuffix(".tflite") == entry.name
            labels = entry.labels_path()
            assert labels is not None and labels.name == "coco_labelmap.txt"


def test_coral_dropping_off_mid_run_switches_to_cpu(coral_models, image, tmp_path):
    """Stands for a Coral that disconnects during a run (a Pi 4 short of USB power)."""
    tpu = FakeEdgeTPU()
    warnings = []
    det = open_edgetpu(
        coral_models / "ssd.tflite",
        load_delegate=tpu.load_delegate,
        sysfs=tmp_path,
        warn=warnings.append,
        runtime=tpu.runtime,
        threshold=0.4,
    )
    img = image("grace_hopper.bmp")
    assert det.device == "edgetpu" and {"person", "tie"} <= set(det.detect(img).labels)
    tpu.unplugged = True
    det.threshold = 0.6  # a live setting made before the drop must still apply after it
    after = det.detect(img)
    assert (
        det.device == "cpu" and "the Edge TPU stopped working (Edge TPU: USB transfer" in det.fallback_reason
    )
    assert "person" in after.labels and after.scores.min() >= 0.6
    assert len(warnings) == 1 and "running on the CPU from now on" in warnings[0]
    det.detect(img)
    assert len(warnings) == 1
    det.close()


def test_coral_dropping_off_without_fallback_is_an_error(coral_models, image, tmp_path):
    tpu = FakeEdgeTPU()
    det = open_edgetpu(
        coral_models / "ssd.tflite",
        load_delegate=tpu.load_delegate,
        sysfs=tmp_path,
        runtime=tpu.runtime,
        fallback=False,
    )
    tpu.unplugged = True
    with pytest.raises(DeviceError, match="edgetpu: the Edge TPU stopped working"):
        det.detect(image("cat.bmp"))


def test_threads_change_after_a_fallback_reaches_the_cpu_twin(coral_models, image, tmp_path):
    """After the Coral drops off, a threads change (the GUI's spin box) rebuilds the CPU twin, not
    the dead Edge TPU interpreter, and the detector keeps detecting at its one input size."""
    tpu = FakeEdgeTPU()
    det = open_edgetpu(
        coral_models / "ssd.tflite",
        load_delegate=tpu.load_delegate,
        sysfs=tmp_path,
        warn=lambda _: None,
        runtime=tpu.runtime,
        threads=2,
    )
    img = image("grace_hopper.bmp")
    tpu.unplugged = True
    det.detect(img)
    assert det.device == "cpu" and det.threads == 2
    det.set_threads(1)
    assert det.threads == 1 and det._cpu.threads == 1
    det.set_input_size(det.native_size)  # raised the Edge TPU rebuild's error before the fix
    assert "person" in det.detect(img).labels
    det.close()
