"""docs/cli.md is the parsers' own help text: this fails when an option changed and the file did not."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

SCRIPT = ROOT / "scripts" / "gen-cli-docs"


def gen(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=120)


def test_cli_reference_is_up_to_date():
    done = gen("--check")
    assert done.returncode == 0, f"{done.stderr.strip()} (run: .venv/bin/python scripts/gen-cli-docs)"


def test_a_stale_reference_is_caught(tmp_path):
    copy = tmp_path / "cli.md"
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    copy.write_text(text.replace("--record-keep-mb", "--record-keep"), encoding="utf-8")
    done = gen("--check", "--out", str(copy))
    assert done.returncode == 1 and "is stale" in done.stderr
    assert gen("--out", str(copy)).returncode == 0  # regenerating fixes it
    assert copy.read_text(encoding="utf-8") == text


def test_every_command_and_option_is_documented():
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    from camapp.cli import COMMANDS

    for name in COMMANDS:
        assert f"## `camapp {name}`" in text
    for option in ("--source", "--record-segment", "--schedule", "--from", "--quiet", "--max-detections"):
        assert option in text
