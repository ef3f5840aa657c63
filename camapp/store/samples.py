"""`sample:NAME` sources: the catalog's sample clips, installed through the verified store.

They let someone without a camera see camapp work: `camapp samples fetch`, then
`camapp --source sample:person`. Resolution happens where a source spec is turned into a source,
so every front-end (the app, `camapp run`, `camapp bench`) accepts the same spelling.
"""

from __future__ import annotations

from pathlib import Path

from camapp.errors import SourceError
from camapp.store.catalog import load_catalog

PREFIX = "sample:"


def is_sample(spec: str) -> bool:
    return str(spec).startswith(PREFIX)


def sample_path(spec: str) -> Path:
    """The installed clip for `sample:NAME`; a one-line error saying how to fetch it when missing."""
    name = str(spec)[len(PREFIX) :].strip()
    samples = load_catalog().samples
    if name not in samples:
        known = ", ".join(f"{PREFIX}{n}" for n in sorted(samples))
        raise SourceError(f"unknown sample {spec!r}: known samples are {known}")
    entry = samples[name]
    if not entry.installed:
        raise SourceError(
            f"sample {name!r} is not installed: run 'camapp samples fetch {name}' "
            f"(or add --from DIR with a local copy of {entry.files[0].name})"
        )
    return entry.path


def expand_sample(spec: str) -> str:
    """`sample:NAME` -> the clip's absolute path; any other spec unchanged."""
    return str(sample_path(spec)) if is_sample(spec) else spec
