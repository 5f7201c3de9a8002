"""services/common/concurrency.py: calls made side by side on green threads."""
from __future__ import annotations

import eventlet
import pytest
from eventlet.event import Event

from services.common.concurrency import side_by_side


def test_the_results_come_back_in_the_calls_order():
    assert side_by_side(lambda: 1, lambda: "two", lambda: None) == [1, "two", None]


def test_the_calls_run_at_once_not_one_after_another():
    """The first call can only finish once the second has run: one after another,
    it would wait forever (here: time out)."""
    second_ran = Event()

    def first():
        with eventlet.Timeout(5):
            return second_ran.wait()

    assert side_by_side(first, lambda: second_ran.send("ran")) == ["ran", None]


def test_an_error_is_raised_after_every_call_finished():
    finished = []

    def fails():
        raise ValueError("the first call failed")

    def slow():
        eventlet.sleep(0.01)
        finished.append("slow")

    with pytest.raises(ValueError, match="the first call failed"):
        side_by_side(fails, slow)
    assert finished == ["slow"]


def test_the_first_error_in_the_calls_order_is_the_one_raised():
    def raises(error):
        def call():
            raise error
        return call

    with pytest.raises(KeyError):
        side_by_side(raises(KeyError("a")), raises(ValueError("b")))
