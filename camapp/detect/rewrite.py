"""Rewriting an SSD `.tflite` flatbuffer for another input size: MobileNet's real rho.

`Interpreter.resize_tensor_input` cannot do it: the box-predictor RESHAPE ops carry constant
shapes with the anchor count baked in (1083, 600, ..., 1917) and the post-process op carries a
constant 1917x4 anchor tensor. So, per input size S, the model is rewritten with the runtime's
own `schema_py_generated`: input [1, S, S, 3], the anchor dimension of every RESHAPE shape made
-1 (inferred), and the anchors regenerated for the smaller feature maps (`camapp.detect.anchors`).
The post-process op's detection cap (`max_detections`, shipped as 10) can be raised on the way.
"""

from __future__ import annotations

from typing import Any

import flatbuffers
import numpy as np
from flatbuffers import flexbuffers

from camapp.detect.anchors import SSD_MOBILENET_V1, AnchorSpec, quantize, ssd_anchors
from camapp.errors import ModelError
from camapp.tflite.model import POSTPROCESS_OP, SSDModel
from camapp.tflite.runtime import get_runtime

RESHAPE = 22  # schema BuiltinOperator.RESHAPE
INT32 = 2  # schema TensorType.INT32
ANCHOR_DTYPES = {3: np.uint8, 9: np.int8, 0: np.float32}  # schema TensorType -> numpy

# Smallest input accepted (its finest anchor grid is 2x2); at 96 coco32 mAP is already down to 7.
MIN_SIZE = 32
MAX_FACTOR = 2  # of the native size


def _opcode(model: Any, op: Any) -> tuple[int, str]:
    code = model.operatorCodes[op.opcodeIndex]
    builtin = max(int(code.builtinCode), int(code.deprecatedBuiltinCode))
    return builtin, (code.customCode or b"").decode("utf-8", "replace")


def _postprocess_op(model: Any) -> Any:
    for op in model.subgraphs[0].operators:
        if _opcode(model, op)[1] == POSTPROCESS_OP:
            return op
    raise ModelError(f"the model has no {POSTPROCESS_OP} op to rewrite")


def _anchor_tensor(model: Any) -> tuple[Any, np.ndarray]:
    """The post-process op's third input and its constant contents, as stored."""
    sg = model.subgraphs[0]
    tensor = sg.tensors[int(_postprocess_op(model).inputs[2])]
    dtype = ANCHOR_DTYPES.get(int(tensor.type))
    data = model.buffers[tensor.buffer].data
    if dtype is None or data is None:
        raise ModelError("the post-process op's anchors are not a constant tensor")
    return tensor, np.frombuffer(bytes(np.asarray(data, np.uint8)), dtype).reshape(-1, 4)


def _quant(tensor: Any) -> tuple[float, int] | None:
    q = tensor.quantization
    if q is None or q.scale is None or len(q.scale) == 0:
        return None
    return float(q.scale[0]), int(q.zeroPoint[0]) if q.zeroPoint is not None else 0


def encode_anchors(anchors: np.ndarray, quant: tuple[float, int] | None, dtype: type) -> np.ndarray:
    """Store float anchors in the tensor's type, with the tensor's own scale and zero point.

    Sizes beyond the range of the shipped scale (1.65, the tallest native anchor) clip there:
    the scaled-up pixel-consistent anchors of small rungs saturate. Measured with `camapp eval`
    on coco32 (cap 100), that is as good or better than widening the scale at 6 of 7 ladder rungs
    (e.g. 240: 23.6 vs 23.2, 208: 22.8 vs 22.7), and it keeps the centres at full precision.
    """
    if dtype == np.float32 or quant is None:
        return anchors.astype(np.float32)
    scale, zero = quant
    return quantize(anchors, scale, zero, dtype)


def embedded_anchors(model: SSDModel) -> np.ndarray:
    """The anchors the model file carries, as stored (quantized if the tensor is)."""
    return _anchor_tensor(model.model)[1]


def generated_anchors(
    model: SSDModel, size: int, *, pixel_consistent: bool = True, spec: AnchorSpec = SSD_MOBILENET_V1
) -> np.ndarray:
    """The recipe's anchors for `size`, encoded exactly as the model stores its own."""
    tensor, stored = _anchor_tensor(model.model)
    native = model.native_size if pixel_consistent else None
    anchors = ssd_anchors(size, native_size=native, spec=spec)
    return encode_anchors(anchors, _quant(tensor), stored.dtype.type)


def resize_problem(model: SSDModel) -> str | None:
    """Why `model` cannot be rewritten for other sizes, or None if it can.

    The check that matters: the SSD-MobileNet v1 recipe must reproduce the anchors the file
    carries at its native size, or new anchors for other sizes would be meaningless.
    """
    if model.edgetpu:
        return "Edge TPU models are compiled for one input size"
    if model.input_size[0] != model.input_size[1]:
        return f"the input is not square ({model.input_size[0]}x{model.input_size[1]})"
    try:
        stored = embedded_anchors(model)
    except ModelError as exc:
        return str(exc)
    try:
        generated = generated_anchors(model, model.native_size)
    except ValueError:
        return "its anchors do not follow the SSD-MobileNet v1 recipe"
    if generated.shape != stored.shape:
        return "its anchors do not follow the SSD-MobileNet v1 recipe"
    same = (
        np.allclose(generated, stored, rtol=0, atol=1e-5)
        if stored.dtype == np.float32
        else np.array_equal(generated, stored)  # quantized: byte for byte
    )
    if not same:
        return "its anchors do not follow the SSD-MobileNet v1 recipe"
    if not any(_opcode(model.model, op)[0] == RESHAPE for op in model.model.subgraphs[0].operators):
        return "it has no RESHAPE ops in its box predictors"
    return None


def _free_anchor_dim(model: Any) -> int:
    """Make dimension 1 (the anchor count) of every constant RESHAPE shape -1; return how many."""
    sg = model.subgraphs[0]
    changed = 0
    for op in sg.operators:
        if _opcode(model, op)[0] != RESHAPE:
            continue
        opts = op.builtinOptions
        if opts is not None and getattr(opts, "newShape", None) is not None and len(opts.newShape) >= 3:
            opts.newShape = np.array(opts.newShape, np.int32)
            opts.newShape[1] = -1
        if len(op.inputs) > 1:
            shape_t = sg.tensors[int(op.inputs[1])]
            data = model.buffers[shape_t.buffer].data
            if shape_t.type == INT32 and data is not None and len(data) >= 12:
                dims = np.frombuffer(bytes(np.asarray(data, np.uint8)), np.int32).copy()
                dims[1] = -1
                model.buffers[shape_t.buffer].data = np.frombuffer(dims.tobytes(), np.uint8)
                changed += 1
    return changed


def set_max_detections(model: Any, max_detections: int) -> None:
    """Raise (or lower) the post-process op's cap, kept in its flexbuffer custom options."""
    op = _postprocess_op(model)
    options = flexbuffers.Loads(bytes(np.asarray(op.customOptions, np.uint8)))
    options["max_detections"] = int(max_detections)
    op.customOptions = np.frombuffer(bytes(flexbuffers.Dumps(options)), np.uint8)


def postprocess_options(model: SSDModel) -> dict[str, Any]:
    """The post-process op's flexbuffer options (max_detections, num_classes, scales, ...)."""
    op = _postprocess_op(model.model)
    return dict(flexbuffers.Loads(bytes(np.asarray(op.customOptions, np.uint8))))


def max_detections_of(model: SSDModel) -> int:
    """The detection cap the model file carries."""
    return int(postprocess_options(model)["max_detections"])


def resize_model(model: SSDModel, size: int, max_detections: int | None = None) -> bytes:
    """The model's bytes rewritten for a `size`x`size` input (and detection cap), ready to load."""
    if max_detections is not None and max_detections <= 0:
        raise ModelError(f"max_detections must be positive, not {max_detections}")
    schema = get_runtime().schema
    # A private copy: the parsed ModelT on `model` is shared between rungs and threads.
    m = schema.ModelT.InitFromPackedBuf(bytearray(model.content), 0)
    problem = resize_problem(model)
    if problem and size != model.native_size:
        raise ModelError(f"{model.path} cannot run at input size {size}: {problem}")
    if size < MIN_SIZE:
        raise ModelError(f"input size {size} is too small (at least {MIN_SIZE})")
    if size > MAX_FACTOR * model.native_size:
        # Past this the graph's memory grows with S^2 (16 GB at 100000) and accuracy only drops.
        raise ModelError(f"input size {size} is too large (at most {MAX_FACTOR * model.native_size})")
    if problem is None:
        # Rewritten at the native size too, so that path is tested against the original file.
        sg = m.subgraphs[0]
        inp = sg.tensors[int(sg.inputs[0])]
        inp.shape = np.array([1, size, size, 3], np.int32)
        if inp.shapeSignature is not None:
            inp.shapeSignature = np.array([1, size, size, 3], np.int32)
        if _free_anchor_dim(m) == 0:
            raise ModelError(f"{model.path} cannot run at input size {size}: no constant RESHAPE shapes")
        tensor, stored = _anchor_tensor(m)
        anchors = ssd_anchors(size, native_size=model.native_size)
        encoded = encode_anchors(anchors, _quant(tensor), stored.dtype.type)
        tensor.shape = np.array(encoded.shape, np.int32)
        m.buffers[tensor.buffer].data = np.frombuffer(encoded.tobytes(), np.uint8)
    if max_detections is not None:
        set_max_detections(m, max_detections)
    builder = flatbuffers.Builder(len(model.content) + 4096)
    builder.Finish(m.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())
