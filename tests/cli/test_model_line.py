"""`camapp run`'s model line: a ladder of input sizes on the CPU, the fixed input and the
inference region on a device whose sizes are regions (the AI Camera, the AI HAT+)."""

from __future__ import annotations

from camapp.cli.run import model_line


def status(size: int, sizes: list[int], zooms: list[float], device: str = "hailo") -> dict:
    model = {"running_on": device, "plan": "", "zooms": zooms}
    return {"model": model, "input_size": size, "ladder": [{"size": z} for z in sizes]}


def test_a_cpu_ladder_is_listed_as_sizes() -> None:
    line = model_line(status(300, [300, 240, 176], [], "cpu"))
    assert line == "model: cpu, input 300, ladder [300, 240, 176]"


def test_a_fixed_input_device_names_its_input_and_the_region() -> None:
    sizes, zooms = [300, 450, 600, 900, 1200], [1, 1.5, 2, 3, 4]
    assert model_line(status(600, sizes, zooms)) == (
        "model: hailo, input 300 (fixed), region 2x of 1x 1.5x 2x 3x 4x"
    )
    assert model_line(status(300, sizes, zooms)).endswith("input 300 (fixed), region 1x of 1x 1.5x 2x 3x 4x")
    # zooms that are not one per size are not regions: the sizes are listed as a ladder
    assert model_line(status(300, sizes, [1, 2])) == f"model: hailo, input 300, ladder {sizes}"
