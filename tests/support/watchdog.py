"""A test that runs too long fails on its own, with the stacks of its asyncio
tasks, and the run goes on to the next test (a plugin of tests/conftest.py).

Every test (its set-up, call and tear-down together) has a deadline: the ini
option ``task_timeout`` (seconds), or a test's ``@pytest.mark.task_timeout(N)``.
Past it, a watchdog thread asks the test's event loop to print the stack of
every task it runs and to cancel them all; the test fails with those stacks in
its report, even if it swallowed the cancellation and went on to pass. A hang
that the cancellation does not end (the stuck await retried, a tear-down that
hangs in turn) is cancelled again every ``RETRY_SECONDS``.

What this cannot end is a loop blocked in synchronous code: then no callback
runs at all. The watchdog prints every thread's stack for those, and
pytest-timeout's ``timeout`` (thread method, longer) stops the run as a last
resort.
"""

from __future__ import annotations

import asyncio
import faulthandler
import io
import sys
import threading
import weakref
from collections.abc import Callable

import pytest

RETRY_SECONDS = 15.0
_loops: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()


def watched(factory: Callable[[], asyncio.AbstractEventLoop]) -> Callable[[], asyncio.AbstractEventLoop]:
    """A loop factory whose loops the watchdog can reach (for ``pytest_asyncio_loop_factories``)."""

    def new_loop() -> asyncio.AbstractEventLoop:
        loop = factory()
        _loops.add(loop)
        return loop

    return new_loop


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("task_timeout", "seconds a test may run before its tasks are cancelled and it fails", default="180")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "task_timeout(seconds): this test's own deadline (tests/support/watchdog.py)")


class Watchdog:
    """Watches one test; ``report`` holds what it found once it fired."""

    def __init__(self, name: str, seconds: float) -> None:
        self.name = name
        self.seconds = seconds
        self.report = ""
        self.reported = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name=f"watchdog {name}", daemon=True)

    def __enter__(self) -> Watchdog:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _watch(self) -> None:
        wait = self.seconds
        while not self._done.wait(wait):
            running = [loop for loop in list(_loops) if loop.is_running()]
            for loop in running:
                loop.call_soon_threadsafe(self._expire, loop)
            if not running:
                self._note("no event loop is running: the stacks of every thread follow\n" + _thread_stacks())
            wait = RETRY_SECONDS

    def _expire(self, loop: asyncio.AbstractEventLoop) -> None:
        """In the loop: note every task's stack, then cancel them all."""
        stacks = io.StringIO()
        tasks = asyncio.all_tasks(loop)
        for task in tasks:
            print(f"--- {task.get_name()}: {task.get_coro()!r}", file=stacks)
            task.print_stack(limit=30, file=stacks)
        self._note(f"{len(tasks)} task(s) cancelled; their stacks:\n{stacks.getvalue()}")
        for task in tasks:
            task.cancel(f"{self.name} ran past its {self.seconds:.0f} s")

    def _note(self, text: str) -> None:
        text = f"{self.name} ran past its {self.seconds:.0f} s: {text}"
        print(text, file=sys.__stderr__, flush=True)  # live, even if the run is stopped before reporting
        self.report += text + "\n"


def _thread_stacks() -> str:
    with io.TemporaryFile("w+") as out:
        faulthandler.dump_traceback(out, all_threads=True)
        out.seek(0)
        return out.read()


_KEY = pytest.StashKey[Watchdog]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    marker = item.get_closest_marker("task_timeout")
    seconds = float(marker.args[0]) if marker else float(item.config.getini("task_timeout"))
    with Watchdog(item.nodeid, seconds) as watchdog:
        item.stash[_KEY] = watchdog
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """The first report after the watchdog fired fails, with what it found."""
    report = yield
    watchdog = item.stash.get(_KEY, None)
    if watchdog is not None and watchdog.report and not watchdog.reported:
        watchdog.reported = True
        report.outcome = "failed"
        report.longrepr = report.longrepr or watchdog.report
        report.sections.append(("watchdog", watchdog.report))
    return report
