"""The sequencer that puts frame-parallel results back in frame order, with real threads."""

import random
import threading
import time

from camapp.pipeline.handoff import Sequencer


def started(emit, window: int) -> Sequencer:
    seq = Sequencer(emit, window=window)
    seq.start()
    return seq


def test_results_finishing_out_of_order_are_delivered_in_ticket_order_on_its_own_thread():
    delivered: list[tuple[int, str]] = []
    seq = started(lambda t: delivered.append((t, threading.current_thread().name)), window=4)
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
    seq.close(timeout=10)
    assert [t for t, _ in delivered] == list(range(200))
    assert {name for _, name in delivered} == {"camapp-deliver"} and not seq.thread.is_alive()


def test_skipped_tickets_deliver_nothing_and_close_delivers_the_rest():
    delivered: list[str] = []
    seq = started(delivered.append, window=8)
    tickets = [seq.ticket() for _ in range(4)]
    seq.put(tickets[2], "c")
    seq.put(tickets[1], None)  # e.g. the end of input reached by this lane
    time.sleep(0.1)
    assert delivered == []  # ticket 0 is still out
    seq.put(tickets[0], "a")
    seq.put(tickets[3], "d")
    seq.close(timeout=5)
    assert delivered == ["a", "c", "d"] and not seq.thread.is_alive()
    assert seq.ticket() is None


def test_the_window_bounds_tickets_out_until_one_is_delivered():
    release = threading.Event()
    seq = started(lambda _: release.wait(5), window=2)
    first, _second = seq.ticket(), seq.ticket()
    got: list[int | None] = []
    t = threading.Thread(target=lambda: got.append(seq.ticket()))
    t.start()
    t.join(0.3)
    assert t.is_alive() and got == []  # a third ticket waits: two are out
    seq.put(first, "x")
    t.join(5)
    assert got == [2]
    release.set()
    seq.halt()


def test_halt_releases_a_lane_waiting_for_a_ticket_and_ends_the_thread():
    seq = started(lambda _: None, window=1)
    seq.ticket()
    got: list[int | None] = []
    t = threading.Thread(target=lambda: got.append(seq.ticket()))
    t.start()
    time.sleep(0.1)
    seq.halt()
    t.join(5)
    seq.thread.join(5)
    assert got == [None] and not seq.thread.is_alive()


def test_a_failing_delivery_reports_the_error_and_releases_waiting_lanes():
    errors: list[Exception] = []

    def emit(item: str) -> None:
        if item == "bad":
            raise RuntimeError("consumer broke")

    seq = Sequencer(emit, window=1, on_error=errors.append)
    seq.start()
    first = seq.ticket()
    got: list[int | None] = []
    t = threading.Thread(target=lambda: got.append(seq.ticket()))  # a lane waiting for the window
    t.start()
    seq.put(first, "bad")
    t.join(5)
    seq.thread.join(5)
    assert [str(e) for e in errors] == ["consumer broke"] and not seq.thread.is_alive()
    assert got in ([None], [1])  # released either way, never left waiting
    assert seq.ticket() is None
