"""`MqttBridge`: a session's objects, counts, snapshots and status on the broker; controls back.

It is an observer like the browser view. The observer runs on the pipeline's delivery thread, so
it only counts, formats small JSON and queues (`Link.publish` never blocks); JPEG encoding, the
coalesced counts and the 10 s status run on the bridge's own thread, controls on paho's thread.

Topics under `<prefix>/<name>/` are listed in docs/mqtt.md.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from camapp.errors import CamappError
from camapp.mqtt import discovery
from camapp.mqtt.link import Link, Message
from camapp.mqtt.url import Broker

ONLINE, OFFLINE = b"online", b"offline"
TYPES = {"start": "new", "update": "update", "end": "end"}  # the object watcher's -> Frigate's words
CONTROLS = ("threshold", "input_size", "auto", "classes", "record", "pause", "detect", "snapshot")
ON, OFF = "ON", "OFF"


def object_events(name: str, payload: dict[str, Any], session_objects: bool) -> list[dict[str, Any]]:
    """The object events in one session event, as dicts (`ObjectEvent.to_dict()`'s keys).

    The one place that knows where they come from: the session's `object` events when it sends
    them (`session_objects`: one has been seen), else each `result`'s `objects`.
    """
    if name == "object":
        event = payload.get("event")
        return [event.to_dict() if hasattr(event, "to_dict") else dict(payload)]
    if name == "result" and not session_objects:
        info = getattr(payload["result"], "objects", None)
        return [e.to_dict() for e in info.events] if info is not None else []
    return []


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _switch(value: str) -> bool:
    v = value.strip().upper()
    if v in ("ON", "1", "TRUE"):
        return True
    if v in ("OFF", "0", "FALSE"):
        return False
    raise CamappError(f"{value!r} is not ON or OFF")


class MqttBridge:
    """Connects `session` to the broker as camera `name`; `start()`, then `close()` at the end."""

    def __init__(
        self,
        session: Any,
        broker: Broker,
        name: str,
        prefix: str = "camapp",
        *,
        discovery_on: bool = True,
        labels: Iterable[str] = ("person",),
        zones: Iterable[str] = (),
        record_dir: str | Path = "recordings",
        status_every: float = 10.0,
        counts_every: float = 1.0,
        snapshot_every: float = 1.0,
        say: Callable[[str], None] = _say,
        **link_options: Any,
    ) -> None:
        self.session = session
        self.name = name
        self.base = f"{prefix.strip('/')}/{name}"
        self.discovery_on = discovery_on
        self.labels = list(dict.fromkeys(labels))
        self.zones = list(dict.fromkeys(zones))
        self.record_dir = Path(record_dir)
        self.status_every, self.counts_every, self.snapshot_every = status_every, counts_every, snapshot_every
        client_id = f"camapp-{discovery.node_id(name)}-{os.getpid()}"
        self.link = Link(
            broker,
            client_id,
            Message(self.topic("availability"), OFFLINE, True),
            on_connected=self._on_connected,
            on_message=self._on_message,
            say=say,
            **link_options,
        )
        self._lock = threading.Lock()  # counts and pending snapshots
        self._objects = threading.RLock()  # the object bookkeeping below
        self._counts: dict[str, int] = {label: 0 for label in self.labels}
        self._counts.update({f"{z}/{label}": 0 for z in self.zones for label in self.labels})
        self._sent_counts: dict[str, int] = {}
        self._sent_states: dict[str, str] = {}
        self._states_lock = threading.Lock()
        self._open: dict[int, dict[str, Any]] = {}  # id -> its latest event, until it ends
        self._snapshotted: set[int] = set()  # ids with a snapshot
        self._ended: set[int] = set()  # ids that ended (a new pipeline numbers from 1 again)
        self._started: dict[int, float] = {}  # id -> its start, seconds since the epoch
        self._last_of: dict[int, tuple[str, Any]] = {}  # id -> (type, frame) of its latest event
        self._pending: dict[str, tuple[Any, Any]] = {}  # label -> (image, box) of its best sighting
        self._snap_at: dict[str, float] = {}
        self._snap_now = False
        self._latest: Any = None
        self._session_objects = False
        self._published_events = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="camapp-mqtt", daemon=True)
        self._unsubscribe: Callable[[], None] | None = None

    def topic(self, *parts: str) -> str:
        return "/".join((self.base, *parts))

    # --- life --------------------------------------------------------------------------------
    def start(self) -> None:
        self._unsubscribe = self.session.subscribe(self._observe)
        self.link.start()
        self._thread.start()

    def close(self, timeout: float = 3.0) -> bool:
        """End what is open, send the last snapshots, counts and `offline`, disconnect (never hangs)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._end_open()
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(2.0)
        self._snapshots(time.monotonic() + 1e9)  # best sightings still waiting for their turn
        self._flush_counts(force=True)
        return self.link.close(Message(self.topic("availability"), OFFLINE, True), timeout)

    def status(self) -> dict[str, Any]:
        """How the connection does: for a status line and the `status` topic."""
        link = self.link
        return {
            "broker": link.broker.address,
            "connected": link.connected,
            "problem": link.problem,
            "queued": link.queued,
            "dropped": link.dropped,
            "sent": link.sent,
            "sent_bytes": link.sent_bytes,
            "events": self._published_events,
        }

    # --- the session's events (pipeline thread: quick, queue only) ----------------------------
    def _observe(self, name: str, payload: dict[str, Any]) -> None:
        if name == "object":
            self._session_objects = True
        elif name == "result":
            self._latest = payload["result"]  # its frame is the snapshot of its objects
        for event in object_events(name, payload, self._session_objects):
            self._object(event)
        if name == "result":
            self._result(payload["result"])
        elif name == "motion":
            # the session's motion event: {"event": "start" | "end", "t", "frame", "boxes"}
            active = payload.get("event") == "start"
            self.link.publish(self.topic("motion"), ON if active else OFF, retain=True)
        elif name == "state" and payload.get("state") in ("ended", "failed", "closed"):
            self._end_open()  # the input ended: whatever is still in view leaves with it
        elif name == "opening":  # the old pipeline stopped; the next numbers its objects from 1 again
            with self._objects:
                self._end_open()
                self._ended.clear()
                self._snapshotted.clear()
                self._started.clear()
                self._last_of.clear()
        elif name == "opened" and self.link.connected:  # the model's input sizes: the select's options
            self._publish_discovery()

    def _result(self, result: Any) -> None:
        dets = result.detections
        counts = Counter(dets.labels)
        track = getattr(result, "track", None)
        if track is not None:
            by_id = dict(zip(dets.track_ids.tolist(), dets.labels)) if dets.track_ids is not None else {}
            for zone, ids in track.inside.items():
                counts.update(f"{zone}/{by_id[i]}" for i in ids if i in by_id)
            for e in track.events:
                if e.get("event") == "cross":
                    text = json.dumps({k: e.get(k) for k in ("direction", "label", "track_id", "t")})
                    self.link.publish(self.topic("line", str(e["line"])), text)
        with self._lock:
            for key in self._counts:
                self._counts[key] = 0
            self._counts.update(counts)

    def _object(self, e: dict[str, Any]) -> None:
        with self._objects:
            self._object_locked(e)

    def _object_locked(self, e: dict[str, Any]) -> None:
        kind = TYPES.get(e.get("type", ""), e.get("type", ""))
        oid = int(e["id"])
        if oid in self._ended:
            return  # ended already, by the end of the input
        key = (kind, e.get("frame"))
        if self._last_of.get(oid) == key:
            return  # the same event from the result and from the session (while it switches over)
        self._last_of[oid] = key
        if kind == "end":
            self._open.pop(oid, None)
            self._ended.add(oid)
            self._last_of.pop(oid, None)
        else:
            self._open[oid] = e
        result = self._latest
        if kind != "end" and e.get("score") == e.get("top_score") and result is not None:
            with self._lock:  # the best sighting so far: the bridge's thread encodes the newest
                self._pending[e["label"]] = (result.frame.image, e.get("box"))
            self._snapshotted.add(oid)
        self._publish_event(kind, e)

    def _publish_event(self, kind: str, e: dict[str, Any]) -> None:
        wall, t = float(e.get("wall", time.time())), float(e.get("t", 0.0))
        oid = int(e["id"])
        # the wall clock when it was first seen: fixed at `new` (a file processed faster or slower
        # than real time would otherwise move it with every update)
        start = self._started.setdefault(oid, wall - (t - float(e.get("start", t))))
        if kind == "end":
            self._started.pop(oid, None)
        clips = getattr(self.session, "outputs", {}).get("events")  # event clips, when they run
        wanted = getattr(clips, "classes", ())
        zones = [c.removeprefix("zone:") for c in wanted if c.startswith("zone:")]
        out = {
            "type": kind,
            "id": e.get("event_id", e["id"]),
            "camera": self.name,
            "label": e["label"],
            "score": e.get("score"),
            "top_score": e.get("top_score"),
            "box": e.get("box"),
            "zones": e.get("zones", []),
            "entered": e.get("entered", []),
            "crossed": e.get("crossed", []),
            "track_id": e.get("track_id"),
            "start_time": round(start, 3),
            "end_time": round(wall - (t - float(e.get("last_seen", t))), 3) if kind == "end" else None,
            "has_snapshot": oid in self._snapshotted,
            "has_clip": clips is not None
            and (e["label"] in wanted or any(z in e.get("zones", ()) for z in zones)),
        }
        self._published_events += 1
        self.link.publish(self.topic("events"), json.dumps(out, separators=(",", ":")))

    def _end_open(self) -> None:
        with self._objects:  # the pipeline's thread, the session's worker and close() may race here
            for oid, e in list(self._open.items()):
                self._open.pop(oid, None)
                self._ended.add(oid)
                self._publish_event("end", {**e, "type": "end"})

    # --- the bridge's thread: counts, snapshots, status ---------------------------------------
    def _run(self) -> None:
        next_counts = next_status = next_states = time.monotonic()
        while not self._stop.wait(0.2):
            now = time.monotonic()
            if now >= next_counts:
                self._flush_counts()
                next_counts = now + self.counts_every
            if now >= next_states:  # a change made elsewhere (the app, the browser view, the CLI)
                self._sync_states()
                next_states = now + 1.0
            self._snapshots(now)
            if now >= next_status:
                self._publish_status()
                next_status = now + self.status_every

    def _flush_counts(self, force: bool = False) -> None:
        with self._lock:
            counts = dict(self._counts)
        for key, n in counts.items():
            if force or self._sent_counts.get(key) != n:
                self._sent_counts[key] = n
                self.link.publish(self.topic(*key.split("/")), str(n), retain=True)

    def _snapshots(self, now: float) -> None:
        with self._lock:
            due = {
                k: v
                for k, v in self._pending.items()
                if now - self._snap_at.get(k, -1e9) >= self.snapshot_every
            }
            for k in due:
                del self._pending[k]
            now_please, self._snap_now = self._snap_now, False
        for label, (image, box) in due.items():
            self._snap_at[label] = now
            jpeg = encode_jpeg(image, box)
            if jpeg is not None:
                self.link.publish(self.topic("snapshot", label), jpeg, retain=True)
                self.link.publish(self.topic("snapshot", "latest"), jpeg, retain=True)
        if now_please and self._latest is not None:
            jpeg = encode_jpeg(self._latest.frame.image, None)
            if jpeg is not None:
                self.link.publish(self.topic("snapshot", "latest"), jpeg, retain=True)

    def _publish_status(self) -> None:
        st = self.session.status()
        stats = st.get("stats") or {}
        mine = self.status()
        out = {
            "state": stats.get("state", st.get("state")),
            "fps": round(float(stats.get("inference_fps") or 0.0), 2),
            "capture_fps": round(float(stats.get("capture_fps") or 0.0), 2),
            "inference_ms": round(float(stats.get("infer_ms") or 0.0), 2),
            "input_size": st.get("input_size"),
            "frames": stats.get("frames", 0),
            "dropped": stats.get("dropped", 0),
            "mqtt_dropped": mine["dropped"],
            "mqtt_queued": mine["queued"],
        }
        self.link.publish(self.topic("status"), json.dumps(out, separators=(",", ":")))

    # --- paho's thread: (re)connected, and controls --------------------------------------------
    def _on_connected(self) -> None:
        self.link.subscribe(self.topic("set", "+"))
        self.link.publish(self.topic("availability"), ONLINE, retain=True)
        self._publish_discovery()
        self._sync_states(force=True)

    def _sync_states(self, force: bool = False) -> None:
        for control, value in self._states().items():
            if force or self._sent_states.get(control) != value:
                self._state(control, value)

    def _state(self, control: str, value: str) -> None:
        with self._states_lock:  # answers (paho's thread) and changes made elsewhere (ours), in order
            self._sent_states[control] = value
            self.link.publish_now(self.topic("state", control), value, retain=True)

    def _publish_discovery(self) -> None:
        st = self.session.status()
        sizes = [r["size"] for r in st.get("ladder", [])]
        cfgs = discovery.configs(self.name, self.base, self.labels, self.zones, sizes)
        for topic, text in discovery.payloads(cfgs):
            self.link.publish(topic, text if self.discovery_on else b"", retain=True)

    def _states(self) -> dict[str, str]:
        """Each control's value, read from the session's attributes (cheap: this runs every second;
        the same values `session.status()` reports)."""
        s = self.session
        pipeline, det, info = s.pipeline, s.detector, s.info
        auto = bool(pipeline.auto) if pipeline is not None else s.input_size == "auto"
        names = info.names if info is not None else ()
        classes = None if s.classes is None else sorted({names[i] for i in s.classes if i < len(names)})
        return {
            "threshold": f"{float(s.threshold):g}",
            "input_size": "auto" if auto else str(int(det.input_size) if det is not None else None),
            "auto": ON if auto else OFF,
            "classes": "all" if classes is None else ",".join(classes),
            "record": ON if "video" in s.outputs else OFF,
            "pause": ON if s.paused else OFF,
            "detect": ON if s.detect else OFF,
        }

    def _on_message(self, topic: str, payload: bytes) -> None:
        control = topic.rsplit("/", 1)[-1]
        value = payload.decode("utf-8", "replace").strip()
        try:
            self._control(control, value)
        except CamappError as exc:
            self._refuse(control, value, str(exc))
        except Exception as exc:  # a bug answers too: the sender must not wait for nothing
            self._refuse(control, value, f"{type(exc).__name__}: {exc}")

    def _refuse(self, control: str, value: str, reason: str) -> None:
        text = json.dumps({"control": control, "value": value, "reason": reason})
        self.link.publish_now(self.topic("error"), text)

    def _answer(self, control: str, future: Any, state: Callable[[], str], asked: str) -> None:
        """`state/<control>` once the session applied it; `error` with its reason if it refused."""

        def done(f: Any) -> None:
            exc = f.exception()
            if exc is not None:
                self._refuse(control, asked, str(exc))
            else:
                self._state(control, state())

        future.add_done_callback(done)

    def _control(self, control: str, value: str) -> None:
        s = self.session
        if control == "threshold":
            try:
                x = float(value)
            except ValueError:
                raise CamappError(f"{value!r} is not a number") from None
            if not 0.0 < x <= 1.0:
                raise CamappError(f"threshold {value} is not in (0, 1]")
            self._answer(control, s.set_threshold(x), lambda: f"{x:g}", value)
        elif control in ("input_size", "auto"):
            sizes = [r["size"] for r in s.status().get("ladder", [])]
            if control == "auto":
                size: int | str = "auto" if _switch(value) else int(s.status()["input_size"])
            elif value == "auto":
                size = "auto"
            else:
                try:
                    size = int(value)
                except ValueError:
                    raise CamappError(f"{value!r} is not a size or auto") from None
                if sizes and size not in sizes:
                    raise CamappError(f"input size {size} is not one of {', '.join(map(str, sizes))}")
            if size == "auto" and len(sizes) < 2:
                raise CamappError("this model has one input size: no auto")
            f = s.set_input_size(size)
            self._answer(
                control,
                f,
                lambda: str(size) if control == "input_size" else ON if size == "auto" else OFF,
                value,
            )
            other = "auto" if control == "input_size" else "input_size"
            f.add_done_callback(lambda f: f.exception() or self._state(other, self._states()[other]))
        elif control == "classes":
            names = (
                None if value.lower() in ("", "all") else [c.strip() for c in value.split(",") if c.strip()]
            )
            self._answer(
                control, s.set_classes(names), lambda: "all" if names is None else ",".join(names), value
            )
        elif control == "record":
            if _switch(value):
                from camapp.session import VideoSpec

                stamp = time.strftime("%Y%m%d-%H%M%S")
                path = self.record_dir / f"{discovery.node_id(self.name)}-{stamp}.mp4"
                self.record_dir.mkdir(parents=True, exist_ok=True)
                self._answer(control, s.start_recording(VideoSpec(str(path))), lambda: ON, value)
            else:
                self._answer(control, s.stop_recording(), lambda: OFF, value)
        elif control == "pause":
            on = _switch(value)
            self._answer(control, s.pause() if on else s.resume(), lambda: ON if on else OFF, value)
        elif control == "detect":  # off: no inference at all, the video and recordings go on
            on = _switch(value)
            self._answer(control, s.set_detect(on), lambda: ON if on else OFF, value)
        elif control == "snapshot":
            with self._lock:
                self._snap_now = True
        else:
            raise CamappError(f"no control {control!r}; the controls are {', '.join(CONTROLS)}")


def encode_jpeg(image: Any, box: Any, quality: int = 80) -> bytes | None:
    """A JPEG of `image` with `box` (xyxy, pixels) drawn, or None if OpenCV cannot encode it."""
    import cv2

    if box is not None:
        image = image.copy()
        x0, y0, x1, y1 = (int(round(v)) for v in box)
        cv2.rectangle(image, (x0, y0), (x1, y1), (0, 200, 0), 2)
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return buf.tobytes() if ok else None
