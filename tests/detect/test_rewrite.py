"""The flatbuffer rewrite for other input sizes, run on the real model and real photos."""

from __future__ import annotations

import numpy as np
import pytest

from camapp.detect.base import preprocess
from camapp.detect.cpu import TFLiteDetector
from camapp.detect.rewrite import max_detections_of, resize_model, resize_problem
from camapp.errors import CamappError, ModelError
from camapp.tflite.model import parse_model
from camapp.tflite.runtime import get_runtime


def run(content: bytes, image_bgr: np.ndarray, ssd) -> tuple[list[int], list[np.ndarray]]:
    interp = get_runtime().interpreter_cls(model_content=content, num_threads=2)
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]
    size = tuple(int(d) for d in inp["shape"][1:3])
    interp.set_tensor(inp["index"], preprocess(image_bgr, size, ssd.input_dtype))
    interp.invoke()
    outs = [interp.get_tensor(ssd.output_tensors[k]) for k in ("boxes", "classes", "scores", "count")]
    return [int(d) for d in inp["shape"]], outs


@pytest.mark.parametrize("photo", ["grace_hopper.bmp", "cat.bmp", "kite_and_cold.jpg", "pets.jpg"])
def test_rewrite_at_300_gives_exactly_the_original_outputs(ssd_model, image, photo):
    img = image(photo)
    rewritten = resize_model(ssd_model, 300)
    assert rewritten != ssd_model.content  # reshapes freed and anchors regenerated, not a copy
    shape0, original = run(ssd_model.content, img, ssd_model)
    shape1, outputs = run(rewritten, img, ssd_model)
    assert shape0 == shape1 == [1, 300, 300, 3]
    assert float(original[3][0]) > 0
    for a, b in zip(original, outputs):
        np.testing.assert_array_equal(a, b)


def test_reshape_shapes_are_freed_and_anchors_shrink(ssd_model):
    m = parse_model(resize_model(ssd_model, 176), ssd_model.path)
    sg = m.model.subgraphs[0]
    reshapes = [
        op for op in sg.operators if m.model.operatorCodes[op.opcodeIndex].deprecatedBuiltinCode == 22
    ]
    assert len(reshapes) == 13
    assert all(op.builtinOptions.newShape[1] == -1 for op in reshapes)
    assert m.input_size == (176, 176)
    anchors = sg.tensors[int(next(op for op in sg.operators if op.customOptions is not None).inputs[2])]
    assert list(anchors.shape) == [11 * 11 * 3 + (6 * 6 + 3 * 3 + 2 * 2 + 1 + 1) * 6, 4]


def test_smaller_rung_runs_at_a_smaller_input_and_still_finds_the_cat(ssd_model, names, image):
    det = TFLiteDetector(ssd_model, names, threads=2, input_sizes=[300, 208], input_size=208, threshold=0.5)
    try:
        interp = det._interpreter_for(208)
        assert list(interp.get_input_details()[0]["shape"]) == [1, 208, 208, 3]
        img = image("cat.bmp")
        small = det.detect(img)
        assert det.input_size == 208
        assert "cat" in small.labels
        det.prepare()
        det.set_input_size(300)
        full = det.detect(img)
        assert det.input_size == 300
        # the same cat: the boxes overlap heavily (pixel-consistent anchors keep the box size)
        a = small.boxes[small.labels.index("cat")]
        b = full.boxes[full.labels.index("cat")]
        inter = np.prod(np.clip(np.minimum(a[2:], b[2:]) - np.maximum(a[:2], b[:2]), 0, None))
        union = np.prod(a[2:] - a[:2]) + np.prod(b[2:] - b[:2]) - inter
        assert inter / union > 0.7
    finally:
        det.close()


def test_max_detections_100_finds_more_than_the_shipped_cap(ssd_model, names, image):
    assert max_detections_of(ssd_model) == 10
    img = image("kite_and_cold.jpg")
    capped = TFLiteDetector(ssd_model, names, threads=2, input_sizes=[300], threshold=0.05)
    raised = TFLiteDetector(
        ssd_model, names, threads=2, input_sizes=[300], threshold=0.05, max_detections=100
    )
    try:
        assert len(capped.detect(img)) == 10
        many = raised.detect(img)
        assert len(many) > 10
        assert {"person", "kite"} <= set(many.labels)
    finally:
        capped.close()
        raised.close()


def test_raising_the_cap_keeps_the_other_postprocess_options(ssd_model):
    from flatbuffers import flexbuffers

    def options(model):
        op = next(op for op in model.model.subgraphs[0].operators if op.customOptions is not None)
        return flexbuffers.Loads(bytes(op.customOptions))

    before = options(ssd_model)
    after = options(parse_model(resize_model(ssd_model, 240, max_detections=100), ssd_model.path))
    assert after.pop("max_detections") == 100 and before.pop("max_detections") == 10
    assert after == before


def test_a_model_whose_anchors_do_not_follow_the_recipe_keeps_one_size(ssd_model, names, tmp_path):
    """The same file with its anchor constant perturbed: new anchors for it would be guesses."""
    import flatbuffers

    schema = get_runtime().schema
    m = schema.ModelT.InitFromPackedBuf(bytearray(ssd_model.content), 0)
    sg = m.subgraphs[0]
    post = next(op for op in sg.operators if op.customOptions is not None)
    buf = m.buffers[sg.tensors[int(post.inputs[2])].buffer]
    data = np.array(buf.data, np.uint8)
    data[2::4] //= 2  # halve every anchor height
    buf.data = data
    b = flatbuffers.Builder(0)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    other = parse_model(bytes(b.Output()), tmp_path / "other.tflite")
    assert "recipe" in resize_problem(other)
    det = TFLiteDetector(other, names, threads=2)
    try:
        assert det.input_sizes == (300,)
    finally:
        det.close()
    with pytest.raises(CamappError, match="runs only at input size 300"):
        TFLiteDetector(other, names, threads=2, input_sizes=[300, 208])
    with pytest.raises(ModelError, match="anchors do not follow"):
        resize_model(other, 208)


def test_edgetpu_models_are_not_rewritten(ssd_model):
    from dataclasses import replace

    assert "Edge TPU" in resize_problem(replace(ssd_model, edgetpu=True))


def test_a_too_small_size_is_refused(ssd_model):
    with pytest.raises(ModelError, match="too small"):
        resize_model(ssd_model, 16)


def test_a_too_large_size_is_refused_before_any_work(ssd_model):
    with pytest.raises(ModelError, match=r"input size 100000 is too large \(at most 600\)"):
        resize_model(ssd_model, 100000)
