"""`camapp run --motion` options: mistakes are one line and exit 2; a run reports motion."""

import pytest
from conftest import BOTTLE_CLIP, need
from support.cli import run_refused

from camapp.cli import main


@pytest.mark.parametrize(
    "extra,reason",
    [
        (["--motion", "--motion-mask", "0.1,0.1,0.5,0.5"], "at least 3 points, got 2"),
        (["--motion", "--motion-mask", "0.1,0.1,0.5,0.5,1.2,0.3"], "between 0 and 1"),
        (["--motion", "--motion-sensitivity", "1.5"], "--motion-sensitivity must be between 0 and 1"),
        (["--motion", "--motion-sensitivity", "high"], "'high' is not a number"),
        (["--motion", "--motion-min-area", "-0.1"], "--motion-min-area must be between 0 and 1"),
        (["--motion", "sideways"], "invalid choice"),
        (["--motion-mask", "0,0,1,0,1,1"], "--motion-mask goes with --motion"),
        (["--motion-sensitivity", "0.7"], "--motion-sensitivity goes with --motion"),
        (["--motion", "regions", "--roi", "0,0,0.5,1"], "--motion regions and --roi do not go together"),
    ],
)
def test_bad_motion_options_exit_2_with_one_line(model_store, capsys, extra, reason):
    run_refused(capsys, extra, reason)


def test_a_motion_run_reports_frames_detected_and_skipped(model_store, capsys):
    """The bottle clip's first 120 frames at full speed: a hand moves the bottle now and then;
    the summary and the stats line say how many frames the detector skipped."""
    args = ["run", "--headless", "--source", str(need(BOTTLE_CLIP)), "--no-realtime", "--max-frames", "120"]
    args += ["--motion", "--motion-mask", "0,0,0.05,0,0.05,0.05", "--stats-every", "0.5"]
    assert main(args) == 0
    out = capsys.readouterr().out.splitlines()
    motion = next(line for line in out if line.startswith("motion: "))
    detected = int(motion.split("detected ")[1].split(" frames")[0])
    skipped = int(motion.split("skipped ")[1].split(" |")[0])
    assert detected + skipped == 120 and detected >= 1
    summary = next(line for line in out if line.startswith("summary: "))
    assert "120 frames" in summary
    assert any(" | motion o" in line for line in out if line.startswith(("running", "ended")))
