"""`camapp samples list|fetch`: sample clips for trying camapp without a camera."""

from __future__ import annotations

import argparse

from camapp.store import load_catalog
from camapp.store.paths import sample_dir


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("samples", help="list and fetch the sample clips (for use without a camera)")
    ssub = p.add_subparsers(dest="samples_command", metavar="ACTION", required=True)
    ssub.add_parser("list", help="known sample clips, installed or not, with source and licence")
    f = ssub.add_parser("fetch", help="download (or import with --from) and verify sample clips")
    f.add_argument("names", nargs="*", metavar="NAME", help="sample names (default: all)")
    f.add_argument(
        "--from", dest="source", metavar="DIR", help="import from a local folder holding the clips"
    )
    f.add_argument("--quiet", action="store_true", help="no progress bar")
    f.add_argument(
        "--force", action="store_true", help="download again clips that are installed and verified"
    )


def run(args: argparse.Namespace) -> int:
    catalog = load_catalog()
    if args.samples_command == "list":
        print(f"sample store: {sample_dir()}")
        for entry in catalog.samples.values():
            state = "installed" if entry.installed else "not installed"
            print(f"sample:{entry.name:<8} {entry.files[0].name:<34} {state:<13} {entry.license}")
            print(f"    {entry.description}; from {entry.origin}")
        return 0
    from camapp.store.fetch import fetch, verified

    entries = [catalog.sample(n) for n in args.names] if args.names else list(catalog.samples.values())
    for entry in entries:
        if args.source is None and not args.force and verified(entry):  # offline too: no request made
            print(f"sample:{entry.name} is installed and verified as {entry.path}: nothing to fetch")
            continue
        fetch(entry, args.source, progress=not args.quiet)
        print(f"installed sample:{entry.name} as {entry.path} ({entry.license}, {entry.origin})")
    return 0
