"""Which object events become a message: labels, zones, and a cooldown per label.

An object is notified once. Without a zone filter it is notified when it starts; with one, when
it has entered one of those zones (on its start, or on the update that says it entered). The
cooldown is counted in source seconds (a file's position, a camera's seconds since its first
frame), so it means the same with `--no-realtime`: a start exactly `cooldown` seconds after the
label's last message is sent, one a moment earlier is not. Time that jumps back (a new source
whose clock starts again) ends the cooldown.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

COOLDOWN = 30.0  # seconds between two messages about the same label
MAX_COOLDOWN = 86400.0
EPS = 1e-6  # frame times are sums of fractions: "exactly at the cooldown's end" must not miss by a rounding


@dataclass(frozen=True)
class Rules:
    """`labels` and `zones` empty: any. `cooldown` seconds per label, 0 for none."""

    labels: frozenset[str] = frozenset()
    zones: frozenset[str] = frozenset()
    cooldown: float = COOLDOWN

    @classmethod
    def make(cls, labels: Iterable[str] = (), zones: Iterable[str] = (), cooldown: float = COOLDOWN) -> Rules:
        if not 0 <= cooldown <= MAX_COOLDOWN:
            raise ValueError(f"the cooldown must be between 0 and {MAX_COOLDOWN:g} seconds, not {cooldown:g}")
        return cls(frozenset(labels), frozenset(zones), float(cooldown))


@dataclass
class Gate:
    """Feeds on object events (their `to_dict()` form), in order, from one thread."""

    rules: Rules
    counts: Counter[str] = field(default_factory=Counter)  # notified, filtered, cooldown
    _last: dict[str, float] = field(default_factory=dict)  # label -> source time of its last message
    _done: set[int] = field(default_factory=set)  # objects decided (notified or filtered out)

    def check(self, event: Mapping[str, Any]) -> bool:
        """True when this event is the one to send a message about."""
        kind, oid = event["type"], event["id"]
        if kind == "end":
            self._done.discard(oid)  # ids start again with a new source
            return False
        if oid in self._done or (kind != "start" and not self.rules.zones):
            return False
        label, rules = event["label"], self.rules
        if rules.labels and label not in rules.labels:
            self._done.add(oid)
            self.counts["filtered"] += 1
            return False
        if rules.zones and not rules.zones.intersection(event.get("entered", ())):
            return False  # not (yet) in a watched zone: it may still walk in
        self._done.add(oid)
        t, last = float(event["t"]), self._last.get(label)
        if last is not None and 0 <= t - last < rules.cooldown - EPS:
            self.counts["cooldown"] += 1
            return False
        self._last[label] = t
        self.counts["notified"] += 1
        return True
