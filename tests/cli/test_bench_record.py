"""The recording benchmark command runs end to end and prints one row per frame size."""

from __future__ import annotations

import re

from conftest import PERSON_CLIP, need

from camapp.cli.bench_record import SIZES, main


def test_bench_prints_a_row_per_size(capsys):
    main([str(need(PERSON_CLIP)), "--frames", "4", "--runs", "1"])
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if re.match(r"\s*\d+x\d+", line)]
    assert [row.split()[0] for row in rows] == [f"{w}x{h}" for w, h in SIZES]
    for row in rows:
        annotate_ms, encode_ms, kbps, close_ms = (float(x) for x in row.split("|")[1:])
        assert annotate_ms > 0 and encode_ms > 0 and kbps > 0 and close_ms > 0
