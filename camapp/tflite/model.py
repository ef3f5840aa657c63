"""Reading and validating an SSD `.tflite` file before any interpreter touches it.

A wrong file must give one line naming the file and what is wrong, so the flatbuffer is parsed
here (with the runtime's own `schema_py_generated`) rather than trusting interpreter errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from camapp.errors import ModelError
from camapp.tflite.runtime import Runtime, get_runtime

POSTPROCESS_OP = "TFLite_Detection_PostProcess"
# Order of the post-process op's outputs, fixed by the op's kernel.
OUTPUT_ROLES = ("boxes", "classes", "scores", "count")


@dataclass(frozen=True)
class SSDModel:
    """A parsed SSD detector: its bytes, input geometry and which tensor is which output."""

    path: Path
    content: bytes
    input_size: tuple[int, int]  # (height, width)
    input_dtype: type
    output_tensors: dict[str, int]  # role -> tensor index in subgraph 0
    edgetpu: bool
    model: Any  # schema ModelT, for rewriting

    @property
    def native_size(self) -> int:
        return self.input_size[0]


def read_model(path: str | Path, runtime: Runtime | None = None) -> SSDModel:
    """Load and check `path`; raise `ModelError` with a one-line reason if it is unusable."""
    p = Path(path)
    if not p.exists():
        raise ModelError(f"model file not found: {p}")
    if p.is_dir():
        raise ModelError(f"model path is a folder, not a .tflite file: {p}")
    try:
        content = p.read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read model {p}: {exc.strerror or exc}") from None
    return parse_model(content, p, runtime)


def parse_model(content: bytes, path: Path, runtime: Runtime | None = None) -> SSDModel:
    schema = (runtime or get_runtime()).schema
    if len(content) < 8 or content[4:8] != b"TFL3":
        raise ModelError(f"{path} is not a TFLite model (no TFL3 flatbuffer header)")
    try:
        model = schema.ModelT.InitFromPackedBuf(bytearray(content), 0)
        sg = model.subgraphs[0]
        tensors, operators = sg.tensors, sg.operators or []
        codes = model.operatorCodes or []
    except Exception:
        raise ModelError(f"{path} is corrupt or truncated (the flatbuffer does not parse)") from None
    if model.buffers is None or any(t.buffer >= len(model.buffers) for t in tensors):
        raise ModelError(f"{path} is corrupt or truncated (tensor buffers are missing)")
    names = [(c.customCode or b"").decode("utf-8", "replace") for c in codes]
    edgetpu = "edgetpu-custom-op" in names
    post = [op for op in operators if names[op.opcodeIndex] == POSTPROCESS_OP]
    if len(sg.inputs) != 1:
        raise ModelError(f"{path} has {len(sg.inputs)} inputs; an SSD detector has one image input")
    inp = tensors[sg.inputs[0]]
    shape = [int(d) for d in inp.shape]
    if len(shape) != 4 or shape[3] != 3:
        raise ModelError(f"{path} takes input of shape {shape}, not an image [1, H, W, 3]")
    if not post:
        out_shapes = [[int(d) for d in tensors[i].shape] for i in sg.outputs]
        kind = "a classification model" if len(out_shapes) == 1 else "not an SSD detector"
        raise ModelError(
            f"{path} is {kind} (outputs {out_shapes}); camapp needs an SSD detector "
            f"with the {POSTPROCESS_OP} op"
        )
    outputs = dict(zip(OUTPUT_ROLES, (int(i) for i in post[0].outputs)))
    dtype = {3: np.uint8, 0: np.float32, 9: np.int8}.get(inp.type)  # schema TensorType
    if dtype is None:
        raise ModelError(f"{path} has an unsupported input type (tensor type {inp.type})")
    return SSDModel(Path(path), content, (shape[1], shape[2]), dtype, outputs, edgetpu, model)
