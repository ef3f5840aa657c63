"""`camapp models list|fetch`: what is known, what is installed, and installing it."""

from __future__ import annotations

import argparse

from camapp.store import load_catalog, model_dir


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list and fetch models")
    msub = p.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    msub.add_parser("list", help="known and installed models")
    f = msub.add_parser("fetch", help="download (or import with --from) and verify a model")
    f.add_argument("name", nargs="?", help="catalog name (default: the default model)")
    f.add_argument("--from", dest="source", metavar="DIR|ZIP", help="import from a local folder or zip")
    f.add_argument("--quiet", action="store_true", help="no progress bar")
    f.add_argument(
        "--force",
        action="store_true",
        help="download again although the model is installed and verified (without it: nothing to do)",
    )


def _size(entry) -> str:
    total = sum((entry.install_dir / f.name).stat().st_size for f in entry.files)
    return f"{total / 1e6:.1f} MB"


def run(args: argparse.Namespace) -> int:
    catalog = load_catalog()
    if args.models_command == "list":
        print(f"model store: {model_dir()}")
        w = max([42, *(len(name) for name in catalog.models)])
        print(f"{'name':<{w}} {'kind':<8} {'input':>5}  {'installed':<10} license")
        for entry in catalog.models.values():
            state = _size(entry) if entry.installed else "no"
            print(f"{entry.name:<{w}} {entry.kind:<8} {entry.input_size:>5}  {state:<10} {entry.license}")
        return 0
    entry = catalog.get(args.name) if args.name else catalog.default("cpu")
    from camapp.store.fetch import fetch, verified

    if args.source is None and not args.force and verified(entry):  # offline too: no request made
        print(f"{entry.name} is installed and verified in {entry.install_dir}: nothing to fetch")
        return 0
    where = fetch(entry, args.source, progress=not args.quiet)
    print(f"installed {entry.name} in {where}")
    return 0
