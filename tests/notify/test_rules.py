"""Which object events become a message: labels, zones, the cooldown per label at its boundary."""

from __future__ import annotations

import pytest

from camapp.notify import Gate, Rules


def event(kind: str, oid: int, t: float, label: str = "person", entered: tuple[str, ...] = ()) -> dict:
    return {"type": kind, "id": oid, "label": label, "t": t, "entered": list(entered), "zones": list(entered)}


def test_one_message_per_object_start_and_none_for_its_updates_and_end():
    gate = Gate(Rules.make(cooldown=0))
    assert gate.check(event("start", 1, 0.0))
    assert not gate.check(event("update", 1, 0.5))
    assert not gate.check(event("end", 1, 5.0))
    assert gate.check(event("start", 2, 5.1))
    assert gate.counts["notified"] == 2


def test_a_start_exactly_at_the_cooldowns_end_is_sent_one_just_before_is_not():
    gate = Gate(Rules.make(cooldown=30))
    assert gate.check(event("start", 1, 10.0))
    assert not gate.check(event("start", 2, 39.999))  # just before 10 + 30
    assert gate.check(event("start", 3, 40.0))  # exactly at the end: sent
    assert gate.counts["cooldown"] == 1


def test_the_cooldowns_end_reached_by_summing_frame_steps_is_not_missed_by_a_rounding():
    gate = Gate(Rules.make(cooldown=30))
    assert gate.check(event("start", 1, 41.0))
    t = 40.0
    for _ in range(310):  # 31 s of 10 fps frames: the float sum lands a hair below 71.0
        t += 0.1
    assert t < 71.0
    assert not gate.check(event("start", 2, t - 0.1))
    assert gate.check(event("start", 3, t))


def test_the_cooldown_is_per_label_and_ends_when_time_starts_again():
    gate = Gate(Rules.make(cooldown=30))
    assert gate.check(event("start", 1, 20.0, "person"))
    assert gate.check(event("start", 2, 21.0, "dog"))  # another label: its own cooldown
    assert not gate.check(event("start", 3, 22.0, "person"))
    for oid in (1, 2, 3):  # the source stops: its objects end
        gate.check(event("end", oid, 25.0))
    assert gate.check(event("start", 1, 0.5, "person"))  # a new source: its clock starts at 0 again


def test_label_filter():
    gate = Gate(Rules.make(labels=["person", "dog"], cooldown=0))
    assert not gate.check(event("start", 1, 0.0, "chair"))
    assert gate.check(event("start", 2, 0.0, "dog"))
    assert gate.counts["filtered"] == 1 and gate.counts["notified"] == 1


def test_zone_filter_sends_when_the_object_enters_a_watched_zone_once():
    gate = Gate(Rules.make(zones=["door"], cooldown=0))
    assert not gate.check(event("start", 1, 0.0))  # outside: it may still walk in
    assert not gate.check(event("update", 1, 0.5, entered=("table",)))
    assert gate.check(event("update", 1, 1.0, entered=("table", "door")))
    assert not gate.check(event("update", 1, 2.0, entered=("table", "door", "door")))  # once per object
    assert gate.check(event("start", 2, 3.0, entered=("door",)))  # started inside
    assert not gate.check(event("start", 3, 3.0))
    assert not gate.check(event("end", 3, 9.0))  # left without entering: nothing


@pytest.mark.parametrize("bad", [-1.0, -0.001, 86400.001])
def test_a_cooldown_out_of_range_is_refused(bad):
    with pytest.raises(ValueError, match="between 0 and 86400"):
        Rules.make(cooldown=bad)
    Rules.make(cooldown=0.0)
    Rules.make(cooldown=86400.0)
