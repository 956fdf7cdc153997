"""The collector pause around bulk loads always gives the collector back, and never turns it on."""
from __future__ import annotations

import gc

import pytest

from storage.gc_pause import gc_paused


@pytest.fixture(autouse=True)
def collector_on():
    gc.enable()
    yield
    gc.enable()


def test_nested_pauses_restore_the_collector_when_the_outermost_ends():
    with gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer load is still running
    assert gc.isenabled()


def test_an_error_inside_still_restores_it():
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("load failed")
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_operator_stays_off():
    gc.disable()
    with gc_paused():
        pass
    assert not gc.isenabled()
