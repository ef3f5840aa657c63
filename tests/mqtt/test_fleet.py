"""A fleet: five `camapp run` processes on the sample clips, one broker, one subscriber.

Prints each camera's message and byte rates at steady state (pytest -s shows the table); the
budget without snapshots is 5 messages/s and 20 KB/s per camera (docs/mqtt.md has the arithmetic
for 100 cameras).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from conftest import BOTTLE_CLIP, PERSON_CLIP, need
from mqtt.broker import PASSWORD, Subscriber, rates

CAMERAS = 5
# about 12 s of each clip (person 10 fps, bottle 30 fps): a steady state between the first
# `running` status and `offline` for every camera
FRAMES = (120, 360)


def test_five_cameras_one_broker(mosquitto, model_store):
    sub = Subscriber(mosquitto)
    time.sleep(0.3)
    clips = [need(PERSON_CLIP), need(BOTTLE_CLIP)]
    env = {**os.environ, "CAMAPP_MQTT_PASSWORD": PASSWORD}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "camapp",
                "run",
                "--headless",
                "--source",
                str(clips[i % 2]),
                "--max-frames",
                str(FRAMES[i % 2]),
                "--threads",
                "1",
                "--mqtt",
                mosquitto.url,
                "--name",
                f"cam{i}",
                "--stats-every",
                "1000",
            ],  # fmt: skip
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(CAMERAS)
    ]
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
        assert "Traceback" not in err and "mqtt:" in out
    time.sleep(1)
    devices = {
        json.loads(p)["device"]["identifiers"][0]
        for _, t, p, _ in sub.messages
        if t.startswith("homeassistant/")
    }
    assert devices == {f"camapp_cam{i}" for i in range(CAMERAS)}
    print(
        f"\n{'camera':8} {'clip':8} {'seconds':>8} {'msg/s':>7} {'B/s':>8} {'snap msg/s':>11} {'snap B/s':>9}"
    )
    for i in range(CAMERAS):
        base = f"camapp/cam{i}"
        events = [json.loads(p) for p in sub.on(f"{base}/events")]
        label = "person" if i % 2 == 0 else "bottle"
        assert any(e["type"] == "new" and e["label"] == label for e in events), (base, events)
        assert {e["id"] for e in events if e["type"] == "new"} == {
            e["id"] for e in events if e["type"] == "end"
        }
        assert sub.on(f"{base}/availability")[-1] == b"offline"
        r = rates(sub.messages, base)
        print(
            f"{'cam' + str(i):8} {label:8} {r['seconds']:8.1f} {r['msg_s']:7.2f} {r['bytes_s']:8.0f}"
            f" {r['snap_msg_s']:11.2f} {r['snap_bytes_s']:9.0f}"
        )
        assert r["seconds"] > 0
        assert r["msg_s"] <= 5 and r["bytes_s"] <= 20_000, r
    sub.close()
