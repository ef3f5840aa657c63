"""Every `camapp` command in the README and docs/*.md runs as written, for a user with a clone,
the model and the sample clips (and an empty home): the shell blocks' lines, and the `$ camapp`
lines of the transcripts (which must end as the transcript shows: exit 2 where it shows an error).

Only two kinds of change are made: a limit where the command would run long (`--max-frames`,
fewer benchmark rounds) and a free port for `--web`. What cannot run here is listed in SKIP with
the reason, and a stale SKIP entry fails too, so the list stays the docs' own.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import IMAGES, ROOT, SHARED_MODEL, VIDEOS, need

DOCS = [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").glob("*.md") if p.name != "cli.md")]
PREFIXES = ("camapp", ".venv/bin/camapp")

SKIP = {
    "camapp --source 0": "the desktop app on a camera: a window, and no camera here (tests/gui runs the app)",
    "camapp --source sample:person": "the desktop app: a window (tests/gui/test_xvfb.py runs it on a screen)",
    ".venv/bin/camapp --source picam": "the desktop app on a Raspberry Pi camera module",
    ".venv/bin/camapp run --headless --source picam --record test.mp4": "a Raspberry Pi camera module",
    ".venv/bin/camapp run --headless --source picam --record ~/camapp-recordings/test.mp4": "a Pi camera",
    "camapp run --headless --source picam --web 0.0.0.0:8080 --record-on person": "a Pi camera",
    "camapp run --headless --source picam --web 8080": "a Raspberry Pi camera module",
    "camapp run --headless --source picam --web 0.0.0.0:8080": "a Raspberry Pi camera module",
    "camapp run --headless --source 0 --record-on person --record-dir clips": "a camera (none here)",
    "camapp run --headless --source 0 --record cam.mp4 --record-segment 600 --record-keep-mb 20000": "a camera",
    "camapp events list": "reads the history the run before it made (tests/cli/test_events.py runs both)",
    "camapp events show 3": "the same history, its event 3",
    "camapp events export --format csv --since 7d > events.csv": "the same history, and a shell redirection",
    "camapp events prune --older-than 30": "the same history",
    "camapp events --dir recordings prune --keep-mb 5": "a transcript of the person clip's history "
    "(tests/cli/test_events.py prunes a real one by size)",
    "camapp run --headless --source 0 --notify ntfy://camapp-frontdoor-7f3k --notify-label person": "a camera "
    "and the reader's ntfy topic",
    "camapp run --headless --source 0 --name door --mqtt mqtt://camapp@broker.lan": "a camera and a broker "
    "(tests/mqtt runs a real local Mosquitto)",
    "camapp run --headless --source picam --name door --mqtt mqtt://door@broker.lan --mqtt-password-file "
    "~/.camapp-mqtt --record-on person --track --zone porch:0.1,0.5,0.6,0.5,0.6,1,0.1,1": "a Pi camera and a broker",
    "camapp run --headless --source picam --name garden --mqtt mqtt://garden@broker.lan --mqtt-password-file "
    "~/.camapp-mqtt --classes person,cat,dog": "a Pi camera and a broker",
    "camapp run --headless --source rtsp://garage-cam/stream --name garage --mqtt mqtt://garage@broker.lan "
    "--mqtt-password-file ~/.camapp-mqtt --classes person,car": "a camera on the reader's network and a broker",
    ".venv/bin/camapp run --headless --source picam --device hailo --model /usr/share/hailo-models/yolov8s_h8l.hef "
    "--labels coco.txt": "an AI HAT+ (tests/detect/test_hailo.py fakes the vendor class)",
    ".venv/bin/camapp run --headless --source picam --device imx500 --record ~/ai-camera.mp4": "an AI Camera "
    "(tests/detect/test_imx500.py fakes the vendor class)",
    ".venv/bin/camapp --source picam --device imx500:zoom=2": "the desktop app on an AI Camera",
    "camapp models fetch NAME --from DIR|ZIP": "a pattern: NAME and DIR|ZIP are the reader's",
    "camapp samples fetch --from DIR": "a pattern: DIR is the reader's folder of clips",
    "camapp run --headless --source cam.mp4 --record out.mp4": "needs another run writing out.mp4 at the "
    "same time (tests/cli/test_run_outputs.py runs two)",
    "camapp record finalize recordings/camapp-20261128-221502.mp4": "a transcript of the author's "
    "recording (tests/cli/test_record.py finalizes real ones)",
    "camapp record finalize recordings/camapp-20261128-221502.mp4 recordings/nope.mp4": "the same "
    "transcript (with a missing file)",
    "camapp bench-track --source ../shared/media/video/one-by-one-person-detection.mp4 --source "
    "../shared/media/video/bottle-detection.mp4 --classes person,bottle": "the developers' clips: "
    "bench-track reads files, not sample:NAME (tests/cli/test_bench_track.py runs it)",
}

# The files the docs' examples name as the reader's own, and what stands in for them.
USER_FILES = {
    "photo.jpg": IMAGES / "kite_and_cold.jpg",
    "pets.jpg": IMAGES / "pets.jpg",
    "my.tflite": SHARED_MODEL / "detect.tflite",
    "my_labels.txt": SHARED_MODEL / "labelmap.txt",
    "clip.mp4": VIDEOS / "one-by-one-person-detection.mp4",
    "old.mp4": VIDEOS / "bottle-detection.mp4",
}


@dataclass(frozen=True)
class Command:
    doc: str
    line: int
    text: str  # as written, without its comment
    fails: bool  # a transcript that shows `camapp: error:` for it

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.line}"


def _strip(line: str) -> str:
    words = shlex.split(line, comments=True)
    return " ".join(words)


def documented() -> list[Command]:
    found = []
    for doc in DOCS:
        lines = doc.read_text(encoding="utf-8").splitlines()
        lang, i = None, 0
        while i < len(lines):
            fence = re.match(r"^\s*```(\w*)", lines[i])
            if fence and lang is None:
                lang, i = fence.group(1), i + 1
                continue
            if fence:
                lang, i = None, i + 1
                continue
            if lang is None:
                i += 1
                continue
            start, line = i, lines[i]
            while line.rstrip().endswith("\\") and i + 1 < len(lines):
                i += 1
                line = line.rstrip()[:-1] + " " + lines[i].strip()
            i += 1
            text = line.strip()
            if lang == "" and text.startswith("$ "):  # a transcript: the output follows
                text = text[2:]
                out = []
                while i < len(lines) and not lines[i].startswith(("$ ", "```")):
                    out.append(lines[i])
                    i += 1
                fails = any("camapp: error:" in o for o in out)
            elif lang in ("sh", "bash"):
                fails = False
            else:
                continue
            text = _strip(text.split(";")[0])
            if text.split(" ")[0] in PREFIXES:
                found.append(Command(doc.relative_to(ROOT).as_posix(), start + 1, text, fails))
    return found


COMMANDS = documented()


def limited(words: list[str], port: int) -> list[str]:
    """The command with a limit where it would run long, and a free port for --web."""
    words = list(words)
    if "--web" in words:
        i = words.index("--web") + 1
        host, _, _ = words[i].rpartition(":")
        words[i] = f"{host}:{port}" if host else str(port)
    sub = words[1] if len(words) > 1 else ""
    if sub == "run" and "--max-frames" not in words:
        words += ["--max-frames", "20"]
    elif sub == "bench":
        words += ["--frames", "10", "--repeat", "1", "--invokes", "5"]
    elif sub == "bench-track":
        words += ["--max-frames", "20", "--frames", "20", "--repeat", "1"]
    return words


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def user(tmp_path_factory: pytest.TempPathFactory, model_store: Path) -> tuple[Path, dict[str, str]]:
    """A folder with the reader's files, an empty home, the model and both sample clips installed."""
    base = tmp_path_factory.mktemp("user")
    work, home, samples = base / "work", base / "home", base / "samples"
    for d in (work, home):
        d.mkdir()
    for name, src in USER_FILES.items():
        shutil.copy(need(src), work / name)
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "CAMAPP_MODEL_DIR": str(model_store),
        "CAMAPP_SAMPLE_DIR": str(samples),
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-m", "camapp", "samples", "fetch", "--quiet", "--from", str(need(VIDEOS))],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return work, env


def test_the_docs_have_commands_and_every_skip_is_one_of_them():
    texts = {c.text for c in COMMANDS}
    assert len(COMMANDS) > 20
    assert not set(SKIP) - texts, f"SKIP names commands the docs no longer have: {set(SKIP) - texts}"


@pytest.mark.parametrize("cmd", [c for c in COMMANDS if c.text not in SKIP], ids=lambda c: c.id)
def test_a_documented_command_runs_as_written(cmd: Command, user, tmp_path):
    files, env = user
    work = shutil.copytree(files, tmp_path / "work")  # each as the first command the reader runs
    words = limited(shlex.split(cmd.text), free_port())
    argv = [sys.executable, "-m", "camapp", *words[1:]]
    done = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in done.stderr, done.stderr
    if cmd.fails:
        assert done.returncode == 2 and done.stderr.startswith("camapp: error:"), done.stderr
    else:
        assert done.returncode == 0, f"{shlex.join(words)}: exit {done.returncode}\n{done.stderr}"


def test_quick_start_4_loops_the_sample():
    """The browser view on the sample must not die when the 140 s clip ends."""
    web = [c for c in COMMANDS if c.doc == "README.md" and {"sample:person", "--web"} <= set(c.text.split())]
    assert web and all("--loop" in c.text.split() for c in web)


def test_no_doc_installs_camapp_from_pypi():
    """camapp is installed from a clone (`pip install -e '.[web]'`), not as `camapp[web]` from PyPI."""
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        assert not re.search(r"pip install\s+['\"]?camapp\[", text), doc
