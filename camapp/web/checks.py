"""Checks of a control's JSON body: each raises `BadRequest` with the one line the page shows.

Shape and range only; whether a value makes sense (a known class, a valid zone) is the session's
call, and its `CamappError` reaches the page the same way.
"""

from __future__ import annotations

import math
from typing import Any


class BadRequest(Exception):
    """A malformed control body: answered 400 with this one line."""


def known(body: dict[str, Any], fields: tuple[str, ...], what: str) -> None:
    """A body of some of `fields` (`what` names the control in the refusal), and not empty."""
    unknown = sorted(set(body) - set(fields))
    if unknown:
        raise BadRequest(f"unknown {what} field {unknown[0][:40]!r}")
    if not body:
        raise BadRequest("give one or more of " + ", ".join(map(repr, fields)))


def flag(body: dict[str, Any], key: str = "on") -> bool:
    value = body.get(key)
    if not isinstance(value, bool):
        raise BadRequest(f"{key!r} must be true or false")
    return value


def is_real(value: Any) -> bool:
    """A finite JSON number (not a bool); an integer too large for a float is not one."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # a 400-digit integer
        return False


def number(body: dict[str, Any], key: str, low: float, high: float) -> float:
    value = body.get(key)
    if not is_real(value):
        raise BadRequest(f"{key!r} must be a number")
    if not low <= value <= high:
        raise BadRequest(f"{key!r} must be between {low:g} and {high:g}")
    return float(value)


def labels(body: dict[str, Any], key: str) -> list[str] | None:
    value = body.get(key)
    if value is None or value == []:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and 0 < len(v) <= 64 for v in value):
        raise BadRequest(f"{key!r} must be a list of class names")
    if len(value) > 100:
        raise BadRequest(f"{key!r} has too many names")
    return value
