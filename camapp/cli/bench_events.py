"""`python -m camapp.cli.bench_events`: how fast the browser view's Events panel answers from a
large event history.

It fills a fresh `events.db` with `--events` events (default 10,000: labels, zones and lines in
realistic shares, spread over 30 days, each with its snapshot names and a clip), then times the
panel's pages, `--runs` times each (median and slowest): the handler's own work on its worker
thread (open the database read-only, one page of 24, the filter choices, JSON), and the whole
`GET /api/events` over loopback from the browser view's real server (the HTTP round trip too).
Pages: the first page; a filtered page (label and zone: the rarest combination, so the scan for
24 matches is the longest); a day's page; and a page deep in the history (`before=`).
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from camapp.cli.common import Parser, positive_int
from camapp.errors import CamappError
from camapp.record.eventstore import DB_NAME, EventStore

LABELS = (("person", 0.5), ("car", 0.25), ("dog", 0.1), ("cat", 0.08), ("bicycle", 0.07))
ZONES = (("door", 0.2), ("yard", 0.15))
TARGET_MS = 200.0
T_END = 1_796_600_000.0  # the newest event's start (seconds since the epoch, December 2026)
SPAN = 30 * 86400.0


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="python -m camapp.cli.bench_events", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--events", type=positive_int, default=10_000, help="events in the history (default 10000)"
    )
    p.add_argument("--runs", type=positive_int, default=30, help="requests per page, median (default 30)")
    p.add_argument("--dir", type=Path, help="folder for events.db (default: a temporary folder)")
    p.add_argument("--seed", type=int, default=1, help="random seed of the filled history (default 1)")
    return p


def fill(db: Path, n: int, seed: int) -> None:
    """`n` events in one transaction, oldest first, as `camapp run --history` writes them."""
    rng = random.Random(seed)
    store = EventStore(db)
    labels, weights = zip(*LABELS)
    step = SPAN / n
    for i in range(n):
        start = T_END - SPAN + i * step + rng.uniform(0, step / 2)
        zones = tuple(z for z, share in ZONES if rng.random() < share)
        lines = ("gate up",) if rng.random() < 0.1 else ()
        label = rng.choices(labels, weights)[0]
        row = store.add(
            "cam", label, i, start, rng.uniform(0.5, 0.95), (10.0, 20.0, 200.0, 300.0), zones, lines
        )
        store.update(
            row,
            ended=start + rng.uniform(2, 60),
            snapshot=f"snapshots/{row:06d}-{label}.jpg",
            crop=f"snapshots/{row:06d}-{label}-crop.jpg",
            clip=f"events/{row:06d}_{label}.mp4",
            clip_offset=3.0,
        )
    store.commit()
    store.close()


def pages(db: Path) -> list[tuple[str, dict[str, str]]]:
    """The pages timed: (name, query)."""
    store = EventStore(db, readonly=True)
    try:
        middle = store.page(limit=1)[0].id // 2
    finally:
        store.close()
    day = time.strftime("%Y-%m-%d", time.localtime(T_END - 10 * 86400))
    return [
        ("first page", {}),
        ("label + zone (cat, yard)", {"label": "cat", "zone": "yard"}),
        ("label (person)", {"label": "person"}),
        (f"day ({day})", {"day": day}),
        (f"deep page (before={middle})", {"before": str(middle)}),
    ]


class _HistoryOnly:
    """The slice of a session the Events routes read: where the history is (no camera runs)."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.record_dir = db.parent

    def events_db(self) -> Path:
        return self.db

    def status(self) -> dict[str, Any]:
        return {}

    def on_result(self, callback: Callable[[Any], None]) -> Callable[[], None]:
        return lambda: None

    def on_change(self, callback: Callable[[], None]) -> Callable[[], None]:
        return lambda: None


def timed(fn: Callable[[], Any], runs: int, cpu: list[float] | None = None) -> list[float]:
    """Wall milliseconds of each run (and into `cpu`, this process's CPU milliseconds)."""
    fn()  # warm: the first open reads the schema, the OS caches the file
    out = []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        fn()
        out.append((time.perf_counter() - t) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - c) * 1000)
    return out


def run(args: argparse.Namespace) -> int:
    from camapp.web import events
    from camapp.web.runner import WebServer
    from camapp.web.server import _dumps

    with tempfile.TemporaryDirectory(prefix="camapp-bench-events-") as tmp:
        folder = args.dir or Path(tmp)
        db = folder / DB_NAME
        if db.exists():
            raise CamappError(
                f"{db} exists: give --dir an empty folder (the benchmark writes its own history)"
            )
        folder.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        fill(db, args.events, args.seed)
        print(f"filled {db} with {args.events} events in {time.perf_counter() - t:.1f} s", flush=True)
        server = WebServer(_HistoryOnly(db), "127.0.0.1", 0)  # type: ignore[arg-type]
        server.start()
        try:
            rows = []
            for name, query in pages(db):
                q = events.Query.parse(query)
                cpu: list[float] = []
                work = timed(lambda q=q: _dumps(events.page(db, q)), args.runs, cpu)
                path = "/api/events" + (f"?{urlencode(query)}" if query else "")
                found = len(json.loads(get(server.port, path))["events"])
                http_ms = timed(lambda path=path: get(server.port, path), args.runs)
                rows.append((name, found, work, cpu, http_ms))
        finally:
            server.stop()
    print(f"\nEvents panel, {args.events} events, {args.runs} runs each (ms; median / slowest)")
    print(f"{'page':<34} {'events':>6} {'handler':>16} {'handler CPU':>12} {'GET over loopback':>20}")
    worst = 0.0
    for name, found, work, cpu, http_ms in rows:
        worst = max(worst, statistics.median(http_ms))
        print(
            f"{name:<34} {found:>6} {statistics.median(work):>8.1f} / {max(work):>5.1f}"
            f" {statistics.median(cpu):>12.1f} {statistics.median(http_ms):>12.1f} / {max(http_ms):>5.1f}"
        )
    verdict = "within" if worst <= TARGET_MS else "OVER"
    print(f"\nslowest median GET {worst:.1f} ms: {verdict} the {TARGET_MS:.0f} ms target")
    return 0 if worst <= TARGET_MS else 1


def get(port: int, path: str) -> bytes:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise CamappError(f"GET {path}: {resp.status} {body[:200]!r}")
        return body
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except CamappError as exc:
        print(f"camapp: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
