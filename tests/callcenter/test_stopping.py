"""Background tasks stop for sure, even when a cancellation is swallowed on the way
(``callcenter.stopping``): what hung the backend's stop on loaded machines."""

from __future__ import annotations

import asyncio
import sys

import pytest

from callcenter.stopping import stop_tasks


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="asyncio.wait_for was rewritten in 3.12")
async def test_wait_for_on_3_11_swallows_a_cancellation_that_meets_the_result():
    """The root of the hangs: redis-py wraps each send in ``wait_for`` (its socket timeout); when the
    send completes in the same loop turn as the cancellation, 3.11 returns the result instead."""
    sent = asyncio.get_running_loop().create_future()

    async def send() -> int:
        return await asyncio.wait_for(sent, timeout=5)

    task = asyncio.create_task(send())
    await asyncio.sleep(0)
    sent.set_result(1)
    task.cancel()
    assert await task == 1  # the cancellation is gone


async def test_a_loop_that_lost_its_cancellation_is_still_stopped():
    rounds = 0

    async def loop_that_swallows_once() -> None:
        nonlocal rounds
        swallowed = False
        while True:
            rounds += 1
            try:
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                if swallowed:
                    raise
                swallowed = True  # as wait_for did: the loop goes on

    naive = asyncio.create_task(loop_that_swallows_once())
    await asyncio.sleep(0.05)
    naive.cancel()
    with pytest.raises(TimeoutError):  # one cancel and a wait: waits for good
        await asyncio.wait_for(asyncio.shield(naive), timeout=0.5)
    assert not naive.done()

    await stop_tasks([naive])
    assert naive.cancelled()


async def test_stopping_finished_and_failed_tasks_raises_nothing():
    async def fail() -> None:
        raise RuntimeError("logged where it happened")

    failed, done = asyncio.create_task(fail()), asyncio.create_task(asyncio.sleep(0))
    await asyncio.sleep(0.01)
    await stop_tasks([failed, done])
    assert failed.done() and done.done()
