"""The browser view's "in view" figure follows the session's object events."""

from __future__ import annotations

from camapp.session import Session
from camapp.web.view import SessionView


def test_objects_in_view_follow_start_update_and_end(tmp_path):
    session = Session()
    view = SessionView(session, tmp_path)
    changed = []
    view.on_change(lambda: changed.append(1))
    try:
        base = {"label": "person", "score": 0.6, "zones": [], "top_score": 0.6}
        session.emit("object", type="start", id=2, track_id=9, **base)
        session.emit("object", type="start", id=1, track_id=None, **{**base, "label": "dog"})
        session.emit(
            "object", type="update", id=2, track_id=9, **{**base, "top_score": 0.8, "zones": ["door"]}
        )
        assert view.objects() == [
            {"id": 1, "label": "dog", "track_id": None, "top_score": 0.6, "zones": []},
            {"id": 2, "label": "person", "track_id": 9, "top_score": 0.8, "zones": ["door"]},
        ]
        session.emit("object", type="end", id=1, track_id=None, **{**base, "label": "dog"})
        assert [o["id"] for o in view.objects()] == [2] and len(changed) == 4  # each one refreshes the page
    finally:
        view.close()
        session.close(timeout=5)
