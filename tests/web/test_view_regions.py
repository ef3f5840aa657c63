"""On a fixed-input device (the AI Camera, the AI HAT+) the page's size slider picks the
inference region: the status hands each rung its zoom, and nothing else gets one."""

from __future__ import annotations

from typing import Any

from camapp.session import Session
from camapp.web.view import SessionView


def status_with(monkeypatch: Any, session: Session, sizes: list[int], zooms: list[float]) -> None:
    real = session.status

    def status() -> dict[str, Any]:
        s = real()
        model = {"model": "net.hef", "device": "hailo", "running_on": "hailo", "plan": "", "fixed_reason": ""}
        s["model"] = {**model, "zooms": zooms}
        s["ladder"] = [{"size": z, "ms": None, "live": False} for z in sizes]
        return s

    monkeypatch.setattr(session, "status", status)


def test_each_rung_of_a_fixed_input_device_carries_its_zoom(monkeypatch, tmp_path) -> None:
    session = Session()
    view = SessionView(session, tmp_path)
    try:
        status_with(monkeypatch, session, [300, 450, 600, 900, 1200], [1, 1.5, 2, 3, 4])
        ladder = view.status()["ladder"]
        assert [(r["size"], r["zoom"]) for r in ladder] == [(300, 1), (450, 1.5), (600, 2), (900, 3), (1200, 4)]
    finally:
        view.close()
        session.close(timeout=5)


def test_a_cpu_ladder_has_no_zoom_and_a_mismatched_list_gives_none(monkeypatch, tmp_path) -> None:
    session = Session()
    view = SessionView(session, tmp_path)
    try:
        status_with(monkeypatch, session, [160, 224, 300], [])
        assert [r["zoom"] for r in view.status()["ladder"]] == [None, None, None]
        status_with(monkeypatch, session, [160, 224, 300], [1, 2])  # not one per rung: sizes, not regions
        assert [r["zoom"] for r in view.status()["ladder"]] == [None, None, None]
    finally:
        view.close()
        session.close(timeout=5)
