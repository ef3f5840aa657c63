import pytest
from notify.receivers import Hanging, Receiver


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def hanging():
    h = Hanging()
    yield h
    h.close()
