"""`camapp` itself: usage mistakes ("did you mean"), and Ctrl-C from the process's first moment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import PERSON_CLIP, ROOT, need

from camapp.cli import main
from camapp.cli.common import Parser, close, unrecognized


def usage_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_a_mistyped_option_gets_a_suggestion_and_its_command_help(capsys):
    line = usage_error(capsys, ["run", "--headless", "--source", "0", "--recrod", "x.mp4"])
    assert line == (
        "camapp: error: unrecognized arguments: --recrod x.mp4; did you mean --record? "
        "(see 'camapp run --help')"
    )


def test_suggestions_for_each_mistyped_option_and_none_for_other_words(capsys):
    line = usage_error(capsys, ["run", "--headless", "--source", "0", "--max-farmes", "3", "--lgo=x", "zzz"])
    assert "--max-farmes: did you mean --max-frames?" in line and "--lgo=x: did you mean --log?" in line
    assert "zzz:" not in line and line.endswith("(see 'camapp run --help')")
    line = usage_error(capsys, ["run", "--headless", "--source", "0", "--qqqqqq"])
    assert line == "camapp: error: unrecognized arguments: --qqqqqq (see 'camapp run --help')"


def test_a_nested_command_reports_its_own_help(capsys):
    line = usage_error(capsys, ["models", "fetch", "--qiet"])
    assert "did you mean --quiet?" in line and line.endswith("(see 'camapp models fetch --help')")


def test_a_mistyped_command_or_choice_gets_a_suggestion(capsys):
    line = usage_error(capsys, ["rnu", "--headless"])
    assert "invalid choice: 'rnu'" in line and "'run'?" in line
    line = usage_error(capsys, ["run", "--headless", "--source", "0", "--schedule", "throughpt"])
    assert "'throughput'?" in line and line.endswith("(see 'camapp run --help')")
    line = usage_error(capsys, ["run", "--headless", "--source", "0", "--schedule", "zzz"])
    assert "did you mean" not in line and "maybe you meant" not in line and "invalid choice: 'zzz'" in line


def test_the_desktop_app_parser_suggests_too(capsys):
    line = usage_error(capsys, ["--sorce", "0"])
    assert "did you mean --source?" in line


def test_close_and_unrecognized_on_their_own():
    assert close("--recrod", ["--record", "--log"]) == "--record"
    assert close("--x", ["--record", "--log"]) is None
    p = Parser(prog="t")
    p.add_argument("--threshold")
    assert unrecognized(["--treshold"], p) == "unrecognized arguments: --treshold; did you mean --threshold?"


def child_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


# The `camapp` console script as pip writes it, with a hook that sends SIGINT to the process when
# numpy starts to import: a Ctrl-C in the first tenth of a second, at the moment it used to land.
ENTRY = textwrap.dedent(
    """
    import os, signal, sys

    class CtrlC:
        def find_spec(self, name, path=None, target=None):
            if name == "numpy":
                sys.meta_path.remove(self)
                os.kill(os.getpid(), signal.SIGINT)
            return None

    sys.meta_path.insert(0, CtrlC())
    from camapp.cli import main
    sys.argv[0] = "camapp"
    sys.exit(main())
    """
)


def test_ctrl_c_while_numpy_imports_is_one_line_not_a_traceback(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", ENTRY, "run", "--headless", "--source", "sample:person", "--max-frames", "5"],
        capture_output=True,
        text=True,
        timeout=120,
        env=child_env(),
        cwd=tmp_path,
    )
    assert "Traceback" not in done.stderr and "KeyboardInterrupt" not in done.stderr, done.stderr
    assert done.stderr.strip() == "camapp: interrupted" and done.returncode == 130


def catches_sigint(pid: int) -> bool:
    """Whether the process has a handler for SIGINT (bit 2 of SigCgt in /proc/PID/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGINT - 1)))
    return False


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_ctrl_c_before_the_run_starts_is_not_lost_in_a_background_job(model_store, tmp_path):
    """`camapp run ... &` in a shell script starts with SIGINT ignored. A SIGINT sent while the
    model loads (before the run loop's own handler) must stop it, as one sent later does."""
    script = tmp_path / "start.sh"
    script.write_text('"$@" &\necho $!\nwait\n')
    cmd = [sys.executable, "-m", "camapp", "run", "--headless", "--source", str(need(PERSON_CLIP))]
    cmd += ["--duration", "60", "--record", str(tmp_path / "r.mp4")]
    shell = subprocess.Popen(
        ["sh", str(script), *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env()
    )
    assert shell.stdout is not None
    pid = int(shell.stdout.readline())
    deadline = time.monotonic() + 30
    while not catches_sigint(pid) and time.monotonic() < deadline:
        time.sleep(0.005)
    t0 = time.monotonic()
    os.kill(pid, signal.SIGINT)
    out, err = shell.communicate(timeout=60)
    assert time.monotonic() - t0 < 30, "the SIGINT was lost: the run went on"
    assert "Traceback" not in err, err
    # stopped before the run loop began (which would print a summary and exit 0)
    # the run loop never began (it would print a summary); a SIGINT that lands while Python
    # itself is still starting ends it before camapp can print its line, also not lost
    lines = err.strip().splitlines()
    assert "summary:" not in out and (not lines or lines[-1] == "camapp: interrupted"), err
