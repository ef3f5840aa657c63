"""`camapp bench` on a real clip with the real model: every figure is measured, none is made up."""

import json

import pytest
from conftest import BOTTLE_CLIP, need

from camapp.cli import main
from camapp.cli.bench import track_table


def test_bench_json_has_a_measured_row_per_rung(model_store, capsys):
    rc = main(
        ["bench", "--source", str(need(BOTTLE_CLIP)), "--sizes", "300,176", "--frames", "20"]
        + ["--repeat", "1", "--invokes", "30", "--threads", "2", "--json"]
    )
    assert rc == 0
    report = json.loads(capsys.readouterr().out)
    assert [row["input_size"] for row in report["rows"]] == [300, 176]
    for row in report["rows"]:
        assert set(row) == {
            "input_size",
            "invoke_ms",
            "pipeline_fps",
            "record_fps",
            "sequential_fps",
            "pipeline_x_raw",
            "sequential_x_raw",
            "latency_pipeline_fps",
            "latency_pipeline_x_raw",
            "track_fps",
            "track_x_pipeline",
            "track_x_pipeline_min",
            "track_x_pipeline_max",
        }
        assert row["track_fps"] is None and row["track_x_pipeline"] is None  # measured with --track only
        assert row["track_x_pipeline_min"] is None and row["track_x_pipeline_max"] is None
        assert row["invoke_ms"] > 0 and row["pipeline_fps"] > 0 and row["sequential_fps"] > 0
        assert row["record_fps"] > 0
        # one round: each ratio is that round's fps over the raw rate measured around it
        raw_fps = 1000 / row["invoke_ms"]
        assert row["pipeline_x_raw"] == pytest.approx(row["pipeline_fps"] / raw_fps, abs=0.02)
        assert row["sequential_x_raw"] == pytest.approx(row["sequential_fps"] / raw_fps, abs=0.02)
        # 2 threads: the pipeline runs 2 one-thread lanes; one 2-thread interpreter is measured beside
        assert row["latency_pipeline_fps"] > 0
        assert row["latency_pipeline_x_raw"] == pytest.approx(row["latency_pipeline_fps"] / raw_fps, abs=0.02)
    small, big = report["rows"][1], report["rows"][0]
    assert small["invoke_ms"] < big["invoke_ms"]  # 176x176 is a third of the pixels of 300x300
    assert report["invokes"] == 30 and report["threads"] == 2 and report["lanes"] == 2
    assert report["peak_rss_mb"] > 50  # the model and OpenCV alone take more than that


def test_bench_table(model_store, capsys):
    rc = main(
        ["bench", "--source", str(need(BOTTLE_CLIP)), "--sizes", "176", "--frames", "10"] + ["--no-record"]
    )
    out = capsys.readouterr().out
    assert rc == 0
    assert "| input | invoke ms |" in out and "| 176 |" in out and "peak RSS" in out


def test_bench_with_the_latency_schedule_measures_one_interpreter_only(model_store, capsys):
    rc = main(
        ["bench", "--source", str(need(BOTTLE_CLIP)), "--sizes", "176", "--frames", "10", "--repeat", "1"]
        + ["--invokes", "10", "--threads", "2", "--schedule", "latency", "--no-record", "--json"]
    )
    report = json.loads(capsys.readouterr().out)
    assert rc == 0 and report["lanes"] == 1
    assert report["rows"][0]["latency_pipeline_fps"] is None and report["rows"][0]["pipeline_fps"] > 0


def test_bench_needs_a_readable_video_file(tmp_path, capsys):
    assert main(["bench", "--source", str(tmp_path / "nope.mp4")]) == 2
    assert main(["bench", "--source", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0] == f"camapp: error: video file not found: {tmp_path / 'nope.mp4'}"
    assert err[1] == "camapp: error: bench needs a video file, not camera 0"


class _Terminal:
    """Stands in for stderr on a terminal: tqdm draws only when stderr is a TTY."""

    def __init__(self) -> None:
        self.text = ""

    def isatty(self) -> bool:
        return True

    def write(self, s: str) -> int:
        self.text += s
        return len(s)

    def flush(self) -> None:
        pass


BENCH_SMALL = ["--sizes", "300,176", "--frames", "10", "--repeat", "2", "--invokes", "10", "--threads", "1"]


def test_bench_shows_progress_on_a_terminal_stderr_only(model_store, monkeypatch, capsys):
    clip = str(need(BOTTLE_CLIP))
    term = _Terminal()
    monkeypatch.setattr("sys.stderr", term)
    assert main(["bench", "--source", clip, *BENCH_SMALL, "--no-record", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)  # stdout stays pure JSON
    assert [row["input_size"] for row in report["rows"]] == [300, 176]
    text = term.text
    for phase in ("raw invokes", "pipeline", "sequential loop"):
        assert phase in text
    assert "round 1/2, input 300" in text and "round 2/2, input 176" in text
    assert "12/12" in text  # 2 rounds x 2 rungs x 3 steps (no record, one lane at 1 thread)
    # --quiet silences it on a terminal too
    term.text = ""
    assert main(["bench", "--source", clip, *BENCH_SMALL[:4], "--repeat", "1", "--quiet", "--no-record"]) == 0
    assert term.text == ""


def test_bench_is_quiet_when_stderr_is_not_a_terminal(model_store, capsys):
    rc = main(
        ["bench", "--source", str(need(BOTTLE_CLIP)), "--sizes", "176", "--frames", "10"] + ["--no-record"]
    )
    assert rc == 0
    assert capsys.readouterr().err == ""


def test_bench_track_adds_a_row_with_the_tracking_stage(model_store, capsys):
    rc = main(
        ["bench", "--source", str(need(BOTTLE_CLIP)), "--sizes", "176", "--frames", "20", "--repeat", "1"]
        + ["--invokes", "10", "--no-record", "--track", "--json"]
    )
    row = json.loads(capsys.readouterr().out)["rows"][0]
    assert rc == 0 and row["track_fps"] > 0
    # one round: the round's ratio is the ratio of its two figures, and its own min and max
    assert row["track_x_pipeline"] == pytest.approx(row["track_fps"] / row["pipeline_fps"], rel=0.01)
    assert row["track_x_pipeline_min"] == row["track_x_pipeline"] == row["track_x_pipeline_max"]


def test_bench_track_table_over_rounds_shows_the_per_round_ratio_and_its_range(model_store, capsys):
    rc = main(
        ["bench", "--source", str(need(BOTTLE_CLIP)), "--sizes", "176", "--frames", "20", "--repeat", "2"]
        + ["--invokes", "10", "--no-record", "--track", "--json"]
    )
    report = json.loads(capsys.readouterr().out)
    row = report["rows"][0]
    assert rc == 0 and row["track_x_pipeline_min"] <= row["track_x_pipeline"] <= row["track_x_pipeline_max"]
    # two rounds: the median is the middle of the two ratios
    middle = (row["track_x_pipeline_min"] + row["track_x_pipeline_max"]) / 2
    assert row["track_x_pipeline"] == pytest.approx(middle, abs=0.001)
    header, rule, line, note = track_table(report)
    assert header.startswith("| input | pipeline fps (median of 2) | with --track fps (median of 2) |")
    assert "per round: median | min | max |" in header and rule.count("|") == 7
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells == [
        "176",
        f"{row['pipeline_fps']:.1f}",
        f"{row['track_fps']:.1f}",
        f"{row['track_x_pipeline']:.3f}",
        f"{row['track_x_pipeline_min']:.3f}",
        f"{row['track_x_pipeline_max']:.3f}",
    ]
    assert "not that ratio" in note


def test_the_track_table_does_not_pass_a_ratio_of_medians_off_as_the_ratio():
    """Rounds where the load moved: pipeline 81.0, 70.0, 120.0 fps and with tracking 79.7, 98.3,
    118.0 fps. The fps medians (81.0, 98.3) come from different rounds and their quotient, 1.21,
    is no round's; the rounds' ratios are 0.984, 1.404 and 0.983: median 0.984, and the range
    shows the one odd round."""
    report = {
        "repeat": 3,
        "rows": [
            {
                "input_size": 300,
                "pipeline_fps": 81.0,
                "track_fps": 98.3,
                "track_x_pipeline": 0.984,
                "track_x_pipeline_min": 0.983,
                "track_x_pipeline_max": 1.404,
            }
        ],
    }
    header, _, line, note = track_table(report)
    assert line == "| 300 | 81.0 | 98.3 | 0.984 | 0.983 | 1.404 |"
    assert "(median of 3)" in header and "per round" in header
    assert "ratio is taken within a round" in note and "not that ratio" in note
