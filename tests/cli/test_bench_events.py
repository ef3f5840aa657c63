"""`python -m camapp.cli.bench_events`: a small history, the table, and a taken folder refused."""

from __future__ import annotations

from camapp.cli import bench_events
from camapp.record.eventstore import DB_NAME, EventStore


def test_the_benchmark_fills_a_history_and_prints_a_row_per_page(tmp_path, capsys) -> None:
    assert bench_events.main(["--events", "300", "--runs", "2", "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for page in (
        "first page",
        "label + zone (cat, yard)",
        "label (person)",
        "day (",
        "deep page (before=150)",
    ):
        assert page in out
    assert "within the 200 ms target" in out
    first = next(line for line in out.splitlines() if line.startswith("first page"))
    assert first.split()[2] == "24"  # a full page of the 300
    store = EventStore(tmp_path / DB_NAME, readonly=True)
    assert store.count() == 300 and store.integrity() == "ok"
    store.close()


def test_a_folder_with_a_history_is_refused_in_one_line(tmp_path, capsys) -> None:
    EventStore(tmp_path / DB_NAME).close()
    assert bench_events.main(["--events", "10", "--dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "exists" in err
