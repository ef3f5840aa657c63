"""The Makefile's two entry points, read with `make -n` (what would run, nothing installed):
`make run` installs the app without the test tools and shows pip's progress; `make test` adds
the test tools; `.ci/run`'s own install satisfies `make test`."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from conftest import ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def dry_run(target: str, venv) -> list[str]:
    # as a user types it, also when the tests themselves run under `make test` (no sub-make notes)
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    done = subprocess.run(
        ["make", "-n", "--no-print-directory", target, f"VENV={venv}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def installs(lines: list[str]) -> list[str]:
    return [line for line in lines if "pip install" in line and "-e " in line]


def test_make_run_installs_the_app_without_test_tools_and_shows_progress(tmp_path):
    lines = dry_run("run", tmp_path / "venv")
    (install,) = installs(lines)
    assert install.endswith("-e '.[gui,web,track,mqtt,notify]'")  # no test extra
    assert not [line for line in lines if "pip install" in line and " -q" in line]  # no silent minutes
    assert any(line.startswith("echo") and "installing camapp" in line for line in lines)
    assert lines[-1].endswith("/bin/camapp ")  # then the app itself


def test_make_test_installs_the_test_tools(tmp_path):
    (install,) = installs(dry_run("test", tmp_path / "venv"))
    assert "'.[gui,web,track,mqtt,notify,test]'" in install and " -q" not in install


def test_ci_runs_install_satisfies_make_test(tmp_path):
    """.ci/run installs at least the extras `make test` would, then touches .venv/.installed:
    `make test` then installs nothing more."""
    import re

    ci = (ROOT / ".ci" / "run").read_text()
    ci_extras = set(re.search(r"pip install -q -e '\.\[([a-z0-9,]+)\]'", ci).group(1).split(","))
    (install,) = installs(dry_run("test", tmp_path / "probe"))
    make_extras = set(re.search(r"'\.\[([a-z0-9,]+)\]'", install).group(1).split(","))
    assert make_extras <= ci_extras and "touch .venv/.installed" in ci
    venv = tmp_path / "venv"
    venv.mkdir()
    (venv / ".installed").touch()
    later = (ROOT / "pyproject.toml").stat().st_mtime + 10
    os.utime(venv / ".installed", (later, later))
    assert installs(dry_run("test", venv)) == []
