"""The connection against a real Mosquitto: order, QoS 1 across a broker restart, the bounded
queue, TLS with a self-signed CA, and what a wrong password or an absent broker says."""

from __future__ import annotations

import time

from mqtt.broker import PASSWORD, USER, Subscriber, free_port

from camapp.mqtt.link import Link, Message
from camapp.mqtt.url import Broker


def link(broker: Broker, lines: list[str] | None = None, **kw) -> Link:
    said = lines if lines is not None else []
    return Link(broker, f"test-{free_port()}", Message("t/avail", b"offline", True), say=said.append, **kw)


def plain(mosquitto, password: str = PASSWORD) -> Broker:
    return Broker("127.0.0.1", mosquitto.port, username=USER, password=password)


def test_messages_go_out_in_order_and_publish_never_waits(mosquitto):
    sub = Subscriber(mosquitto, ("t/#",))
    time.sleep(0.3)
    ln = link(plain(mosquitto))
    ln.start()
    t0 = time.perf_counter()
    for i in range(500):
        ln.publish("t/n", str(i))
    queued_in = time.perf_counter() - t0
    assert sub.wait_for(lambda m: len([1 for _, t, _, _ in m if t == "t/n"]) == 500, 20)
    assert [int(p) for p in sub.on("t/n")] == list(range(500))
    assert ln.close(timeout=5) and ln.sent == 500 and ln.dropped == 0
    assert queued_in < 0.5  # 500 publishes only queued (a generous bound on a shared machine)
    sub.close()


def test_queued_while_the_broker_is_away_then_delivered_in_order(mosquitto):
    lines: list[str] = []
    ln = link(plain(mosquitto), lines)
    ln.start()
    deadline = time.monotonic() + 10
    while not ln.connected and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ln.connected
    mosquitto.stop()
    for i in range(50):
        ln.publish("t/n", str(i))
        time.sleep(0.01)
    assert ln.dropped == 0
    mosquitto.start()
    sub = Subscriber(mosquitto, ("t/#",))  # a subscriber from before would have lost its session
    time.sleep(0.3)
    # QoS 1 keeps the messages: they reach a subscriber that arrives after the broker restarts
    # only if they are published after it subscribed, so wait for the link to reconnect first
    assert sub.wait_for(lambda m: len([1 for _, t, _, _ in m if t == "t/n"]) >= 50, 40), lines
    got = [int(p) for p in sub.on("t/n")]
    assert sorted(set(got)) == list(range(50))
    firsts = [got.index(i) for i in range(50)]
    assert firsts == sorted(firsts)  # in order (a resend after a reconnect may repeat one)
    assert any("connection lost" in line for line in lines) and any("connected" in line for line in lines)
    ln.close()
    sub.close()


def test_a_full_queue_drops_the_oldest_and_counts_them(mosquitto):
    ln = link(Broker("127.0.0.1", free_port()), max_messages=10)  # nothing listens there
    ln.start()
    for i in range(25):
        ln.publish("t/n", str(i))
    assert ln.dropped == 15 and ln.queued == 10
    assert [m.payload for m in ln._queue] == [str(i).encode() for i in range(15, 25)]
    t0 = time.monotonic()
    assert not ln.close(timeout=1)
    assert time.monotonic() - t0 < 5  # never hangs at exit


def test_tls_with_a_self_signed_ca(mosquitto):
    sub = Subscriber(mosquitto, ("t/#",))
    time.sleep(0.3)
    ca = str(mosquitto.dir / "ca.crt")
    ln = link(Broker("127.0.0.1", mosquitto.tls_port, tls=True, username=USER, password=PASSWORD, ca=ca))
    ln.start()
    ln.publish("t/tls", "over TLS")
    assert sub.wait_for(lambda m: any(t == "t/tls" for _, t, _, _ in m), 15)
    ln.close()
    sub.close()


def test_tls_with_a_client_certificate(mosquitto):
    sub = Subscriber(mosquitto, ("t/#",))
    time.sleep(0.3)
    d = mosquitto.dir
    files = {"ca": str(d / "ca.crt"), "cert": str(d / "client.crt"), "key": str(d / "client.key")}
    ln = link(Broker("127.0.0.1", mosquitto.mtls_port, tls=True, username=USER, password=PASSWORD, **files))
    ln.start()
    ln.publish("t/mtls", "with a client certificate")
    assert sub.wait_for(lambda m: any(t == "t/mtls" for _, t, _, _ in m), 15)
    ln.close()
    lines: list[str] = []
    no_cert = Broker(
        "127.0.0.1", mosquitto.mtls_port, tls=True, username=USER, password=PASSWORD, ca=files["ca"]
    )
    ln = link(no_cert, lines)
    ln.start()
    time.sleep(3)
    assert not ln.connected and len(lines) == 1, lines
    ln.close(timeout=1)
    sub.close()


def test_tls_without_the_ca_is_refused_in_one_line(mosquitto):
    lines: list[str] = []
    ln = link(Broker("127.0.0.1", mosquitto.tls_port, tls=True, username=USER, password=PASSWORD), lines)
    ln.start()
    time.sleep(3)
    assert not ln.connected and len(lines) == 1 and "retrying" in lines[0]
    ln.close(timeout=1)


def test_a_wrong_password_is_one_line_and_retried_with_backoff(mosquitto):
    lines: list[str] = []
    ln = link(plain(mosquitto, "wrong"), lines)
    ln.start()
    time.sleep(4.5)  # attempts at 0, 1, 3 seconds (the delay doubles)
    assert not ln.connected and len(lines) == 1, lines
    assert "refused" in lines[0] and "wrong" not in lines[0] and PASSWORD not in lines[0]
    refused = (mosquitto.dir / "mosquitto.log").read_text().count("not authorised")
    assert 2 <= refused <= 4, refused
    t0 = time.monotonic()
    ln.close(timeout=1)
    assert time.monotonic() - t0 < 5


def test_an_absent_broker_is_one_line_then_connects_when_it_comes(mosquitto):
    mosquitto.stop()
    lines: list[str] = []
    ln = link(plain(mosquitto), lines)
    ln.start()
    ln.publish("t/early", "queued before the broker existed")
    time.sleep(2.5)
    assert not ln.connected and len(lines) == 1 and "cannot connect" in lines[0], lines
    mosquitto.start()
    deadline = time.monotonic() + 15
    while not ln.connected and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ln.connected and "connected" in lines[-1]
    assert ln.close(timeout=5) and ln.sent == 1  # the message queued before it came
