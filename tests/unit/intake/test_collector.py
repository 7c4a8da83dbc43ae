"""The garbage collector held off while a batch's entries are made, and given back after."""

import gc
import threading

import pytest

from checks.intake.collector import collector_paused


@pytest.fixture
def collector_on():
    was_enabled = gc.isenabled()
    gc.enable()
    yield
    if not was_enabled:
        gc.disable()


def test_the_collector_is_off_in_the_block_and_on_after(collector_on) -> None:
    with collector_paused():
        inside = gc.isenabled()

    assert (inside, gc.isenabled()) == (False, True)


def test_the_collector_comes_back_after_an_exception(collector_on) -> None:
    with pytest.raises(KeyError), collector_paused():
        raise KeyError("x")

    assert gc.isenabled()


def test_the_collector_stays_off_until_the_last_of_overlapping_pauses_ends(collector_on) -> None:
    first_entered, first_may_leave = threading.Event(), threading.Event()

    def first() -> None:
        with collector_paused():
            first_entered.set()
            first_may_leave.wait(timeout=10)

    thread = threading.Thread(target=first)
    thread.start()
    first_entered.wait(timeout=10)
    with collector_paused():
        pass
    after_second = gc.isenabled()
    first_may_leave.set()
    thread.join(timeout=10)

    assert (after_second, gc.isenabled()) == (False, True)


def test_a_collector_that_was_off_stays_off() -> None:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        after = gc.isenabled()
    finally:
        if was_enabled:
            gc.enable()

    assert after is False
