"""Turning what the user typed (`--model NAME|PATH`, `--labels PATH`) into files on disk."""

from __future__ import annotations

from pathlib import Path

from camapp.errors import ModelError
from camapp.store.catalog import load_catalog

LABEL_NAMES = ("labelmap.txt", "labels.txt", "coco_labels.txt")


def _looks_like_path(spec: str) -> bool:
    return spec.endswith(".tflite") or "/" in spec or "\\" in spec or Path(spec).exists()


def resolve_model(
    spec: str | Path | None, labels: str | Path | None = None, kind: str = "cpu"
) -> tuple[Path, Path | None]:
    """(model file, label file or None). Installed catalog models win; paths are taken as given."""
    if spec is not None and (isinstance(spec, Path) or _looks_like_path(spec)):
        path = Path(spec).expanduser()
        if labels is None:
            labels = next((path.parent / n for n in LABEL_NAMES if (path.parent / n).is_file()), None)
        return path, Path(labels) if labels else None
    catalog = load_catalog()
    entry = catalog.get(spec) if spec else catalog.default(kind)
    if not entry.installed:
        raise ModelError(
            f"model {entry.name!r} is not installed: run 'camapp models fetch {entry.name}' "
            f"(or add --from DIR|ZIP to import a local copy)"
        )
    return entry.install_dir / entry.model, Path(labels) if labels else entry.labels_path()
