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


class FieldError(CamappError, ValueError):
    """A bad value in one field of what the user gave: `field` ("line", "zone", "roi"), the
    region's `name` ("" when the field has none) and the `reason`.

    Each front-end phrases it for what the user touched: the command line names its flag (str()
    is that phrasing, `--line door: its two points are the same`), the desktop app its control,
    the browser view its JSON field. A `ValueError` too, so argparse types may raise it.
    """

    def __init__(self, field: str, reason: str, name: str = "") -> None:
        self.field, self.reason, self.name = field, reason, name
        super().__init__(f"--{field} {name}: {reason}" if name else f"--{field}: {reason}")
