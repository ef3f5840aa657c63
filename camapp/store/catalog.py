"""The catalog in `models/catalog.toml`: what each known model is and where it comes from."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from camapp.errors import CamappError
from camapp.store.paths import catalog_dir, model_dir, sample_dir
from camapp.text import read_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class FileSpec:
    name: str
    sha256: str | None = None  # None: not pinned; the TFLite signature is checked instead
    url: str | None = None  # per-file download, for models not shipped in an archive
    size: int | None = None  # bytes; a larger file is refused before it is written out in full


@dataclass(frozen=True)
class ModelEntry:
    name: str
    description: str
    kind: str  # "cpu" or "edgetpu"
    input_size: int
    license: str
    model: str  # the .tflite file among `files`
    labels: str | None
    files: tuple[FileSpec, ...]
    url: str | None = None  # an archive holding `files`
    archive: str | None = None  # "zip" when `url` is an archive
    edgetpu_variant: str | None = None
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def install_dir(self) -> Path:
        return model_dir() / self.name

    @property
    def installed(self) -> bool:
        return all((self.install_dir / f.name).is_file() for f in self.files)

    def labels_path(self) -> Path | None:
        if not self.labels:
            return None
        for folder in (self.install_dir, catalog_dir()):
            if (folder / self.labels).is_file():
                return folder / self.labels
        return None


@dataclass(frozen=True)
class SampleEntry:
    """A sample clip for trying camapp without a camera; fetched and verified like a model."""

    name: str
    description: str
    license: str
    origin: str  # where it is published
    files: tuple[FileSpec, ...]  # one clip, with its pinned SHA-256 and URL
    url: None = None  # no archive: `fetch` downloads each file's own URL
    archive: None = None

    @property
    def install_dir(self) -> Path:
        return sample_dir() / self.name

    @property
    def installed(self) -> bool:
        return all((self.install_dir / f.name).is_file() for f in self.files)

    @property
    def path(self) -> Path:
        return self.install_dir / self.files[0].name


@dataclass(frozen=True)
class Catalog:
    models: dict[str, ModelEntry]
    defaults: dict[str, str]
    samples: dict[str, SampleEntry] = field(default_factory=dict)

    def get(self, name: str) -> ModelEntry:
        try:
            return self.models[name]
        except KeyError:
            known = ", ".join(sorted(self.models))
            raise CamappError(f"unknown model {name!r}: known models are {known}") from None

    def default(self, kind: str = "cpu") -> ModelEntry:
        return self.get(self.defaults.get(kind) or self.defaults["cpu"])

    def sample(self, name: str) -> SampleEntry:
        try:
            return self.samples[name]
        except KeyError:
            known = ", ".join(sorted(self.samples))
            raise CamappError(f"unknown sample {name!r}: known samples are {known}") from None


def load_catalog(path: Path | None = None) -> Catalog:
    path = path or catalog_dir() / "catalog.toml"
    try:
        data = tomllib.loads(read_text(path))  # as users save it: a BOM or CRLF is fine
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CamappError(f"cannot read model catalog {path}: {exc}") from None
    known = {f for f in ModelEntry.__dataclass_fields__ if f not in ("name", "files", "extra")}
    models = {}
    for name, raw in data.get("models", {}).items():
        files = tuple(FileSpec(**f) for f in raw.get("files", ()))
        fields = {k: v for k, v in raw.items() if k in known}
        extra = {k: v for k, v in raw.items() if k not in known and k != "files"}
        models[name] = ModelEntry(name=name, files=files, extra=extra, **fields)
    defaults = {k.removeprefix("default_"): v for k, v in data.items() if k.startswith("default_")}
    samples = {}
    for name, raw in data.get("samples", {}).items():
        files = tuple(FileSpec(**f) for f in raw.get("files", ()))
        samples[name] = SampleEntry(
            name=name,
            description=raw.get("description", ""),
            license=raw.get("license", ""),
            origin=raw.get("origin", ""),
            files=files,
        )
    return Catalog(models, defaults, samples)
