"""User-facing errors: the CLI prints them as one line and exits with their code."""

from __future__ import annotations


class CamappError(Exception):
    """A mistake the user can fix (bad file, wrong camera, bad model). Never a traceback."""

    exit_code: int = 2

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class ModelError(CamappError):
    """A model file that is missing, corrupt, or not an SSD detector."""


class SourceError(CamappError):
    """A camera, file or stream that cannot be opened."""


class DeviceError(CamappError):
    """An accelerator (Edge TPU) that cannot be used."""
