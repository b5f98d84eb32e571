"""Stopping background tasks for sure.

A task is stopped by cancelling it, but one cancellation is not always
enough on Python 3.11: ``asyncio.wait_for`` swallows a cancellation that
arrives just as the operation it wraps completes (CPython gh-86296, fixed in
3.12), and redis-py wraps every command it sends in ``wait_for`` while a
socket timeout is set (its default is 5 s). A loop whose cancellation was
swallowed runs on (renewing a lease, polling a list, rebuilding an index) and
whoever awaited its end waits for good: that is how a backend's stop hung,
most often on a loaded machine, where such coincidences are more frequent.

``stop_tasks`` cancels again, every ``RETRY_SECONDS`` (long enough for a task's own
clean-up to finish undisturbed), until each task has ended.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

RETRY_SECONDS = 0.5


async def stop_tasks(tasks: Iterable[asyncio.Task]) -> None:
    """Cancel the tasks and wait until every one has ended, cancelling again those that ran on.
    A task's own exception is not raised here: it has been logged where it happened, or is moot now."""
    tasks = list(tasks)
    pending = {task for task in tasks if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=RETRY_SECONDS)
    for task in tasks:
        if not task.cancelled():
            task.exception()  # retrieved: no "exception was never retrieved" at exit
