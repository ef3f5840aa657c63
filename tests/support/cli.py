"""`camapp run` as the option tests call it: a bad option is one line and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import PERSON_CLIP, need

from camapp.cli import main


def run_refused(
    capsys: pytest.CaptureFixture[str], extra: list[str], reason: str, frames: int = 3
) -> list[str]:
    """`camapp run --headless` on the person clip with `extra` must exit 2 with one line
    `camapp: error: ...` that says `reason`, whether camapp or argparse refused it (argparse
    exits by itself)."""
    argv = ["run", "--headless", "--source", str(need(PERSON_CLIP)), "--max-frames", "3", *extra]
    try:
        rc = main(argv)
    except SystemExit as exc:
        rc = exc.code
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2, err
    assert len(err) == 1 and err[0].startswith("camapp: error: ") and reason in err[0], err


def in_folder(extra: list[str], folder: Path) -> list[str]:
    """`extra` with `{tmp}` replaced by `folder`."""
    return [e.format(tmp=folder) for e in extra]
