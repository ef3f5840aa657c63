"""Label files: one name per line, line k+1 is the model's class id k (line 1 is background)."""

from __future__ import annotations

from pathlib import Path

from camapp.errors import ModelError
from camapp.text import read_lines


def load_labels(path: str | Path) -> tuple[str, ...]:
    """Read a TF Object Detection label map; the leading `???` background line is dropped.

    The SSD post-process op emits ids that skip the background class, so id k is line k+1.
    Files without a background line (no leading `???`) are taken as id k = line k.
    """
    p = Path(path)
    try:  # as users save it: a UTF-8 byte-order mark, CRLF, trailing blanks are all fine
        lines = read_lines(p)
    except OSError as exc:
        raise ModelError(f"cannot read label file {p}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ModelError(f"label file {p} is not UTF-8 text") from None
    if not lines:
        raise ModelError(f"label file {p} is empty")
    if lines[0] == "???":
        lines = lines[1:]
    return tuple(lines)


def no_labels_warning(model: str | Path) -> str:
    """What to say when a model comes without a label file: boxes would show bare class numbers."""
    return (
        f"{Path(model).name} has no label file, so classes show as numbers: pass --labels FILE "
        "(one name per line) or put labelmap.txt beside the model"
    )
