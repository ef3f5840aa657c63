"""The connection: paho-mqtt's network thread, a bounded queue before it, reconnects with backoff.

`publish()` only appends to a queue and returns: the pipeline's thread never waits for the
network. A sender thread hands queued messages to paho while connected, at most `window` unacked
at a time, all QoS 1, in order. While the broker is away they wait in the queue (bounded in count
and bytes; the oldest are dropped first and counted); paho resends what was in flight when the
connection broke, then the queue follows. paho reconnects by itself, 1 s doubling to 30 s.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from camapp.errors import CamappError
from camapp.mqtt.url import Broker

QOS = 1


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes
    retain: bool = False


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class Link:
    """One client connection. `on_connected()` runs on paho's thread after every (re)connect:
    subscribe and republish retained state there. `on_message(topic, payload)` hears subscriptions."""

    def __init__(
        self,
        broker: Broker,
        client_id: str,
        will: Message,
        *,
        on_connected: Callable[[], None] = lambda: None,
        on_message: Callable[[str, bytes], None] = lambda t, p: None,
        max_messages: int = 2000,
        max_bytes: int = 8 << 20,
        window: int = 20,
        say: Callable[[str], None] = _say,
        min_delay: float = 1.0,
        max_delay: float = 30.0,
    ) -> None:
        self.broker = broker
        self._on_connected = on_connected
        self._on_message = on_message
        self._say = say
        self._max_messages, self._max_bytes, self._window = max_messages, max_bytes, window
        self._queue: deque[Message] = deque()
        self._bytes = 0
        self._inflight = 0
        self._cv = threading.Condition()
        self._closing = False
        self.connected = False
        self.dropped = 0  # messages dropped from a full queue
        self.sent = 0  # messages acknowledged by the broker
        self.sent_bytes = 0  # payload bytes handed to the connection
        self.connects = 0
        self.problem = ""  # the last reason the connection failed or broke ("" while fine)
        self._failed_at: float | None = None  # when the last attempt failed (the backoff starts)
        self._said = ""
        c = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv311)
        if broker.username:
            c.username_pw_set(broker.username, broker.password)
        if broker.tls:
            try:
                c.tls_set(ca_certs=broker.ca, certfile=broker.cert, keyfile=broker.key)
            except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
                raise CamappError(f"--mqtt: TLS files: {exc}") from None
        c.will_set(will.topic, will.payload, QOS, will.retain)
        c.reconnect_delay_set(min_delay=max(1, round(min_delay)), max_delay=max(1, round(max_delay)))
        c.max_inflight_messages_set(window)
        c.on_connect = self._connected
        c.on_connect_fail = self._connect_failed
        c.on_disconnect = self._disconnected
        c.on_publish = self._published
        c.on_message = lambda _c, _u, msg: self._on_message(msg.topic, msg.payload)
        self.client = c
        self._sender = threading.Thread(target=self._send_loop, name="camapp-mqtt-send", daemon=True)

    # --- the front-end's side ----------------------------------------------------------------
    def start(self) -> None:
        """Connect in the background (an unreachable broker is retried, never raised)."""
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=30)
        self.client.loop_start()
        self._sender.start()

    def publish(self, topic: str, payload: bytes | str, retain: bool = False) -> None:
        """Queue a message; never blocks. A full queue drops its oldest message (counted)."""
        data = payload.encode() if isinstance(payload, str) else bytes(payload)
        with self._cv:
            if self._closing:
                return
            self._queue.append(Message(topic, data, retain))
            self._bytes += len(data)
            while len(self._queue) > self._max_messages or self._bytes > self._max_bytes:
                old = self._queue.popleft()
                self._bytes -= len(old.payload)
                self.dropped += 1
            self._cv.notify()

    def publish_now(self, topic: str, payload: bytes | str, retain: bool = False) -> None:
        """Hand a message straight to paho while connected (the answer to a command: one thread
        hop fewer than the queue); queued like `publish()` otherwise. For small messages only,
        from any thread but the pipeline's."""
        data = payload.encode() if isinstance(payload, str) else bytes(payload)
        with self._cv:
            direct = self.connected and not self._closing
            if direct:  # counted in flight like the sender's, so every acknowledgement balances
                self._inflight += 1
                self.sent_bytes += len(data)
        if not direct:
            self.publish(topic, data, retain)
            return
        info = self.client.publish(topic, data, QOS, retain)
        if info.rc not in (paho.MQTT_ERR_SUCCESS, paho.MQTT_ERR_NO_CONN):
            with self._cv:
                self._inflight -= 1
                self.dropped += 1

    def retry_in(self) -> float | None:
        """Seconds to paho's next attempt while disconnected (None: connected, or not known).
        paho keeps its current backoff in `_reconnect_delay`, set when its wait begins, right
        after the failure that `_failed_at` marks."""
        delay, failed = getattr(self.client, "_reconnect_delay", None), self._failed_at
        if self.connected or failed is None or not isinstance(delay, (int, float)):
            return None
        return max(0.0, failed + delay - time.monotonic())

    @property
    def queued(self) -> int:
        return len(self._queue)

    def subscribe(self, topic: str) -> None:
        self.client.subscribe(topic, QOS)

    def close(self, last: Message | None = None, timeout: float = 3.0) -> bool:
        """Publish `last` (the `offline` availability), send what is queued for up to `timeout`
        seconds if connected, then disconnect. True if everything queued went out."""
        if last is not None:
            self.publish(last.topic, last.payload, last.retain)
        deadline = time.monotonic() + timeout
        with self._cv:
            while (self._queue or self._inflight) and self.connected and time.monotonic() < deadline:
                self._cv.wait(0.05)
            done = not self._queue and not self._inflight
            self._closing = True
            self._cv.notify_all()
        self._sender.join(1.0)
        self.client.disconnect()
        self.client.loop_stop()
        return done

    # --- the sender thread -------------------------------------------------------------------
    def _send_loop(self) -> None:
        while True:
            with self._cv:
                while not self._closing and not (
                    self.connected and self._queue and self._inflight < self._window
                ):
                    self._cv.wait(0.5)
                if self._closing:
                    return
                m = self._queue.popleft()
                self._bytes -= len(m.payload)
                self._inflight += 1
                self.sent_bytes += len(m.payload)
            info = self.client.publish(m.topic, m.payload, QOS, m.retain)
            if info.rc not in (paho.MQTT_ERR_SUCCESS, paho.MQTT_ERR_NO_CONN):
                with self._cv:  # paho refused it outright (too large...): it is lost, say so
                    self._inflight -= 1
                    self.dropped += 1
            # MQTT_ERR_NO_CONN: paho keeps a QoS 1 message and sends it after reconnecting

    # --- paho's network thread ---------------------------------------------------------------
    def _connected(self, _c: Any, _u: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if reason.is_failure:
            self._problem(f"the broker refused the connection: {reason}")
            return
        with self._cv:
            self.connected = True
            self.connects += 1
            self.problem = ""
            self._failed_at = None
            self._cv.notify_all()
        if self._said:
            self._say(f"mqtt: connected to {self.broker.address}")
            self._said = ""
        self._on_connected()

    def _connect_failed(self, _c: Any, _u: Any) -> None:
        self._problem("cannot connect")

    def _disconnected(self, _c: Any, _u: Any, _flags: Any, reason: Any, _props: Any) -> None:
        with self._cv:
            was, self.connected = self.connected, False
            closing = self._closing
        if not closing and not (not was and self.problem.startswith("the broker refused")):
            # before the broker's answer: TLS refused later (no client certificate)...; a refusal
            # the broker answered keeps its own reason (it closes the connection after it)
            self._problem(
                f"connection lost ({reason})" if was else f"the broker closed the connection ({reason})"
            )

    def _problem(self, text: str) -> None:
        """One line per outage (the first reason), not one per retry."""
        self.problem = text
        self._failed_at = time.monotonic()
        if not self._said:
            self._said = text
            self._say(f"mqtt: {self.broker.address}: {text}; retrying with backoff (up to 30 s)")

    def _published(self, _c: Any, _u: Any, mid: int, _reason: Any, _props: Any) -> None:
        with self._cv:
            self._inflight = max(0, self._inflight - 1)
            self.sent += 1
            self._cv.notify_all()
