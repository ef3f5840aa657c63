"""The version is written once (camapp/__init__.py), read by the package build and printed by
`camapp --version`; the changelog's newest release is that version."""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import ROOT

import camapp

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

RELEASE = re.compile(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$")


def test_camapp_version_prints_the_one_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "camapp", "--version"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0 and out.stderr == "", out.stderr
    assert out.stdout == f"camapp {camapp.__version__}\n"
    assert re.fullmatch(r"\d+\.\d+\.\d+", camapp.__version__)


def test_the_build_reads_the_version_from_the_package() -> None:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in meta["project"] and meta["project"]["dynamic"] == ["version"]
    assert meta["tool"]["hatch"]["version"] == {"path": "camapp/__init__.py"}
    # hatch's default pattern finds exactly one assignment there
    source = (ROOT / "camapp" / "__init__.py").read_text(encoding="utf-8")
    found = re.findall(r"""^__version__\s*=\s*['"]([^'"]+)['"]""", source, re.MULTILINE)
    assert found == [camapp.__version__]


def test_the_changelog_is_by_version_and_date_newest_first() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings[0] == "## [Unreleased]" and "## [Unreleased]" not in headings[1:]
    releases = [RELEASE.match(h) for h in headings[1:]]
    assert all(releases), [h for h, m in zip(headings[1:], releases) if not m]
    versions = [tuple(map(int, m.group(1).split("."))) for m in releases if m]
    dates = [m.group(2) for m in releases if m]
    assert versions == sorted(versions, reverse=True) and len(set(versions)) == len(versions)
    assert dates == sorted(dates, reverse=True)
    assert releases[0] and releases[0].group(1) == camapp.__version__
    for heading in (line for line in text.splitlines() if line.startswith("### ")):
        assert heading[4:] in ("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"), heading
