"""`camapp events list|show|export|prune`: the event history `camapp run --history` keeps.

The history is `events.db` in a record folder (`--dir`; without it, `recordings` when it has one)
or, for runs that recorded nothing, in the user data folder. Reading never blocks a run that is
writing (SQLite WAL); `prune` deletes only events that ended, with their snapshots.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any

from camapp.cli.common import positive_float, positive_int
from camapp.errors import CamappError

FIELDS = ("id", "camera", "label", "track_id", "started", "ended", "top_score", "box", "zones", "lines")
FIELDS += ("snapshot", "crop", "clip", "clip_offset", "recording", "recording_offset", "clip_gone")
FIELDS += ("recording_gone",)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "events", help="the event history of `camapp run --history`: list, show, export, prune"
    )
    p.add_argument(
        "--dir",
        metavar="DIR",
        help="the folder holding events.db (default: recordings if it has one, else the user data folder)",
    )
    esub = p.add_subparsers(dest="events_command", metavar="ACTION", required=True)
    ls = esub.add_parser("list", help="events, newest first")
    add_filters(ls)
    ls.add_argument("--limit", type=positive_int, default=50, metavar="N", help="at most N (default 50)")
    ls.add_argument("--json", action="store_true", help="one JSON object per line")
    show = esub.add_parser("show", help="one event, every field")
    show.add_argument("id", type=positive_int, metavar="ID")
    ex = esub.add_parser("export", help="every matching event, oldest first, as CSV or JSON Lines")
    add_filters(ex)
    ex.add_argument("--format", choices=("csv", "jsonl"), default="jsonl", help="default jsonl")
    pr = esub.add_parser(
        "prune", help="delete old events (and their snapshots), or keep the folder under a size"
    )
    pr.add_argument("--older-than", type=positive_float, metavar="DAYS", help="ended more than DAYS ago")
    pr.add_argument(
        "--keep-mb",
        type=positive_float,
        metavar="MB",
        help="keep the folder's event clips and snapshots under MB: the oldest clips go first (their"
        " events stay, marked), then the oldest events; a file being written is never deleted",
    )


def add_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--since", metavar="WHEN", help="started at or after: YYYY-MM-DD[THH:MM[:SS]] or 2h, 30m, 7d"
    )
    p.add_argument("--label", metavar="LABEL", help="only this label")
    p.add_argument("--zone", metavar="NAME", help="only events that entered this zone")


def run(args: argparse.Namespace) -> int:
    from camapp.record.eventstore import DB_NAME, EventStore

    db = find_db(args.dir, DB_NAME)
    store = EventStore(db, readonly=args.events_command != "prune")
    try:
        if args.events_command == "show":
            event = store.get(args.id)
            if event is None:
                raise CamappError(f"no event {args.id} in {db}")
            for key, value in event.to_dict().items():
                print(f"{key:12} {shown(key, value)}")
            return 0
        if args.events_command == "prune":
            return prune(store, db, args.older_than, args.keep_mb)
        filters = {"since": since(args.since), "label": args.label, "zone": args.zone}
        if args.events_command == "list":
            events = store.list(**filters, limit=args.limit)
            if args.json:
                for e in events:
                    print(json.dumps(e.to_dict()))
            else:
                print_table([e.to_dict() for e in events])
            return 0
        rows = (e.to_dict() for e in store.iter(**filters))
        if args.format == "jsonl":
            for row in rows:
                print(json.dumps(row))
        else:
            out = csv.DictWriter(sys.stdout, FIELDS)
            out.writeheader()
            for row in rows:
                out.writerow({k: json.dumps(v) if isinstance(v, list) else v for k, v in row.items()})
        return 0
    finally:
        store.close()


def prune(store: Any, db: Path, older_than: float | None, keep_mb: float | None) -> int:
    """By age, then by size; one line says what went."""
    from camapp.record.retention import MB, enforce_cap

    if older_than is None and keep_mb is None:
        raise CamappError("prune needs --older-than DAYS or --keep-mb MB (or both)")
    gone = store.prune(time.time() - older_than * 86400) if older_than is not None else []
    print(f"pruned {len(gone)} event(s) from {db}; {store.count()} left")
    if keep_mb is not None:
        # held: nothing of this process; a running camapp's files are locked while written
        done = enforce_cap(store, keep_mb)
        held = f"; {len(done.held)} being written kept" if done.held else ""
        print(
            f"kept under {keep_mb:g} MB: removed {len(done.clips)} clip(s) and {len(done.events)} "
            f"event(s), {done.before / MB:.1f} MB -> {done.after / MB:.1f} MB{held}"
        )
    return 0


def find_db(folder: str | None, name: str) -> Path:
    """`DIR/events.db`; without --dir, recordings/ if it has one, else the user data folder's."""
    if folder is not None:
        return Path(folder) / name
    if (Path("recordings") / name).is_file():
        return Path("recordings") / name
    from camapp.record.eventstore import default_folder

    return default_folder() / name


def since(text: str | None) -> float | None:
    """An ISO date/time (local) or a span back from now: `2h`, `30m`, `7d`, `90s`."""
    if text is None:
        return None
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if text[-1:] in units:
        try:
            return time.time() - float(text[:-1]) * units[text[-1]]
        except ValueError:
            pass
    try:
        return dt.datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise CamappError(
            f"--since {text!r}: give a date (2026-12-07, 2026-12-07T14:00) or a span (2h, 7d)"
        ) from None


def shown(key: str, value: Any) -> str:
    if value is None:
        return "-"
    if key in ("started", "ended"):
        return dt.datetime.fromtimestamp(value).isoformat(" ", "seconds")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "-"
    return str(value)


def print_table(rows: list[dict[str, Any]]) -> None:
    """id, start, seconds, label, score, zones, snapshot: one line each."""
    if not rows:
        print("no events")
        return
    print(f"{'id':>6}  {'started':19}  {'secs':>6}  {'label':12} {'score':>5}  {'zones':12} snapshot")
    for r in rows:
        secs = f"{r['ended'] - r['started']:.1f}" if r["ended"] is not None else "open"
        print(
            f"{r['id']:>6}  {shown('started', r['started']):19}  {secs:>6}  {r['label'][:12]:12} "
            f"{r['top_score']:5.2f}  {shown('zones', r['zones'])[:12]:12} {r['snapshot'] or '-'}"
        )
