"""scripts/check-pi-wheels (a CI step) asks pip for the Pi's wheels: markers and tags for the Pi.

The download itself needs PyPI and runs in `.ci/run`; here, what it would ask for."""

from __future__ import annotations

import importlib.machinery
import importlib.util

from conftest import ROOT


def load_script():
    path = ROOT / "scripts" / "check-pi-wheels"
    loader = importlib.machinery.SourceFileLoader("check_pi_wheels", str(path))
    spec = importlib.util.spec_from_loader("check_pi_wheels", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_markers_are_evaluated_for_the_pi_not_this_machine():
    script = load_script()
    bookworm = script.runtime_requirements("3.11")
    names = [r.split(">")[0].split("=")[0].split("<")[0] for r in bookworm]
    assert "ai-edge-litert" in names and "opencv-python-headless" in names
    assert "tomli" not in names  # python_version < '3.11'
    assert all(";" not in r for r in bookworm)  # markers stripped: pip would judge them by this machine
    assert "tomli" in [r.split(">")[0] for r in script.runtime_requirements("3.10")]
    assert not any(r.startswith("PyQt6") for r in bookworm)  # the gui extra comes from apt on a Pi
    assert "aiohttp" in names and "scipy" in names  # the web and track extras a Pi user pip-installs
    assert "apprise" in names and "paho-mqtt" in names  # and the notify and mqtt extras


def test_every_manylinux_tag_the_os_glibc_accepts():
    script = load_script()
    bookworm, trixie = script.platforms("3.11"), script.platforms("3.13")
    assert "manylinux2014_aarch64" in bookworm and "manylinux_2_17_aarch64" in bookworm
    assert "manylinux_2_36_aarch64" in bookworm and "manylinux_2_37_aarch64" not in bookworm  # glibc 2.36
    assert "manylinux_2_41_aarch64" in trixie and "manylinux_2_42_aarch64" not in trixie  # glibc 2.41
    assert all(tag.endswith("_aarch64") for tag in bookworm + trixie)


def test_the_emulated_install_takes_the_web_and_track_extras_only():
    """scripts/check-aarch64 installs what `pip install '.[web,track]'` would on bookworm."""
    names = [r.split(">")[0].split("<")[0] for r in load_script().runtime_requirements("3.11", ("web", "track"))]
    assert "aiohttp" in names and "scipy" in names and "av" in names
    assert "apprise" not in names and "paho-mqtt" not in names and "tomli" not in names
