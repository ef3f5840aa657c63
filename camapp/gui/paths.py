"""Where the app keeps its settings and output; no Qt here, so `--reset-settings` works without it."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

FILE_NAME = "gui.ini"


def config_dir() -> Path:
    """`CAMAPP_CONFIG_DIR`, else the platform's per-user config folder."""
    env = os.environ.get("CAMAPP_CONFIG_DIR", "").strip()  # a CRLF env file leaves a "\r"
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_config_dir("camapp", appauthor=False))


def settings_path() -> Path:
    return config_dir() / FILE_NAME


def default_output_dir() -> Path:
    """Recordings and snapshots: a camapp folder in the user's Videos folder."""
    return Path(platformdirs.user_videos_dir()) / "camapp"


def reset_settings() -> Path:
    """Delete the settings file; returns its path for the message."""
    path = settings_path()
    path.unlink(missing_ok=True)
    return path
