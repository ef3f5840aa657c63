"""`camapp run --notify URL`: option mistakes are one line (exit 2); on the person clip a real local
JSON webhook gets one POST per object start the detection log lists, with the frame attached."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from conftest import PERSON_CLIP, need
from notify.receivers import Receiver, attachment, closed_port
from support.cli import run_refused

from camapp.cli import main

ZONE = "table:0.4,0.1,0.7,0.1,0.7,0.9,0.4,0.9"


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.mark.parametrize(
    "extra,reason",
    [
        (["--notify", "nope://x"], "--notify nope://…: not a notification URL Apprise understands"),
        (
            ["--notify", "json://127.0.0.1:9/x", "--notify-cooldown", "-1"],
            "out of range (0 to 86400 seconds)",
        ),
        (
            ["--notify", "json://127.0.0.1:9/x", "--notify-cooldown", "soon"],
            "'soon' is not a number of seconds",
        ),
        (["--notify-label", "person"], "--notify-label goes with --notify URL"),
        (["--notify-cooldown", "0"], "--notify-cooldown goes with --notify URL"),
        (
            ["--notify", "json://127.0.0.1:9/x", "--notify-zone", "door"],
            "--notify-zone door: no --zone has that",
        ),
        (
            ["--notify", "json://127.0.0.1:9/x", "--track", "--zone", ZONE, "--notify-zone", "door"],
            "(zones: table)",
        ),
        (
            ["--notify", "json://127.0.0.1:9/x", "--notify-label", "unicorn"],
            "--notify-label unicorn: the model",
        ),
    ],
)
def test_bad_notify_options_exit_2_with_one_line(model_store, capsys, extra, reason):
    run_refused(capsys, extra, reason)


def test_run_notify_posts_each_object_start_of_the_log_with_its_frame(
    model_store, tmp_path, capsys, receiver
):
    log = tmp_path / "log.jsonl"
    rc = main(
        ["run", "--headless", "--source", str(need(PERSON_CLIP)), "--no-realtime", "--max-frames", "200"]
        + ["--track", "--log", str(log), "--notify", receiver.url, "--notify-cooldown", "0"]
        + ["--notify-name", "hall"]
    )
    out = capsys.readouterr().out
    assert rc == 0, out
    starts = [
        o
        for line in log.read_text().splitlines()
        for o in json.loads(line).get("objects", ())
        if o["type"] == "start"
    ]
    assert any(o["label"] == "person" for o in starts)  # the first person walks in at frame 62
    bodies = receiver.bodies()  # the run waits for what is queued before it ends
    assert [b["title"] for b in bodies] == [f"{o['label']} {o['score']:.0%} · hall" for o in starts]
    for body in bodies:
        image = cv2.imdecode(np.frombuffer(attachment(body)[2], np.uint8), cv2.IMREAD_COLOR)
        assert image.shape == (432, 768, 3)
    n = len(starts)
    assert f"notify: {n} object(s) notified | json://127.0.0.1:{receiver.port}/hook: {n} sent" in out


def test_an_unreachable_service_is_one_line_and_the_run_goes_on(model_store, capsys, caplog):
    url = f"json://127.0.0.1:{closed_port()}/hook"
    rc = main(
        ["run", "--headless", "--source", str(need(PERSON_CLIP)), "--no-realtime", "--max-frames", "150"]
        + ["--notify", url, "--notify-cooldown", "0"]
    )
    out = capsys.readouterr().out
    assert rc == 0  # notifications are no output of the run: detection and recording went on
    assert "summary: 150 frames" in out
    outage = [r.getMessage() for r in caplog.records if r.getMessage().startswith("notify:")]  # stderr
    assert len(outage) == 1 and outage[0].startswith(f"notify: cannot send to {url}: ")
    line = next(line for line in out.splitlines() if line.startswith("notify:"))
    assert f"{url}: 0 sent, " in line and " failed" in line  # retried until the end, then given up
