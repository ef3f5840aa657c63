"""Run camapp as a careless or hostile user would, and print a Markdown table: case, expected, got.

    .venv/bin/python scripts/reliability_sweep.py [--shared ../shared] > sweep.md

Every case is a real command (a real process, the real model, real files in a scratch folder);
"got" is what really happened (exit code, the last stderr line, and the check on the files).
A case whose result is not what is expected is marked FAIL. docs/reliability.md holds a run.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

PY = sys.executable
BOM = "\ufeff"
ROWS: list[tuple[str, str, str, bool]] = []


def camapp(*args: str, cwd: Path, env: dict[str, str], timeout: float = 120, stdin: int | None = None):
    return subprocess.run(
        [PY, "-m", "camapp", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=stdin if stdin is not None else subprocess.DEVNULL,
    )


def last(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def short(text: str, n: int = 110) -> str:
    text = text.replace("|", "\\|")
    return text if len(text) <= n else text[: n - 1] + "…"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "missing"


def frames(path: Path) -> int:
    import av

    try:
        with av.open(str(path)) as c:
            return sum(1 for _ in c.decode(video=0))
    except Exception:
        return -1


def row(case: str, expected: str, got: str, ok: bool) -> None:
    ROWS.append((case, expected, got, ok))
    print(f"{'ok  ' if ok else 'FAIL'} {case}: {got}", file=sys.stderr, flush=True)


def expect_exit(case: str, args: list[str], code: int, words: str, w: Path, env, keep: list[Path] = (), **kw):
    """Run; expect exit `code`, exactly one stderr line (when nonzero) containing `words`, `keep` intact."""
    before = {p: sha(p) for p in keep}
    done = camapp(*args, cwd=w, env=env, **kw)
    err = [ln for ln in done.stderr.strip().splitlines() if ln.strip()]
    intact = all(sha(p) == h for p, h in before.items())
    one = len(err) == 1 if code else True
    ok = (
        done.returncode == code
        and words in (done.stderr + done.stdout)
        and intact
        and one
        and "Traceback" not in done.stderr
    )
    got = f"exit {done.returncode}: {short(last(done.stderr) or last(done.stdout))}"
    if keep:
        got += "; input intact" if intact else "; INPUT CHANGED"
    if code and len(err) != 1:
        got += f" ({len(err)} stderr lines)"
    row(case, f"exit {code}, one line" + (", input intact" if keep else ""), got, ok)
    return done


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[1].parent / "shared"))
    shared = Path(ap.parse_args().shared)
    w = Path(tempfile.mkdtemp(prefix="camapp-sweep-"))
    env = {**os.environ, "CAMAPP_MODEL_DIR": str(w / "store"), "PYTHONWARNINGS": "ignore"}
    model_src = shared / "models" / "ssd_mobilenet_v1_coco_quant"
    camapp("models", "fetch", "--from", str(model_src), "--quiet", cwd=w, env=env)
    model = w / "store" / "ssd_mobilenet_v1_coco_quant" / "detect.tflite"
    labels = model.parent / "labelmap.txt"
    clip = w / "clip.mp4"
    shutil.copyfile(shared / "media" / "video" / "bottle-detection.mp4", clip)
    person = shared / "media" / "video" / "one-by-one-person-detection.mp4"
    photo = w / "pets.jpg"
    shutil.copyfile(shared / "media" / "images" / "pets.jpg", photo)
    (w / "link.mp4").symlink_to(clip)
    os.link(clip, w / "hard.mp4")
    (w / "sub").mkdir()
    run = ["run", "--headless", "--no-realtime", "--max-frames", "5"]
    src = ["--source", "clip.mp4"]

    # -- outputs that would destroy an input ------------------------------------------------------
    expect_exit(
        "--record onto the source", [*run, *src, "--record", "clip.mp4"], 2, "is an input", w, env, [clip]
    )
    expect_exit("--log onto the source", [*run, *src, "--log", "clip.mp4"], 2, "is an input", w, env, [clip])
    expect_exit(
        "--record ./source --overwrite",
        [*run, *src, "--record", "./clip.mp4", "--overwrite"],
        2,
        "is an input",
        w,
        env,
        [clip],
    )
    expect_exit(
        "--record sub/../source",
        [*run, *src, "--record", "sub/../clip.mp4"],
        2,
        "is an input",
        w,
        env,
        [clip],
    )
    expect_exit(
        "--record symlink to the source",
        [*run, *src, "--record", "link.mp4", "--overwrite"],
        2,
        "is an input",
        w,
        env,
        [clip],
    )
    expect_exit(
        "--log hard link to the source",
        [*run, *src, "--log", "hard.mp4", "--overwrite"],
        2,
        "is an input",
        w,
        env,
        [clip],
    )
    expect_exit(
        "--log onto the label file",
        [*run, *src, "--log", str(labels), "--overwrite"],
        2,
        "is an input",
        w,
        env,
        [labels],
    )
    expect_exit(
        "--log onto --model FILE",
        [*run, *src, "--model", str(model), "--log", str(model), "--overwrite"],
        2,
        "is an input",
        w,
        env,
        [model],
    )
    expect_exit(
        "--source file://clip.mp4 --record clip.mp4",
        [*run, "--source", f"file://{clip}", "--record", "clip.mp4"],
        2,
        "is an input",
        w,
        env,
        [clip],
    )

    # -- outputs that exist, collide, or are odd ---------------------------------------------------
    old = w / "old.mp4"
    old.write_bytes(b"last week")
    expect_exit(
        "--record an existing file", [*run, *src, "--record", "old.mp4"], 2, "already exists", w, env, [old]
    )
    oldlog = w / "old.jsonl"
    oldlog.write_text("keep\n")
    expect_exit(
        "--log an existing file", [*run, *src, "--log", "old.jsonl"], 2, "already exists", w, env, [oldlog]
    )
    d = camapp(*run, *src, "--record", "old.mp4", "--overwrite", cwd=w, env=env)
    row(
        "--record an existing file --overwrite",
        "exit 0, replaced, 5 frames",
        f"exit {d.returncode}, {frames(old)} frames",
        d.returncode == 0 and frames(old) == 5,
    )
    expect_exit(
        "--record x --log ./x",
        [*run, *src, "--record", "x.mp4", "--log", "./x.mp4"],
        2,
        "must name different files",
        w,
        env,
    )
    expect_exit("--record a folder", [*run, *src, "--record", "sub"], 2, "", w, env)
    (w / "sub.mp4").mkdir()
    expect_exit(
        "--record sub.mp4 that is a folder", [*run, *src, "--record", "sub.mp4"], 2, "is a folder", w, env
    )
    expect_exit(
        "--record in a missing folder", [*run, *src, "--record", "nodir/x.mp4"], 2, "cannot write", w, env
    )
    expect_exit("--record .avi", [*run, *src, "--record", "x.avi"], 2, ".mp4", w, env)
    expect_exit(
        "--record name of 300 characters",
        [*run, *src, "--record", "a" * 300 + ".mp4"],
        2,
        "File name too long",
        w,
        env,
    )
    d = camapp(*run, *src, "--record", "my ü clip.MP4", cwd=w, env=env)
    row(
        "--record with spaces, ü and .MP4",
        "exit 0, 5 frames",
        f"exit {d.returncode}, {frames(w / 'my ü clip.MP4')} frames",
        d.returncode == 0 and frames(w / "my ü clip.MP4") == 5,
    )
    d = camapp(*run, *src, "--log", "/dev/stdout", cwd=w, env=env)
    n = sum(1 for ln in d.stdout.splitlines() if ln.startswith('{"frame"'))
    row(
        "--log /dev/stdout",
        "exit 0, 5 JSON lines on stdout",
        f"exit {d.returncode}, {n} JSON lines",
        d.returncode == 0 and n == 5,
    )
    expect_exit(
        "--log /dev/full (a full disk)",
        [*run, *src, "--log", "/dev/full"],
        1,
        "No space left on device",
        w,
        env,
    )
    expect_exit(
        "--record /proc/version.mp4 (unwritable)",
        [*run, *src, "--record", "/proc/x.mp4"],
        2,
        "cannot write",
        w,
        env,
    )
    (w / "afile").write_text("x")
    expect_exit(
        "--snapshot-dir is a file", [*run, *src, "--snapshot-dir", "afile"], 2, "cannot write", w, env
    )
    expect_exit(
        "--record-dir is a file",
        [*run, *src, "--record-on", "bottle", "--record-dir", "afile"],
        2,
        "cannot write",
        w,
        env,
    )

    # two runs at once
    def two_runs(
        case: str, first: list[str], second: list[str], code: int, check: Callable[[], tuple[str, bool]]
    ):
        p = subprocess.Popen(
            [PY, "-m", "camapp", "run", "--headless", *src, "--loop", "--duration", "60", *first],
            cwd=w,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        t0 = time.monotonic()
        while time.monotonic() - t0 < 60 and "model:" not in (p.stdout.readline() or "model:"):
            pass
        time.sleep(1.5)
        d = camapp("run", "--headless", *src, "--max-frames", "40", *second, cwd=w, env=env)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
        extra, fine = check()
        ok = d.returncode == code and p.returncode == 0 and fine
        row(
            case,
            f"second exit {code}, first run's file intact",
            f"second exit {d.returncode}: {short(last(d.stderr) or last(d.stdout), 70)}; first exit {p.returncode}; {extra}",
            ok,
        )

    def whole(path: Path, log: Path | None = None):
        def check():
            n = frames(path)
            lines = len(log.read_text().splitlines()) if log else n
            return f"{n} frames decode" + (f", {lines} log lines" if log else ""), n > 0 and n == lines

        return check

    two_runs(
        "two runs, same --record",
        ["--record", "same.mp4", "--log", "same.jsonl"],
        ["--record", "same.mp4"],
        2,
        whole(w / "same.mp4", w / "same.jsonl"),
    )
    two_runs(
        "two runs, same --record, second --overwrite",
        ["--record", "same2.mp4"],
        ["--record", "same2.mp4", "--overwrite"],
        2,
        whole(w / "same2.mp4"),
    )
    two_runs(
        "two runs, same --log --overwrite",
        ["--log", "same3.jsonl"],
        ["--log", "same3.jsonl", "--overwrite"],
        2,
        lambda: ("log kept", (w / "same3.jsonl").stat().st_size > 0),
    )
    two_runs(
        "two runs, same --snapshot-dir",
        ["--snapshot-dir", "snaps", "--snapshot-every", "0.2"],
        ["--snapshot-dir", "snaps", "--snapshot-every", "0.2"],
        0,
        lambda: (
            f"{len(list((w / 'snaps').iterdir()))} distinct snapshots",
            len(list((w / "snaps").iterdir())) > 2,
        ),
    )
    two_runs(
        "two runs, same --record-on dir",
        ["--record-on", "bottle", "--record-dir", "ev"],
        ["--record-on", "bottle", "--record-dir", "ev"],
        0,
        lambda: (
            f"{len(list((w / 'ev').glob('*.mp4')))} clips, all play",
            all(frames(p) > 0 for p in (w / "ev").glob("*.mp4")) and len(list((w / "ev").glob("*.mp4"))) >= 2,
        ),
    )
    two_runs(
        "two runs, same segment base",
        ["--record", "seg.mp4", "--record-segment", "1"],
        ["--record", "seg.mp4", "--record-segment", "1"],
        0,
        lambda: (
            f"{len(list(w.glob('seg-*.mp4')))} segments, all play",
            all(frames(p) > 0 for p in w.glob("seg-*.mp4")),
        ),
    )

    # segments never prune the input
    segsrc = w / "cam-20200101-000000.mp4"
    shutil.copyfile(clip, segsrc)
    os.utime(segsrc, (1, 1))
    d = camapp(
        "run",
        "--headless",
        "--no-realtime",
        "--source",
        segsrc.name,
        "--record",
        "cam.mp4",
        "--record-segment",
        "0.5",
        "--record-keep-mb",
        "0.2",
        cwd=w,
        env=env,
    )
    row(
        "segments with --record-keep-mb; the source matches their pattern",
        "source never pruned",
        f"exit {d.returncode}; source {'kept' if segsrc.exists() else 'DELETED'}",
        segsrc.exists(),
    )

    # -- detect ---------------------------------------------------------------------------------
    (w / "dd").mkdir()
    shutil.copyfile(photo, w / "dd" / "pets.jpg")
    h = sha(w / "dd" / "pets.jpg")
    d = camapp("detect", "pets.jpg", "--out", ".", cwd=w / "dd", env=env)
    row(
        "detect pets.jpg --out . (the photo's folder)",
        "photo kept, copy as pets-2.jpg",
        f"exit {d.returncode}; photo {'kept' if sha(w / 'dd' / 'pets.jpg') == h else 'REPLACED'}; {sorted(p.name for p in (w / 'dd').iterdir())}",
        sha(w / "dd" / "pets.jpg") == h and (w / "dd" / "pets-2.jpg").exists(),
    )
    expect_exit(
        "detect --out is a file", ["detect", "pets.jpg", "--out", "afile"], 2, "cannot create", w, env
    )
    data = photo.read_bytes()
    (w / "cut.jpg").write_bytes(data[: len(data) * 3 // 4])
    d = expect_exit("detect a truncated JPEG (decodes)", ["detect", "cut.jpg"], 0, "damaged", w, env)
    (w / "stub.jpg").write_bytes(data[:2000])
    expect_exit("detect a JPEG cut to 2 kB", ["detect", "stub.jpg"], 2, "cannot read", w, env)
    (w / "empty.jpg").write_bytes(b"")
    expect_exit("detect an empty .jpg", ["detect", "empty.jpg"], 2, "cannot read", w, env)
    (w / "text.png").write_text("hello")
    expect_exit("detect a text file named .png", ["detect", "text.png"], 2, "cannot read", w, env)
    import struct
    import zlib

    import cv2

    png = cv2.imencode(".png", cv2.imread(str(photo)))[1].tobytes()
    body = b"tEXtComment\x00hello"
    (w / "crc.png").write_bytes(
        png[:33]
        + struct.pack(">I", len(body) - 4)
        + body
        + struct.pack(">I", zlib.crc32(body) ^ 1)
        + png[33:]
    )
    expect_exit(
        "detect a PNG with a bad-CRC chunk (libpng warns)", ["detect", "crc.png"], 0, "CRC error", w, env
    )
    (w / "half.png").write_bytes(png[: len(png) // 2])
    expect_exit("detect a PNG cut in half", ["detect", "half.png"], 2, "cannot read", w, env)
    expect_exit("detect a folder", ["detect", "sub"], 2, "is a folder", w, env)

    # -- text inputs ----------------------------------------------------------------------------
    text = labels.read_text()
    (w / "bom.txt").write_bytes("\ufeff".encode() + text.replace("\n", "  \r\n").encode() + b"\r\n\r\n")
    expect_exit(
        "--labels with BOM, CRLF, trailing blanks",
        ["detect", "pets.jpg", "--model", str(model), "--labels", "bom.txt"],
        0,
        "dog",
        w,
        env,
    )
    (w / "nobg.txt").write_bytes("\ufeff".encode() + "\n".join(text.splitlines()[1:]).encode())
    d = camapp("detect", "pets.jpg", "--model", str(model), "--labels", "nobg.txt", "--json", cwd=w, env=env)
    clean = "ufeff" not in d.stdout and BOM not in d.stdout and '"label": "dog"' in d.stdout
    row(
        "--labels with BOM, no ??? line",
        "labels read clean (no BOM), dog found",
        f"exit {d.returncode}; {'clean, dog' if clean else 'BOM in labels'}",
        d.returncode == 0 and clean,
    )
    (w / "latin1.txt").write_bytes(text.replace("person", "persön").encode("latin-1"))
    expect_exit(
        "--labels in Latin-1",
        ["detect", "pets.jpg", "--model", str(model), "--labels", "latin1.txt"],
        2,
        "not UTF-8",
        w,
        env,
    )
    (w / "empty.txt").write_text("\n\n")
    expect_exit(
        "--labels empty",
        ["detect", "pets.jpg", "--model", str(model), "--labels", "empty.txt"],
        2,
        "empty",
        w,
        env,
    )
    expect_exit(
        "--labels is a folder",
        ["detect", "pets.jpg", "--model", str(model), "--labels", "sub"],
        2,
        "label",
        w,
        env,
    )
    expect_exit('--record-on ""', [*run, *src, "--record-on", ""], 2, "names no class", w, env)
    expect_exit('--record-on ",,"', [*run, *src, "--record-on", ",,"], 2, "names no class", w, env)
    expect_exit('--classes ""', [*run, *src, "--classes", ""], 2, "names no class", w, env)
    expect_exit(
        '--classes " bottle , person "', [*run, *src, "--classes", " bottle , person "], 0, "bottle", w, env
    )
    env_cr = {**env, "CAMAPP_MODEL_DIR": env["CAMAPP_MODEL_DIR"] + "\r"}
    d = camapp("models", "list", cwd=w, env=env_cr)
    row(
        "CAMAPP_MODEL_DIR with a trailing \\r (CRLF env file)",
        "the store is found",
        f"exit {d.returncode}; {'installed' if 'MB' in d.stdout else 'not found'}",
        "MB" in d.stdout,
    )

    # -- sources --------------------------------------------------------------------------------
    for name, make, code, words in [
        ("--source a folder", lambda: "sub", 2, "not a video file"),
        ("--source an empty file", lambda: (w / "e.mp4").write_bytes(b"") or "e.mp4", 2, "cannot read"),
        ("--source /dev/null", lambda: "/dev/null", 2, ""),
        ("--source camera 9 (absent)", lambda: "9", 2, "camera 9"),
        ("--source a closed port", lambda: "http://127.0.0.1:9/x.mjpg", 2, "unreachable"),
        ("--source picam (no Pi camera)", lambda: "picam", 2, ""),
    ]:
        expect_exit(name, ["run", "--headless", "--max-frames", "3", "--source", make()], code, words, w, env)
    (w / "half.mp4").write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    expect_exit(
        "--source a plain MP4 cut in half (index at the end, lost)",
        ["run", "--headless", "--source", "half.mp4"],
        2,
        "cannot read",
        w,
        env,
    )
    camapp("run", "--headless", "--no-realtime", *src, "--record", "frag.mp4", cwd=w, env=env)
    (w / "fraghalf.mp4").write_bytes((w / "frag.mp4").read_bytes()[: (w / "frag.mp4").stat().st_size // 2])
    d = camapp("run", "--headless", "--no-realtime", "--source", "fraghalf.mp4", cwd=w, env=env)
    row(
        "--source camapp's own recording cut in half",
        "plays what is there, exit 0",
        f"exit {d.returncode}: {short(last(d.stdout), 60)}",
        d.returncode == 0 and "end of input" in d.stdout,
    )
    d = camapp("run", "--headless", "--source", "pets.jpg", "--loop", "--max-frames", "6", cwd=w, env=env)
    row(
        "--source an image --loop",
        "6 frames, exit 0",
        f"exit {d.returncode}: {short([ln for ln in d.stdout.splitlines() if ln.startswith('summary')][0][:40])}",
        d.returncode == 0 and "summary: 6 frames" in d.stdout,
    )
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    os.environ["CAMAPP_SHARED"] = str(shared)
    from conftest import make_vfr_clip

    times = make_vfr_clip(w / "vfr.mp4", [40, 360], person)
    d = camapp(
        "run", "--headless", "--no-realtime", "--source", "vfr.mp4", "--log", "vfr.jsonl", cwd=w, env=env
    )
    import json

    logged = [json.loads(ln)["t"] for ln in (w / "vfr.jsonl").read_text().splitlines()]
    err_max = max(abs(a - b) for a, b in zip(logged, times))
    row(
        "variable-frame-rate clip, log t",
        "t = each frame's own time",
        f"exit {d.returncode}; max |t - pts| {err_max * 1000:.1f} ms over {len(times)} frames",
        err_max < 0.002,
    )

    # -- signals and kills ----------------------------------------------------------------------
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGKILL):
        out = w / f"sig{sig.value}.mp4"
        p = subprocess.Popen(
            [PY, "-m", "camapp", "run", "--headless", *src, "--loop", "--record", out.name],
            cwd=w,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(6)
        p.send_signal(sig)
        o, e = p.communicate(timeout=60)
        n = frames(out)
        want = 0 if sig != signal.SIGKILL else -9
        row(
            f"{sig.name} while recording",
            f"exit {want}, file plays",
            f"exit {p.returncode}; {n} frames decode",
            p.returncode == want and n > 0 and "Traceback" not in e,
        )
    d = subprocess.run(
        f"{PY} -m camapp run --headless --no-realtime --source clip.mp4 --log /dev/stdout | head -1",
        shell=True,
        cwd=w,
        env=env,
        capture_output=True,
        text=True,
    )
    row(
        "stdout closed early (| head -1)",
        "no traceback",
        f"exit {d.returncode}; {'traceback' if 'Traceback' in d.stderr else 'no traceback'}",
        "Traceback" not in d.stderr,
    )

    # -- option values --------------------------------------------------------------------------
    for name, extra, words in [
        ("--duration 0", ["--duration", "0"], "must be positive"),
        ("--max-frames -1", ["--max-frames", "-1"], ""),
        ("--threshold 1.5", ["--threshold", "1.5"], "between 0 and 1"),
        ("--record-segment nan", ["--record", "s.mp4", "--record-segment", "nan"], "must be positive"),
        ("--record-keep-mb without segments", ["--record", "k.mp4", "--record-keep-mb", "5"], "goes with"),
    ]:
        expect_exit(name, ["run", "--headless", *src, *extra], 2, words, w, env)

    # -- permissions (as user nobody: root writes anywhere) -----------------------------------
    if os.geteuid() == 0 and shutil.which("setpriv"):
        for p in [w, *w.rglob("*")]:
            if not p.is_symlink():
                p.chmod(p.stat().st_mode | 0o755 if p.is_dir() else p.stat().st_mode | 0o444)
        (w / "ro").mkdir(mode=0o555)
        (w / "ro").chmod(0o555)
        (w / "rw").mkdir()
        (w / "rw").chmod(0o777)
        (w / "rw" / "ro.jsonl").write_text("keep\n")
        (w / "rw" / "ro.jsonl").chmod(0o444)
        nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", PY, "-m", "camapp"]
        for name, extra, words, keep in [
            ("--record into a read-only folder", ["--record", "ro/x.mp4"], "Permission denied", []),
            (
                "--log onto a read-only file --overwrite",
                ["--log", "rw/ro.jsonl", "--overwrite"],
                "Permission denied",
                [w / "rw" / "ro.jsonl"],
            ),
            (
                "--snapshot-dir under a read-only folder",
                ["--snapshot-dir", "ro/snaps"],
                "Permission denied",
                [],
            ),
            (
                "--record-dir read-only",
                ["--record-on", "bottle", "--record-dir", "ro"],
                "Permission denied",
                [],
            ),
            (
                "segments into a read-only folder",
                ["--record", "ro/x.mp4", "--record-segment", "1"],
                "Permission denied",
                [],
            ),
        ]:
            before = {k: sha(k) for k in keep}
            d = subprocess.run(
                [*nobody, *run, *src, *extra], cwd=w, env=env, capture_output=True, text=True, timeout=120
            )
            err = d.stderr.strip().splitlines()
            ok = (
                d.returncode == 2
                and len(err) == 1
                and words in err[0]
                and all(sha(k) == h for k, h in before.items())
            )
            row(
                f"as nobody: {name}",
                "exit 2, one line" + (", file intact" if keep else ""),
                f"exit {d.returncode}: {short(last(d.stderr))}",
                ok,
            )

    # -- model store ----------------------------------------------------------------------------
    big = w / "big.zip"
    with zipfile.ZipFile(big, "w") as zf:
        zf.writestr("detect.tflite", model.read_bytes() + b"\0" * 30_000_000)
        zf.write(labels, "labelmap.txt")
    env2 = {**env, "CAMAPP_MODEL_DIR": str(w / "store2")}
    d = camapp("models", "fetch", "--from", "big.zip", "--quiet", cwd=w, env=env2)
    left = sorted(os.listdir(w / "store2")) if (w / "store2").exists() else []
    row(
        "models fetch --from a zip whose member is larger than the catalog says",
        "exit 2, store empty",
        f"exit {d.returncode}: {short(last(d.stderr), 70)}; store {left}",
        d.returncode == 2 and left == [],
    )
    expect_exit(
        "models fetch --from a missing path",
        ["models", "fetch", "--from", "nope", "--quiet"],
        2,
        "no such file",
        w,
        env2,
    )
    (w / "bad.zip").write_text("not a zip")
    expect_exit(
        "models fetch --from a text file named .zip",
        ["models", "fetch", "--from", "bad.zip", "--quiet"],
        2,
        "not a valid zip",
        w,
        env2,
    )

    inside = model.parent / "mine.zip"
    shutil.copyfile(big, inside)
    expect_exit(
        "models fetch --from a zip inside the installed model's folder",
        ["models", "fetch", "--from", str(inside), "--quiet"],
        2,
        "move it elsewhere first",
        w,
        env,
        [inside],
    )

    ok = sum(r[3] for r in ROWS)
    print(f"{ok} of {len(ROWS)} cases as expected\n")
    print("| # | case | expected | got |")
    print("|---|---|---|---|")
    for i, (case, expected, got, good) in enumerate(ROWS, 1):
        mark = "" if good else " **(FAIL)**"
        print(f"| {i} | {short(case, 80)} | {expected} | {got}{mark} |")
    shutil.rmtree(w, ignore_errors=True)
    return 0 if ok == len(ROWS) else 1


if __name__ == "__main__":
    sys.exit(main())
