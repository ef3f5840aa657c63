"""The finalize benchmark runs end to end on a short recording and prints its table row."""

from __future__ import annotations

import re

from conftest import BOTTLE_CLIP, need

from camapp.cli.bench_finalize import main


def test_finalize_bench_prints_a_row(capsys, tmp_path):
    main(
        [
            str(need(BOTTLE_CLIP)),
            "--minutes",
            "0.25",
            "--size",
            "320x180",
            "--runs",
            "2",
            "--dir",
            str(tmp_path),
        ]
    )
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("recording: 0.25 min of 320x180 at 30 fps, crf 23")
    m = re.fullmatch(r"\s*([\d.]+)MB\s+(\d+)\s+([\d.]+)s\s+([\d.]+)s\s+([\d.]+)s\s+([\d.]+)s\s+(\d+)", out[2])
    assert m, out[2]
    assert int(m[2]) == 450 and float(m[3]) == 15.0  # 15 s at 30 fps, read back from the final file
    assert 0 < float(m[5]) <= float(m[4]) <= float(m[6])
    assert list(tmp_path.iterdir()) == []  # its temporary folder is gone
