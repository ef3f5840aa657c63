"""The systemd unit's wrapper (assets/camapp-record): segments by time or size, size-capped folder.

`camapp run` is stood in for by a small script that records its arguments, writes to the --record
file until SIGINT, then marks the file as cleanly closed, as a recorder finishing its file would.
The unit file itself was checked with `systemd-analyze verify` (paths adapted); not in a test.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WRAPPER = ROOT / "assets" / "camapp-record"
UNIT = ROOT / "assets" / "camapp.service"

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="bash + GNU stat wrapper")

FAKE_CAMAPP = """#!{python}
import sys, time
args = sys.argv[1:]
with open({log!r}, "a") as log:
    log.write(" ".join(args) + "\\n")
if {exit_code} is not None:
    sys.exit({exit_code})
path = args[args.index("--record") + 1]
try:
    with open(path, "ab") as out:
        while True:
            out.write(b"x" * {chunk})
            out.flush()
            time.sleep(0.1)
except KeyboardInterrupt:
    with open(path, "ab") as out:
        out.write(b"END")
    sys.exit(130)
"""


def fake_camapp(tmp_path: Path, chunk: int = 1000, exit_code: int | None = None) -> Path:
    script = tmp_path / "camapp"
    script.write_text(
        FAKE_CAMAPP.format(
            python=sys.executable, log=str(tmp_path / "calls.log"), chunk=chunk, exit_code=exit_code
        )
    )
    script.chmod(0o755)
    return script


def start(tmp_path: Path, camapp: Path, **env: str) -> subprocess.Popen:
    full = {
        **os.environ,
        "CAMAPP": str(camapp),
        "CAMAPP_OUT": str(tmp_path / "rec"),
        "CAMAPP_ARGS": "--source picam --device edgetpu",
        "CAMAPP_POLL_SECONDS": "1",
        **env,
    }
    return subprocess.Popen(
        ["bash", str(WRAPPER)], env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> tuple[int, str]:
    """SIGTERM as systemd sends it (KillMode=mixed: to the wrapper only)."""
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    return proc.returncode, out + err


def test_segments_by_time_each_closed_cleanly(tmp_path):
    proc = start(tmp_path, fake_camapp(tmp_path), CAMAPP_SEGMENT_SECONDS="1")
    time.sleep(4.5)
    rc, err = stop(proc)
    assert rc == 0, err
    files = sorted((tmp_path / "rec").glob("camapp-*.mp4"))
    assert len(files) >= 2
    assert all(f.read_bytes().endswith(b"END") for f in files)  # every segment got its SIGINT
    calls = (tmp_path / "calls.log").read_text().splitlines()
    assert len(calls) == len(files)
    assert calls[0].startswith("run --headless --source picam --device edgetpu --record ")


def test_segment_cut_by_size(tmp_path):
    proc = start(
        tmp_path,
        fake_camapp(tmp_path, chunk=400_000),
        CAMAPP_SEGMENT_SECONDS="3600",
        CAMAPP_SEGMENT_MAX_MB="1",
    )
    time.sleep(4.5)
    rc, err = stop(proc)
    assert rc == 0, err
    files = sorted((tmp_path / "rec").glob("camapp-*.mp4"))
    assert len(files) >= 2
    assert all(f.read_bytes().endswith(b"END") for f in files)


def test_oldest_recordings_pruned_to_the_cap(tmp_path):
    rec = tmp_path / "rec"
    rec.mkdir()
    old = []
    for i in range(3):
        f = rec / f"camapp-2020010{i + 1}-000000.mp4"
        f.write_bytes(b"o" * 600_000)
        os.utime(f, (1_600_000_000 + i, 1_600_000_000 + i))
        old.append(f)
    (rec / "notes.txt").write_bytes(b"n" * 2_000_000)  # not a recording: never touched
    proc = start(tmp_path, fake_camapp(tmp_path), CAMAPP_SEGMENT_SECONDS="3600", CAMAPP_KEEP_MB="1")
    time.sleep(1.5)
    rc, err = stop(proc, signal.SIGINT)  # Ctrl-C when run by hand
    assert rc == 0, err
    assert not old[0].exists() and not old[1].exists() and old[2].exists()
    assert (rec / "notes.txt").exists()
    assert "removed" in err


def test_camapp_failing_exits_with_its_status(tmp_path):
    """Stands for `camapp run` refusing to start (e.g. no camera: exit 2); systemd restarts later."""
    proc = start(tmp_path, fake_camapp(tmp_path, exit_code=2), CAMAPP_SEGMENT_SECONDS="60")
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 2
    assert "camapp exited with status 2" in err


def test_bad_setting_is_reported(tmp_path):
    proc = start(tmp_path, fake_camapp(tmp_path), CAMAPP_SEGMENT_SECONDS="15m")
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 2 and "CAMAPP_SEGMENT_SECONDS must be a whole number" in err


def test_unit_runs_the_wrapper_with_a_clean_stop():
    unit = UNIT.read_text()
    assert "ExecStart=/home/pi/camapp/assets/camapp-record" in unit
    assert "KillMode=mixed" in unit and "KillSignal=SIGTERM" in unit and "Restart=always" in unit
    assert os.access(WRAPPER, os.X_OK)


def test_real_camapp_run_in_segments(tmp_path, model_store):
    """The real `camapp run --headless` on the shared bottle clip (standing in for the Pi camera),
    cut into segments by the wrapper: every segment is a complete, decodable recording."""
    import av
    from conftest import BOTTLE_CLIP, need

    shim = tmp_path / "camapp"
    shim.write_text(f'#!/usr/bin/env bash\ncd {ROOT}\nexec {sys.executable} -m camapp "$@"\n')
    shim.chmod(0o755)
    proc = start(
        tmp_path,
        shim,
        CAMAPP_ARGS=f"--source {need(BOTTLE_CLIP)} --loop --stats-every 100",
        CAMAPP_SEGMENT_SECONDS="3",
        CAMAPP_MODEL_DIR=str(model_store),
    )
    time.sleep(10)
    rc, err = stop(proc)
    assert rc == 0, err
    files = sorted((tmp_path / "rec").glob("camapp-*.mp4"))
    assert len(files) >= 2, err
    assert err.count(": ok") == len(files), err  # camapp's own "recording FILE: ok" per segment
    for f in files:
        with av.open(str(f)) as container:
            assert sum(1 for _ in container.decode(video=0)) > 0
