"""`camapp record finalize FILE...`: make recordings left fragmented by a crash seekable everywhere.

A recording that ends cleanly is finalized by camapp itself; one whose run died (power cut, kill -9,
a full disk) stays a fragmented MP4: it plays, but browsers and some players show no duration and
cannot seek. This finishes such files in place (stream copy, temporary file, atomic rename).

Exit codes: 0 when every file is final afterwards (already-final files are only noted), 2 for a
file that is missing or not an MP4, 1 when a file could not be finalized (broken, busy, disk full).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("record", help="tools for recordings (finalize files left by a crash)")
    rsub = p.add_subparsers(dest="record_command", metavar="ACTION", required=True)
    f = rsub.add_parser(
        "finalize",
        help="turn fragmented .mp4 recordings into regular ones every player can seek",
        description="Turn fragmented .mp4 recordings (left by a run that stopped early) into regular "
        "MP4 files with the index in front, in place, without re-encoding.",
    )
    f.add_argument("files", nargs="+", metavar="FILE", help=".mp4 recordings")


def run(args: argparse.Namespace) -> int:
    from camapp.record.finalize import AlreadyFinal, FinalizeError, check, finalize

    code = 0
    for name in args.files:
        path = Path(name)
        try:
            check(path)
            done = finalize(path)
        except AlreadyFinal as exc:
            print(f"{exc}; left as it is", flush=True)
            continue
        except FinalizeError as exc:
            print(f"camapp: error: {exc}", file=sys.stderr, flush=True)
            usage = not path.is_file() or "not an MP4" in str(exc) or "empty file" in str(exc)
            code = max(code, 2 if usage else 1)
            continue
        print(
            f"finalized {path}: {done.frames} frames, {done.duration:.2f} s, {done.bytes / 1e6:.1f} MB "
            f"in {done.seconds:.2f} s",
            flush=True,
        )
    return code
