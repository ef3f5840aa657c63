"""Where things live on disk."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def model_dir() -> Path:
    """Installed models: `CAMAPP_MODEL_DIR`, else the platform's user data dir."""
    env = os.environ.get("CAMAPP_MODEL_DIR", "").strip()  # a CRLF env file leaves a "\r"
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("camapp", appauthor=False)) / "models"


def sample_dir() -> Path:
    """Installed sample clips: `CAMAPP_SAMPLE_DIR`, else beside the models in the user data dir."""
    env = os.environ.get("CAMAPP_SAMPLE_DIR")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("camapp", appauthor=False)) / "samples"


def catalog_dir() -> Path:
    """The shipped `models/` folder: inside the wheel, or the source tree when run from it."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "_data" / "models"
    return packaged if packaged.is_dir() else here.parent / "models"
