"""GUI test set-up: Qt offscreen, and settings in a temporary folder (never the user's)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    """Every GUI test reads and writes settings and output under its own tmp_path."""
    monkeypatch.setenv("CAMAPP_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_VIDEOS_DIR", str(tmp_path / "videos"))
    return tmp_path / "config"
