"""The page's body checks: a number is finite, not a bool, and fits a float."""

import pytest

from camapp.web.checks import BadRequest, is_real, number


@pytest.mark.parametrize("value", [0, 1, 0.5, -3, 1e300, 10**300])
def test_real_numbers(value):
    assert is_real(value)


@pytest.mark.parametrize("value", [True, False, None, "1", float("nan"), float("inf"), 10**400, [1]])
def test_not_real_numbers(value):
    assert not is_real(value)


def test_a_huge_integer_threshold_is_a_bad_request_not_a_crash():
    with pytest.raises(BadRequest, match="'value' must be a number"):
        number({"value": 10**400}, "value", 0, 1)
    assert number({"value": 1}, "value", 0, 1) == 1.0
