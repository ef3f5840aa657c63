"""A channel against real local endpoints: a JSON webhook, a closed port, one that hangs."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from notify.receivers import Receiver, closed_port

from camapp.errors import CamappError
from camapp.notify import Channel, Note, check_url

EVENT = {
    "type": "start",
    "id": 3,
    "label": "person",
    "track_id": 7,
    "score": 0.8712,
    "zones": ["door"],
    "entered": ["door"],
    "t": 6.2,
    "wall": 1_800_000_000.0,
}


def note(**change) -> Note:
    return Note({**EVENT, **change}, None, "front door")


def outage_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "camapp.notify.channel"]


def test_a_message_reaches_the_webhook_with_label_score_zones_camera_and_time(receiver):
    channel = Channel(receiver.url)
    assert channel.submit(note())
    (body,) = receiver.wait(1)
    channel.close()
    assert body["title"] == "person 87% in door · front door"
    assert "person (score 87%) seen by front door at " in body["message"]
    assert "zones: door" in body["message"] and "object 3, track 7" in body["message"]
    assert body["attachments"] == [] and body["type"] == "info"
    assert channel.status() | {"waiting": 0} == {
        "url": channel.name,
        "sent": 1,
        "failed": 0,
        "dropped": 0,
        "unsent": 0,
        "waiting": 0,
        "down": False,
        "error": "",
    }


@pytest.mark.parametrize("url", ["nope://x", "json:/", "tgram://not-a-token", "http//x"])
def test_a_url_apprise_cannot_parse_is_one_line(url):
    with pytest.raises(CamappError, match="not a notification URL Apprise understands") as err:
        check_url(url)
    assert "\n" not in str(err.value)


def test_an_outage_is_logged_once_retried_with_backoff_and_its_end_once(caplog):
    caplog.set_level(logging.WARNING)
    port = closed_port()
    channel = Channel(f"json://127.0.0.1:{port}/hook")
    for i in range(3):
        channel.submit(note(id=i))
    deadline = time.monotonic() + 10
    while not channel.status()["down"] and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.5)  # at least one retry (after 1 s) fails too
    assert channel.status()["down"] and channel.status()["sent"] == 0
    assert len(outage_lines(caplog)) == 1 and "cannot send to json://127.0.0.1" in outage_lines(caplog)[0]
    assert "Connection" in channel.status()["error"] or "connect" in channel.status()["error"].lower()
    receiver = Receiver(port=port)  # the service comes back: the waiting messages go out, in order
    try:
        bodies = receiver.wait(3, timeout=15)
        assert [b["message"].split("object ")[1].split(",")[0] for b in bodies] == ["0", "1", "2"]
    finally:
        channel.close()
        receiver.close()
    lines = outage_lines(caplog)
    assert len(lines) == 2 and "works again" in lines[1]
    assert channel.status()["sent"] == 3 and not channel.status()["down"]


def test_a_message_is_given_up_after_its_maximum_age():
    channel = Channel(f"json://127.0.0.1:{closed_port()}/hook", max_age=1.5)
    channel.submit(note())
    deadline = time.monotonic() + 10
    while channel.status()["failed"] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    channel.close(0.5)
    assert channel.status()["failed"] == 1 and channel.status()["sent"] == 0


def test_a_hanging_service_fills_the_queue_submit_never_waits_and_overflow_is_counted(hanging):
    channel = Channel(hanging.url + "?cto=2&rto=2")
    done = threading.Event()
    accepted = []

    def flood() -> None:
        accepted.extend(channel.submit(note(id=i)) for i in range(20))
        done.set()

    threading.Thread(target=flood, daemon=True).start()
    assert done.wait(1.0)  # twenty submits while the first send hangs: none of them waits for it
    st = channel.status()
    assert st["dropped"] == accepted.count(False) and st["dropped"] >= 20 - 4 - 1  # queue of 4, 1 in flight
    channel.close(0.5)
    assert channel.status()["sent"] == 0
