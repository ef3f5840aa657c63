"""The sequencer that puts frame-parallel results back in frame order, with real threads."""

import random
import threading
import time

import pytest

from camapp.pipeline.handoff import Sequencer


def test_results_finishing_out_of_order_are_delivered_in_ticket_order():
    delivered: list[int] = []
    seq = Sequencer(delivered.append, window=4)
    take = threading.Lock()
    rng = random.Random(7)
    delays = [rng.uniform(0, 0.004) for _ in range(200)]

    def worker() -> None:
        while True:
            with take:
                if seq.issued >= 200:
                    return
                ticket = seq.ticket()
            assert ticket is not None
            time.sleep(delays[ticket])  # lanes finish in whatever order their work takes
            seq.put(ticket, ticket)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert delivered == list(range(200))


def test_skipped_tickets_deliver_nothing_and_do_not_hold_up_the_rest():
    delivered: list[int] = []
    seq = Sequencer(delivered.append, window=8)
    tickets = [seq.ticket() for _ in range(4)]
    seq.put(tickets[2], "c")
    seq.put(tickets[1], None)  # e.g. the end of input reached by this lane
    assert delivered == []  # ticket 0 is still out
    seq.put(tickets[0], "a")
    seq.put(tickets[3], "d")
    assert delivered == ["a", "c", "d"]


def test_the_window_bounds_tickets_out_until_one_is_delivered():
    seq = Sequencer(lambda _: None, window=2)
    first, _second = seq.ticket(), seq.ticket()
    got: list[int | None] = []
    t = threading.Thread(target=lambda: got.append(seq.ticket()))
    t.start()
    t.join(0.3)
    assert t.is_alive() and got == []  # a third ticket waits: two are out
    seq.put(first, "x")
    t.join(5)
    assert got == [2]


def test_halt_releases_a_lane_waiting_for_a_ticket():
    seq = Sequencer(lambda _: None, window=1)
    seq.ticket()
    got: list[int | None] = []
    t = threading.Thread(target=lambda: got.append(seq.ticket()))
    t.start()
    time.sleep(0.1)
    seq.halt()
    t.join(5)
    assert got == [None]


def test_a_failing_delivery_does_not_block_later_results():
    delivered: list[str] = []

    def emit(item: str) -> None:
        if item == "bad":
            raise RuntimeError("consumer broke")
        delivered.append(item)

    seq = Sequencer(emit, window=4)
    a, b = seq.ticket(), seq.ticket()
    with pytest.raises(RuntimeError):
        seq.put(a, "bad")
    seq.put(b, "good")
    assert delivered == ["good"]
