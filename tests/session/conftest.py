"""The session tests' fixture: a Session, closed after each test."""

from __future__ import annotations

import pytest

from camapp.session import Session


@pytest.fixture()
def session():
    s = Session()
    yield s
    s.close(timeout=30)
