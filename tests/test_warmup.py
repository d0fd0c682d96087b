"""The warm-up imports on a spare core, and never imports a package beside its user."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import pytest

from release import warmup


@pytest.fixture(autouse=True)
def fresh_state() -> Iterator[None]:
    with warmup._lock:
        started, claimed = dict(warmup._started), set(warmup._claimed)
        warmup._started.clear()
        warmup._claimed.clear()
    yield
    with warmup._lock:
        warmup._started.clear()
        warmup._started.update(started)
        warmup._claimed.clear()
        warmup._claimed.update(claimed)


def test_settle_waits_for_the_warm_up_of_its_package() -> None:
    entered, release = threading.Event(), threading.Event()
    order: list[str] = []

    def slow_import() -> None:
        entered.set()
        assert release.wait(10)
        order.append("warm-up done")

    thread = warmup.warm([warmup.Task("pkg", (), (slow_import,))])
    assert entered.wait(10)
    waiter = threading.Thread(target=lambda: (warmup.settle("pkg"), order.append("settled")))
    waiter.start()
    waiter.join(0.2)
    assert waiter.is_alive() and order == []  # still waiting: no import beside the warm-up's
    release.set()
    waiter.join(10)
    thread.join(10)
    assert order == ["warm-up done", "settled"]


def test_a_package_claimed_first_is_left_to_its_user() -> None:
    calls: list[str] = []
    warmup.settle("pkg")  # the step got there first: it imports the package itself
    warmup.warm([warmup.Task("pkg", (), (lambda: calls.append("pkg"),))]).join(10)
    assert calls == []


def test_a_failing_task_is_forgotten_and_the_next_runs() -> None:
    calls: list[str] = []
    tasks = [
        warmup.Task("missing", ("no_such_module_anywhere",)),
        warmup.Task("json", ("json",), (lambda: calls.append("json"),)),
    ]
    warmup.warm(tasks).join(10)
    warmup.settle("missing")  # returns: the failed task is done with
    assert calls == ["json"]
    assert "no_such_module_anywhere" not in sys.modules


def test_a_late_task_waits_for_its_signal_and_its_user_may_claim_it_meanwhile() -> None:
    """The checks' and the commit's imports wait for the builds: until then, a step that
    needs one imports it itself (no deadlock, no import beside the warm-up's)."""
    calls: list[str] = []
    go, early = threading.Event(), threading.Event()
    tasks = [
        warmup.Task("early", (), (lambda: calls.append("early"), early.set)),
        warmup.Task("late", (), (lambda: calls.append("late"),), after=go),
        warmup.Task("claimed", (), (lambda: calls.append("claimed"),), after=go),
    ]
    thread = warmup.warm(tasks)
    assert early.wait(10)
    thread.join(0.2)
    assert thread.is_alive() and calls == ["early"]  # the late ones wait for the signal
    warmup.settle("claimed")  # its user got there first: it is not waited for, nor warmed
    go.set()
    thread.join(10)
    assert calls == ["early", "late"]
