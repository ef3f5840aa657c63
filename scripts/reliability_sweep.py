"""Run camapp as a careless or hostile user would, and print a Markdown table: case, expected, got.

    .venv/bin/python scripts/reliability_sweep.py [--shared ../shared] > sweep.md

Every case is a real command (a real process, the real model, real files in a scratch folder);
"got" is what really happened (exit code, the last stderr line, and the check on the files).
A case whose result is not what is expected is marked FAIL. docs/reliability.md holds a run.

The cases are data: `CASES` lists them in the order they run (a case may use a file an earlier
one made), each of one of a few kinds (`Exit`, `Check`, `TwoRuns`, `Kill`, `AsNobody`), and
`run_case` runs any of them. In arguments, `{clip}`, `{model}`, `{labels}` and `{model_dir}` are
the scratch folder's copies; other names are relative to the scratch folder.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PY = sys.executable
BOM = "\ufeff"
ROWS: list[tuple[str, str, str, bool]] = []
RUN = ("run", "--headless", "--no-realtime", "--max-frames", "5")
SRC = ("--source", "clip.mp4")
Done = subprocess.CompletedProcess


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


@dataclass
class Sandbox:
    """The scratch folder `w` with the model, the clips and the photo, and the camapp environment."""

    w: Path
    shared: Path
    env: dict[str, str]
    notes: dict[str, Any] = field(default_factory=dict)  # what a setup hands its check

    @classmethod
    def create(cls, shared: Path) -> Sandbox:
        w = Path(tempfile.mkdtemp(prefix="camapp-sweep-"))
        env = {**os.environ, "CAMAPP_MODEL_DIR": str(w / "store"), "PYTHONWARNINGS": "ignore"}
        sb = cls(w, shared, env)
        model_src = shared / "models" / "ssd_mobilenet_v1_coco_quant"
        sb.camapp("models", "fetch", "--from", str(model_src), "--quiet")
        shutil.copyfile(shared / "media" / "video" / "bottle-detection.mp4", sb.clip)
        shutil.copyfile(shared / "media" / "images" / "pets.jpg", sb.photo)
        (w / "link.mp4").symlink_to(sb.clip)
        os.link(sb.clip, w / "hard.mp4")
        (w / "sub").mkdir()
        return sb

    @property
    def model(self) -> Path:
        return self.w / "store" / "ssd_mobilenet_v1_coco_quant" / "detect.tflite"

    @property
    def labels(self) -> Path:
        return self.model.parent / "labelmap.txt"

    @property
    def clip(self) -> Path:
        return self.w / "clip.mp4"

    @property
    def photo(self) -> Path:
        return self.w / "pets.jpg"

    @property
    def person(self) -> Path:
        return self.shared / "media" / "video" / "one-by-one-person-detection.mp4"

    def text(self, arg: str) -> str:
        names = {
            "clip": self.clip,
            "model": self.model,
            "labels": self.labels,
            "model_dir": self.model.parent,
        }
        return arg.format(**names)

    def path(self, name: str) -> Path:
        return self.w / self.text(name)

    def camapp(
        self,
        *args: str,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 120,
        user: tuple[str, ...] = (),
    ) -> Done:
        """camapp `args` to its end; `user`: the command that runs it as someone else."""
        return subprocess.run(
            [*user, PY, "-m", "camapp", *args],
            cwd=cwd or self.w,
            env=env or self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def start(self, *args: str) -> subprocess.Popen[str]:
        """camapp `args` in the background: a long run that a case works beside, or signals."""
        return subprocess.Popen(
            [PY, "-m", "camapp", *args],
            cwd=self.w,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


Setup = Callable[[Sandbox], None]
EnvFor = Callable[[Sandbox], dict[str, str]]


@dataclass(frozen=True)
class Exit:
    """Expect exit `code`, exactly one stderr line (when nonzero) containing `words`, `keep` intact."""

    case: str
    args: tuple[str, ...]
    code: int
    words: str = ""
    keep: tuple[str, ...] = ()
    setup: Setup | None = None
    env: EnvFor | None = None


@dataclass(frozen=True)
class Check:
    """Run camapp (or `shell`, a shell line); `judge` turns what happened into (got, ok)."""

    case: str
    args: tuple[str, ...]
    expected: str
    judge: Callable[[Sandbox, Done], tuple[str, bool]]
    setup: Setup | None = None
    env: EnvFor | None = None
    cwd: str = ""
    shell: str = ""


@dataclass(frozen=True)
class TwoRuns:
    """A 60 s run with `first`; once its model is loaded, a 40-frame run with `second` must exit `code`."""

    case: str
    first: tuple[str, ...]
    second: tuple[str, ...]
    code: int
    judge: Callable[[Sandbox], tuple[str, bool]]


@dataclass(frozen=True)
class Kill:
    """A looping recording gets `sig` 6 s after it starts: a clean exit (-9 for SIGKILL), a file that plays."""

    sig: signal.Signals


@dataclass(frozen=True)
class AsNobody:
    """As user nobody (root writes anywhere): exit 2, one stderr line with `words`, `keep` intact."""

    case: str
    extra: tuple[str, ...]
    words: str = "Permission denied"
    keep: tuple[str, ...] = ()
    setup: Setup | None = None


Case = Exit | Check | TwoRuns | Kill | AsNobody


# -- the runner --------------------------------------------------------------------------------------
NOBODY = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")


def run_exit(sb: Sandbox, c: Exit, user: tuple[str, ...] = ()) -> None:
    keep = [sb.path(k) for k in c.keep]
    before = {p: sha(p) for p in keep}
    done = sb.camapp(*map(sb.text, c.args), env=c.env(sb) if c.env else None, user=user)
    err = [ln for ln in done.stderr.strip().splitlines() if ln.strip()]
    intact = all(sha(p) == h for p, h in before.items())
    one = len(err) == 1 if c.code else True
    ok = (
        done.returncode == c.code
        and c.words in (done.stderr + done.stdout)
        and intact
        and one
        and "Traceback" not in done.stderr
    )
    got = f"exit {done.returncode}: {short(last(done.stderr) or last(done.stdout))}"
    if keep:
        got += "; input intact" if intact else "; INPUT CHANGED"
    if c.code and len(err) != 1:
        got += f" ({len(err)} stderr lines)"
    row(c.case, f"exit {c.code}, one line" + (", input intact" if keep else ""), got, ok)


def run_check(sb: Sandbox, c: Check) -> None:
    env = c.env(sb) if c.env else sb.env
    if c.shell:
        done = subprocess.run(
            c.shell.format(py=PY), shell=True, cwd=sb.w, env=env, capture_output=True, text=True
        )
    else:
        done = sb.camapp(*map(sb.text, c.args), cwd=sb.w / c.cwd, env=env)
    got, ok = c.judge(sb, done)
    row(c.case, c.expected, got, ok)


def run_two(sb: Sandbox, c: TwoRuns) -> None:
    p = sb.start("run", "--headless", *SRC, "--loop", "--duration", "60", *c.first)
    t0 = time.monotonic()
    assert p.stdout is not None
    while time.monotonic() - t0 < 60 and "model:" not in (p.stdout.readline() or "model:"):
        pass
    time.sleep(1.5)
    d = sb.camapp("run", "--headless", *SRC, "--max-frames", "40", *c.second)
    p.send_signal(signal.SIGINT)
    p.communicate(timeout=60)
    extra, fine = c.judge(sb)
    ok = d.returncode == c.code and p.returncode == 0 and fine
    row(
        c.case,
        f"second exit {c.code}, first run's file intact",
        f"second exit {d.returncode}: {short(last(d.stderr) or last(d.stdout), 70)}; first exit {p.returncode}; {extra}",
        ok,
    )


def run_kill(sb: Sandbox, c: Kill) -> None:
    out = sb.w / f"sig{c.sig.value}.mp4"
    p = sb.start("run", "--headless", *SRC, "--loop", "--record", out.name)
    time.sleep(6)
    p.send_signal(c.sig)
    _, e = p.communicate(timeout=60)
    n = frames(out)
    want = 0 if c.sig != signal.SIGKILL else -9
    row(
        f"{c.sig.name} while recording",
        f"exit {want}, file plays",
        f"exit {p.returncode}; {n} frames decode",
        p.returncode == want and n > 0 and "Traceback" not in e,
    )


def can_be_nobody() -> bool:
    """Only root can become nobody; as anyone else the permission cases are not run."""
    return os.geteuid() == 0 and shutil.which("setpriv") is not None


def run_nobody(sb: Sandbox, c: AsNobody) -> None:
    """An `Exit` case run as user nobody."""
    run_exit(sb, Exit(f"as nobody: {c.case}", (*RUN, *SRC, *c.extra), 2, c.words, c.keep), user=NOBODY)


def run_case(sb: Sandbox, c: Case) -> None:
    if isinstance(c, AsNobody) and not can_be_nobody():
        return
    setup = getattr(c, "setup", None)
    if setup is not None:
        setup(sb)
    if isinstance(c, Exit):
        run_exit(sb, c)
    elif isinstance(c, Check):
        run_check(sb, c)
    elif isinstance(c, TwoRuns):
        run_two(sb, c)
    elif isinstance(c, Kill):
        run_kill(sb, c)
    else:
        run_nobody(sb, c)


# -- setups and checks the table names ---------------------------------------------------------------
def write(name: str, data: bytes | str) -> Setup:
    def setup(sb: Sandbox) -> None:
        path = sb.path(name)
        path.write_bytes(data) if isinstance(data, bytes) else path.write_text(data)

    return setup


def mkdir(name: str) -> Setup:
    return lambda sb: sb.path(name).mkdir()


def plays(name: str, count: int) -> Callable[[Sandbox, Done], tuple[str, bool]]:
    """Exit 0 and `name` decodes to `count` frames."""

    def judge(sb: Sandbox, d: Done) -> tuple[str, bool]:
        n = frames(sb.w / name)
        return f"exit {d.returncode}, {n} frames", d.returncode == 0 and n == count

    return judge


def whole(name: str, log: str | None = None) -> Callable[[Sandbox], tuple[str, bool]]:
    """The first run's recording decodes (and has as many frames as its log has lines)."""

    def check(sb: Sandbox) -> tuple[str, bool]:
        n = frames(sb.w / name)
        lines = len((sb.w / log).read_text().splitlines()) if log else n
        return f"{n} frames decode" + (f", {lines} log lines" if log else ""), n > 0 and n == lines

    return check


def log_kept(sb: Sandbox) -> tuple[str, bool]:
    return "log kept", (sb.w / "same3.jsonl").stat().st_size > 0


def snapshots(sb: Sandbox) -> tuple[str, bool]:
    n = len(list((sb.w / "snaps").iterdir()))
    return f"{n} distinct snapshots", n > 2


def event_clips(sb: Sandbox) -> tuple[str, bool]:
    clips = list((sb.w / "ev").glob("*.mp4"))
    return f"{len(clips)} clips, all play", all(frames(p) > 0 for p in clips) and len(clips) >= 2


def segments(sb: Sandbox) -> tuple[str, bool]:
    segs = list(sb.w.glob("seg-*.mp4"))
    return f"{len(segs)} segments, all play", all(frames(p) > 0 for p in segs)


def old_segment_source(sb: Sandbox) -> None:
    src = sb.w / "cam-20200101-000000.mp4"
    shutil.copyfile(sb.clip, src)
    os.utime(src, (1, 1))


def source_kept(sb: Sandbox, d: Done) -> tuple[str, bool]:
    kept = (sb.w / "cam-20200101-000000.mp4").exists()
    return f"exit {d.returncode}; source {'kept' if kept else 'DELETED'}", kept


def log_on_stdout(sb: Sandbox, d: Done) -> tuple[str, bool]:
    n = sum(1 for ln in d.stdout.splitlines() if ln.startswith('{"frame"'))
    return f"exit {d.returncode}, {n} JSON lines", d.returncode == 0 and n == 5


def photo_folder(sb: Sandbox) -> None:
    (sb.w / "dd").mkdir()
    shutil.copyfile(sb.photo, sb.w / "dd" / "pets.jpg")
    sb.notes["photo"] = sha(sb.w / "dd" / "pets.jpg")


def photo_kept(sb: Sandbox, d: Done) -> tuple[str, bool]:
    dd = sb.w / "dd"
    kept = sha(dd / "pets.jpg") == sb.notes["photo"]
    got = (
        f"exit {d.returncode}; photo {'kept' if kept else 'REPLACED'}; {sorted(p.name for p in dd.iterdir())}"
    )
    return got, kept and (dd / "pets-2.jpg").exists()


def cut_photo(name: str, keep: Callable[[int], int]) -> Setup:
    def setup(sb: Sandbox) -> None:
        data = sb.photo.read_bytes()
        (sb.w / name).write_bytes(data[: keep(len(data))])

    return setup


def png_of_photo(sb: Sandbox) -> bytes:
    import cv2

    return bytes(cv2.imencode(".png", cv2.imread(str(sb.photo)))[1].tobytes())


def bad_crc_png(sb: Sandbox) -> None:
    png = png_of_photo(sb)
    body = b"tEXtComment\x00hello"
    (sb.w / "crc.png").write_bytes(
        png[:33]
        + struct.pack(">I", len(body) - 4)
        + body
        + struct.pack(">I", zlib.crc32(body) ^ 1)
        + png[33:]
    )


def half_png(sb: Sandbox) -> None:
    png = png_of_photo(sb)
    (sb.w / "half.png").write_bytes(png[: len(png) // 2])


def labels_bom_crlf(sb: Sandbox) -> None:
    text = sb.labels.read_text()
    (sb.w / "bom.txt").write_bytes("\ufeff".encode() + text.replace("\n", "  \r\n").encode() + b"\r\n\r\n")


def labels_bom_no_background(sb: Sandbox) -> None:
    text = sb.labels.read_text()
    (sb.w / "nobg.txt").write_bytes("\ufeff".encode() + "\n".join(text.splitlines()[1:]).encode())


def labels_clean(sb: Sandbox, d: Done) -> tuple[str, bool]:
    clean = "ufeff" not in d.stdout and BOM not in d.stdout and '"label": "dog"' in d.stdout
    return f"exit {d.returncode}; {'clean, dog' if clean else 'BOM in labels'}", d.returncode == 0 and clean


def labels_latin1(sb: Sandbox) -> None:
    (sb.w / "latin1.txt").write_bytes(sb.labels.read_text().replace("person", "persön").encode("latin-1"))


def env_with_cr(sb: Sandbox) -> dict[str, str]:
    return {**sb.env, "CAMAPP_MODEL_DIR": sb.env["CAMAPP_MODEL_DIR"] + "\r"}


def store_found(sb: Sandbox, d: Done) -> tuple[str, bool]:
    return f"exit {d.returncode}; {'installed' if 'MB' in d.stdout else 'not found'}", "MB" in d.stdout


def half_clip(sb: Sandbox) -> None:
    (sb.w / "half.mp4").write_bytes(sb.clip.read_bytes()[: sb.clip.stat().st_size // 2])


def half_own_recording(sb: Sandbox) -> None:
    sb.camapp("run", "--headless", "--no-realtime", *SRC, "--record", "frag.mp4")
    frag = sb.w / "frag.mp4"
    (sb.w / "fraghalf.mp4").write_bytes(frag.read_bytes()[: frag.stat().st_size // 2])


def plays_what_is_there(sb: Sandbox, d: Done) -> tuple[str, bool]:
    return (
        f"exit {d.returncode}: {short(last(d.stdout), 60)}",
        d.returncode == 0 and "end of input" in d.stdout,
    )


def six_frames(sb: Sandbox, d: Done) -> tuple[str, bool]:
    summary = [ln for ln in d.stdout.splitlines() if ln.startswith("summary")][0][:40]
    return f"exit {d.returncode}: {short(summary)}", d.returncode == 0 and "summary: 6 frames" in d.stdout


def vfr_clip(sb: Sandbox) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    os.environ["CAMAPP_SHARED"] = str(sb.shared)
    from conftest import make_vfr_clip

    sb.notes["vfr"] = make_vfr_clip(sb.w / "vfr.mp4", [40, 360], sb.person)


def vfr_times(sb: Sandbox, d: Done) -> tuple[str, bool]:
    times = sb.notes["vfr"]
    logged = [json.loads(ln)["t"] for ln in (sb.w / "vfr.jsonl").read_text().splitlines()]
    err_max = max(abs(a - b) for a, b in zip(logged, times))
    got = f"exit {d.returncode}; max |t - pts| {err_max * 1000:.1f} ms over {len(times)} frames"
    return got, err_max < 0.002


def no_traceback(sb: Sandbox, d: Done) -> tuple[str, bool]:
    traced = "Traceback" in d.stderr
    return f"exit {d.returncode}; {'traceback' if traced else 'no traceback'}", not traced


def lock_down(sb: Sandbox) -> None:
    """Everything readable by nobody; `ro` read-only, `rw` writable with a read-only file in it."""
    w = sb.w
    for p in [w, *w.rglob("*")]:
        if not p.is_symlink():
            p.chmod(p.stat().st_mode | 0o755 if p.is_dir() else p.stat().st_mode | 0o444)
    (w / "ro").mkdir(mode=0o555)
    (w / "ro").chmod(0o555)
    (w / "rw").mkdir()
    (w / "rw").chmod(0o777)
    (w / "rw" / "ro.jsonl").write_text("keep\n")
    (w / "rw" / "ro.jsonl").chmod(0o444)


def oversized_zip(sb: Sandbox) -> None:
    with zipfile.ZipFile(sb.w / "big.zip", "w") as zf:
        zf.writestr("detect.tflite", sb.model.read_bytes() + b"\0" * 30_000_000)
        zf.write(sb.labels, "labelmap.txt")


def second_store(sb: Sandbox) -> dict[str, str]:
    return {**sb.env, "CAMAPP_MODEL_DIR": str(sb.w / "store2")}


def store_empty(sb: Sandbox, d: Done) -> tuple[str, bool]:
    store = sb.w / "store2"
    left = sorted(os.listdir(store)) if store.exists() else []
    return f"exit {d.returncode}: {short(last(d.stderr), 70)}; store {left}", d.returncode == 2 and left == []


def zip_in_model_folder(sb: Sandbox) -> None:
    shutil.copyfile(sb.w / "big.zip", sb.model.parent / "mine.zip")


def _sources() -> list[Case]:
    return [
        Exit(
            "--source a folder",
            ("run", "--headless", "--max-frames", "3", "--source", "sub"),
            2,
            "not a video file",
        ),
        Exit(
            "--source an empty file",
            ("run", "--headless", "--max-frames", "3", "--source", "e.mp4"),
            2,
            "cannot read",
            setup=write("e.mp4", b""),
        ),
        Exit("--source /dev/null", ("run", "--headless", "--max-frames", "3", "--source", "/dev/null"), 2),
        Exit(
            "--source camera 9 (absent)",
            ("run", "--headless", "--max-frames", "3", "--source", "9"),
            2,
            "camera 9",
        ),
        Exit(
            "--source a closed port",
            ("run", "--headless", "--max-frames", "3", "--source", "http://127.0.0.1:9/x.mjpg"),
            2,
            "unreachable",
        ),
        Exit(
            "--source picam (no Pi camera)",
            ("run", "--headless", "--max-frames", "3", "--source", "picam"),
            2,
        ),
    ]


# -- the cases, in the order they run ----------------------------------------------------------------
CASES: list[Case] = [
    # outputs that would destroy an input
    Exit("--record onto the source", (*RUN, *SRC, "--record", "clip.mp4"), 2, "is an input", ("clip.mp4",)),
    Exit("--log onto the source", (*RUN, *SRC, "--log", "clip.mp4"), 2, "is an input", ("clip.mp4",)),
    Exit(
        "--record ./source --overwrite",
        (*RUN, *SRC, "--record", "./clip.mp4", "--overwrite"),
        2,
        "is an input",
        ("clip.mp4",),
    ),
    Exit(
        "--record sub/../source", (*RUN, *SRC, "--record", "sub/../clip.mp4"), 2, "is an input", ("clip.mp4",)
    ),
    Exit(
        "--record symlink to the source",
        (*RUN, *SRC, "--record", "link.mp4", "--overwrite"),
        2,
        "is an input",
        ("clip.mp4",),
    ),
    Exit(
        "--log hard link to the source",
        (*RUN, *SRC, "--log", "hard.mp4", "--overwrite"),
        2,
        "is an input",
        ("clip.mp4",),
    ),
    Exit(
        "--log onto the label file",
        (*RUN, *SRC, "--log", "{labels}", "--overwrite"),
        2,
        "is an input",
        ("{labels}",),
    ),
    Exit(
        "--log onto --model FILE",
        (*RUN, *SRC, "--model", "{model}", "--log", "{model}", "--overwrite"),
        2,
        "is an input",
        ("{model}",),
    ),
    Exit(
        "--source file://clip.mp4 --record clip.mp4",
        (*RUN, "--source", "file://{clip}", "--record", "clip.mp4"),
        2,
        "is an input",
        ("clip.mp4",),
    ),
    # outputs that exist, collide, or are odd
    Exit(
        "--record an existing file",
        (*RUN, *SRC, "--record", "old.mp4"),
        2,
        "already exists",
        ("old.mp4",),
        setup=write("old.mp4", b"last week"),
    ),
    Exit(
        "--log an existing file",
        (*RUN, *SRC, "--log", "old.jsonl"),
        2,
        "already exists",
        ("old.jsonl",),
        setup=write("old.jsonl", "keep\n"),
    ),
    Check(
        "--record an existing file --overwrite",
        (*RUN, *SRC, "--record", "old.mp4", "--overwrite"),
        "exit 0, replaced, 5 frames",
        plays("old.mp4", 5),
    ),
    Exit(
        "--record x --log ./x",
        (*RUN, *SRC, "--record", "x.mp4", "--log", "./x.mp4"),
        2,
        "must name different files",
    ),
    Exit("--record a folder", (*RUN, *SRC, "--record", "sub"), 2),
    Exit(
        "--record sub.mp4 that is a folder",
        (*RUN, *SRC, "--record", "sub.mp4"),
        2,
        "is a folder",
        setup=mkdir("sub.mp4"),
    ),
    Exit("--record in a missing folder", (*RUN, *SRC, "--record", "nodir/x.mp4"), 2, "cannot write"),
    Exit("--record .avi", (*RUN, *SRC, "--record", "x.avi"), 2, ".mp4"),
    Exit(
        "--record name of 300 characters",
        (*RUN, *SRC, "--record", "a" * 300 + ".mp4"),
        2,
        "File name too long",
    ),
    Check(
        "--record with spaces, ü and .MP4",
        (*RUN, *SRC, "--record", "my ü clip.MP4"),
        "exit 0, 5 frames",
        plays("my ü clip.MP4", 5),
    ),
    Check(
        "--log /dev/stdout",
        (*RUN, *SRC, "--log", "/dev/stdout"),
        "exit 0, 5 JSON lines on stdout",
        log_on_stdout,
    ),
    Exit("--log /dev/full (a full disk)", (*RUN, *SRC, "--log", "/dev/full"), 1, "No space left on device"),
    Exit(
        "--record /proc/version.mp4 (unwritable)", (*RUN, *SRC, "--record", "/proc/x.mp4"), 2, "cannot write"
    ),
    Exit(
        "--snapshot-dir is a file",
        (*RUN, *SRC, "--snapshot-dir", "afile"),
        2,
        "cannot write",
        setup=write("afile", "x"),
    ),
    Exit(
        "--record-dir is a file",
        (*RUN, *SRC, "--record-on", "bottle", "--record-dir", "afile"),
        2,
        "cannot write",
    ),
    # two runs at once
    TwoRuns(
        "two runs, same --record",
        ("--record", "same.mp4", "--log", "same.jsonl"),
        ("--record", "same.mp4"),
        2,
        whole("same.mp4", "same.jsonl"),
    ),
    TwoRuns(
        "two runs, same --record, second --overwrite",
        ("--record", "same2.mp4"),
        ("--record", "same2.mp4", "--overwrite"),
        2,
        whole("same2.mp4"),
    ),
    TwoRuns(
        "two runs, same --log --overwrite",
        ("--log", "same3.jsonl"),
        ("--log", "same3.jsonl", "--overwrite"),
        2,
        log_kept,
    ),
    TwoRuns(
        "two runs, same --snapshot-dir",
        ("--snapshot-dir", "snaps", "--snapshot-every", "0.2"),
        ("--snapshot-dir", "snaps", "--snapshot-every", "0.2"),
        0,
        snapshots,
    ),
    TwoRuns(
        "two runs, same --record-on dir",
        ("--record-on", "bottle", "--record-dir", "ev"),
        ("--record-on", "bottle", "--record-dir", "ev"),
        0,
        event_clips,
    ),
    TwoRuns(
        "two runs, same segment base",
        ("--record", "seg.mp4", "--record-segment", "1"),
        ("--record", "seg.mp4", "--record-segment", "1"),
        0,
        segments,
    ),
    # segments never prune the input
    Check(
        "segments with --record-keep-mb; the source matches their pattern",
        (
            "run",
            "--headless",
            "--no-realtime",
            "--source",
            "cam-20200101-000000.mp4",
            "--record",
            "cam.mp4",
            "--record-segment",
            "0.5",
            "--record-keep-mb",
            "0.2",
        ),
        "source never pruned",
        source_kept,
        setup=old_segment_source,
    ),
    # detect
    Check(
        "detect pets.jpg --out . (the photo's folder)",
        ("detect", "pets.jpg", "--out", "."),
        "photo kept, copy as pets-2.jpg",
        photo_kept,
        setup=photo_folder,
        cwd="dd",
    ),
    Exit("detect --out is a file", ("detect", "pets.jpg", "--out", "afile"), 2, "cannot create"),
    Exit(
        "detect a truncated JPEG (decodes)",
        ("detect", "cut.jpg"),
        0,
        "damaged",
        setup=cut_photo("cut.jpg", lambda n: n * 3 // 4),
    ),
    Exit(
        "detect a JPEG cut to 2 kB",
        ("detect", "stub.jpg"),
        2,
        "cannot read",
        setup=cut_photo("stub.jpg", lambda n: 2000),
    ),
    Exit("detect an empty .jpg", ("detect", "empty.jpg"), 2, "cannot read", setup=write("empty.jpg", b"")),
    Exit(
        "detect a text file named .png",
        ("detect", "text.png"),
        2,
        "cannot read",
        setup=write("text.png", "hello"),
    ),
    Exit(
        "detect a PNG with a bad-CRC chunk (libpng warns)",
        ("detect", "crc.png"),
        0,
        "CRC error",
        setup=bad_crc_png,
    ),
    Exit("detect a PNG cut in half", ("detect", "half.png"), 2, "cannot read", setup=half_png),
    Exit("detect a folder", ("detect", "sub"), 2, "is a folder"),
    # text inputs
    Exit(
        "--labels with BOM, CRLF, trailing blanks",
        ("detect", "pets.jpg", "--model", "{model}", "--labels", "bom.txt"),
        0,
        "dog",
        setup=labels_bom_crlf,
    ),
    Check(
        "--labels with BOM, no ??? line",
        ("detect", "pets.jpg", "--model", "{model}", "--labels", "nobg.txt", "--json"),
        "labels read clean (no BOM), dog found",
        labels_clean,
        setup=labels_bom_no_background,
    ),
    Exit(
        "--labels in Latin-1",
        ("detect", "pets.jpg", "--model", "{model}", "--labels", "latin1.txt"),
        2,
        "not UTF-8",
        setup=labels_latin1,
    ),
    Exit(
        "--labels empty",
        ("detect", "pets.jpg", "--model", "{model}", "--labels", "empty.txt"),
        2,
        "empty",
        setup=write("empty.txt", "\n\n"),
    ),
    Exit("--labels is a folder", ("detect", "pets.jpg", "--model", "{model}", "--labels", "sub"), 2, "label"),
    Exit('--record-on ""', (*RUN, *SRC, "--record-on", ""), 2, "names no class"),
    Exit('--record-on ",,"', (*RUN, *SRC, "--record-on", ",,"), 2, "names no class"),
    Exit('--classes ""', (*RUN, *SRC, "--classes", ""), 2, "names no class"),
    Exit('--classes " bottle , person "', (*RUN, *SRC, "--classes", " bottle , person "), 0, "bottle"),
    Check(
        "CAMAPP_MODEL_DIR with a trailing \\r (CRLF env file)",
        ("models", "list"),
        "the store is found",
        store_found,
        env=env_with_cr,
    ),
    # sources
    *_sources(),
    Exit(
        "--source a plain MP4 cut in half (index at the end, lost)",
        ("run", "--headless", "--source", "half.mp4"),
        2,
        "cannot read",
        setup=half_clip,
    ),
    Check(
        "--source camapp's own recording cut in half",
        ("run", "--headless", "--no-realtime", "--source", "fraghalf.mp4"),
        "plays what is there, exit 0",
        plays_what_is_there,
        setup=half_own_recording,
    ),
    Check(
        "--source an image --loop",
        ("run", "--headless", "--source", "pets.jpg", "--loop", "--max-frames", "6"),
        "6 frames, exit 0",
        six_frames,
    ),
    Check(
        "variable-frame-rate clip, log t",
        ("run", "--headless", "--no-realtime", "--source", "vfr.mp4", "--log", "vfr.jsonl"),
        "t = each frame's own time",
        vfr_times,
        setup=vfr_clip,
    ),
    # signals and kills
    *(Kill(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGKILL)),
    Check(
        "stdout closed early (| head -1)",
        (),
        "no traceback",
        no_traceback,
        shell="{py} -m camapp run --headless --no-realtime --source clip.mp4 --log /dev/stdout | head -1",
    ),
    # option values
    Exit("--duration 0", ("run", "--headless", *SRC, "--duration", "0"), 2, "must be positive"),
    Exit("--max-frames -1", ("run", "--headless", *SRC, "--max-frames", "-1"), 2),
    Exit("--threshold 1.5", ("run", "--headless", *SRC, "--threshold", "1.5"), 2, "between 0 and 1"),
    Exit(
        "--record-segment nan",
        ("run", "--headless", *SRC, "--record", "s.mp4", "--record-segment", "nan"),
        2,
        "must be positive",
    ),
    Exit(
        "--record-keep-mb without segments",
        ("run", "--headless", *SRC, "--record", "k.mp4", "--record-keep-mb", "5"),
        2,
        "goes with",
    ),
    # permissions (as user nobody: root writes anywhere)
    AsNobody("--record into a read-only folder", ("--record", "ro/x.mp4"), setup=lock_down),
    AsNobody(
        "--log onto a read-only file --overwrite",
        ("--log", "rw/ro.jsonl", "--overwrite"),
        keep=("rw/ro.jsonl",),
    ),
    AsNobody("--snapshot-dir under a read-only folder", ("--snapshot-dir", "ro/snaps")),
    AsNobody("--record-dir read-only", ("--record-on", "bottle", "--record-dir", "ro")),
    AsNobody("segments into a read-only folder", ("--record", "ro/x.mp4", "--record-segment", "1")),
    # model store
    Check(
        "models fetch --from a zip whose member is larger than the catalog says",
        ("models", "fetch", "--from", "big.zip", "--quiet"),
        "exit 2, store empty",
        store_empty,
        setup=oversized_zip,
        env=second_store,
    ),
    Exit(
        "models fetch --from a missing path",
        ("models", "fetch", "--from", "nope", "--quiet"),
        2,
        "no such file",
        env=second_store,
    ),
    Exit(
        "models fetch --from a text file named .zip",
        ("models", "fetch", "--from", "bad.zip", "--quiet"),
        2,
        "not a valid zip",
        setup=write("bad.zip", "not a zip"),
        env=second_store,
    ),
    Exit(
        "models fetch --from a zip inside the installed model's folder",
        ("models", "fetch", "--from", "{model_dir}/mine.zip", "--quiet"),
        2,
        "move it elsewhere first",
        ("{model_dir}/mine.zip",),
        setup=zip_in_model_folder,
    ),
]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[1].parent / "shared"))
    sb = Sandbox.create(Path(ap.parse_args().shared))
    for case in CASES:
        run_case(sb, case)
    ok = sum(r[3] for r in ROWS)
    print(f"{ok} of {len(ROWS)} cases as expected\n")
    print("| # | case | expected | got |")
    print("|---|---|---|---|")
    for i, (case, expected, got, good) in enumerate(ROWS, 1):
        mark = "" if good else " **(FAIL)**"
        print(f"| {i} | {short(case, 80)} | {expected} | {got}{mark} |")
    shutil.rmtree(sb.w, ignore_errors=True)
    return 0 if ok == len(ROWS) else 1


if __name__ == "__main__":
    sys.exit(main())
