"""Shared fixtures: the real model, installed through the store exactly as a user would.

The shared data sits beside the project as `../shared`. Under CI (`CI=true`) a missing model
is a failure, not a skip: a green run must mean the real model ran.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("CAMAPP_SHARED", ROOT.parent / "shared"))
SHARED_MODEL = SHARED / "models" / "ssd_mobilenet_v1_coco_quant"
IMAGES = SHARED / "media" / "images"
VIDEOS = SHARED / "media" / "video"
PERSON_CLIP = VIDEOS / "one-by-one-person-detection.mp4"
BOTTLE_CLIP = VIDEOS / "bottle-detection.mp4"
COCO32 = SHARED / "datasets" / "coco32"


def need(path: Path) -> Path:
    """Fail under CI, skip on a developer machine, when shared data is absent."""
    if not path.exists():
        msg = f"shared data missing: {path}"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@pytest.fixture(scope="session")
def model_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model store holding the default model, imported with `models fetch --from`."""
    from camapp.store import load_catalog
    from camapp.store.fetch import fetch

    need(SHARED_MODEL / "detect.tflite")
    store = tmp_path_factory.mktemp("models")
    old = os.environ.get("CAMAPP_MODEL_DIR")
    os.environ["CAMAPP_MODEL_DIR"] = str(store)
    fetch(load_catalog().default("cpu"), SHARED_MODEL, progress=False, say=lambda _: None)
    yield store
    if old is None:
        os.environ.pop("CAMAPP_MODEL_DIR", None)
    else:
        os.environ["CAMAPP_MODEL_DIR"] = old


@pytest.fixture(autouse=True)
def _store_env(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every test's CAMAPP_MODEL_DIR pointing at the session store once it exists."""
    if "model_store" in request.fixturenames:
        monkeypatch.setenv("CAMAPP_MODEL_DIR", str(request.getfixturevalue("model_store")))


@pytest.fixture(scope="session")
def model_path(model_store: Path) -> Path:
    return model_store / "ssd_mobilenet_v1_coco_quant" / "detect.tflite"


@pytest.fixture()
def detector(model_store: Path):
    """The real CPU detector on the real model, at threshold 0.4."""
    from camapp.detect import open_detector

    det = open_detector(threshold=0.4)
    yield det
    det.close()


@pytest.fixture()
def image():
    """Read a shared photo by file name."""
    import cv2

    def _read(name: str):
        img = cv2.imread(str(need(IMAGES / name)))
        assert img is not None, name
        return img

    return _read


def single_output_model(model_path: Path, out: Path) -> Path:
    """The same backbone with the post-process op cut off and one class-score output left:
    the shape of an image classifier, which camapp must refuse."""
    import flatbuffers

    from camapp.tflite.runtime import get_runtime

    schema = get_runtime().schema
    m = schema.ModelT.InitFromPackedBuf(bytearray(model_path.read_bytes()), 0)
    sg = m.subgraphs[0]
    post = next(op for op in sg.operators if m.operatorCodes[op.opcodeIndex].customCode)
    sg.operators.remove(post)
    sg.outputs = [post.inputs[1]]  # class predictions
    b = flatbuffers.Builder(0)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    out.write_bytes(bytes(b.Output()))
    return out


@pytest.fixture()
def small_disk(tmp_path: Path):
    """`small_disk(kb)`: a real tmpfs of that size (a disk that really fills up: ENOSPC), unmounted
    after the test. Needs root and mount rights, so it skips elsewhere; RLIMIT_FSIZE tests in a
    child process cover the same code paths without privileges."""
    import shutil
    import subprocess

    mounted: list[Path] = []

    def mount(kb: int) -> Path:
        mnt = tmp_path / f"disk{len(mounted)}"
        mnt.mkdir()
        if os.geteuid() != 0 or shutil.which("mount") is None:
            pytest.skip("mounting a tmpfs needs root")
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={kb}k", "tmpfs", str(mnt)], capture_output=True
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
        mounted.append(mnt)
        return mnt

    yield mount
    for mnt in mounted:
        subprocess.run(["umount", str(mnt)], check=True)
