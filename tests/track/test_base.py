"""The tracker registry: known kinds, and a one-line hint when the library is missing."""

import sys

import pytest

from camapp.errors import CamappError
from camapp.track import TRACKERS, open_tracker


def test_unknown_kind_names_the_known_ones():
    with pytest.raises(CamappError, match="bytetrack"):
        open_tracker("sort")
    assert "bytetrack" in TRACKERS


def test_missing_library_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.optimize", None)  # as if the extra were not installed
    monkeypatch.delitem(sys.modules, "camapp.track.bytetrack", raising=False)
    with pytest.raises(CamappError, match=r"pip install -e '\.\[track\]'") as exc:
        open_tracker("bytetrack")
    assert exc.value.exit_code == 2 and "\n" not in str(exc.value)
