"""Simulated time: an epoch clock that runs ``speed`` times faster than the wall clock."""

from __future__ import annotations

import asyncio
import time


class SimClock:
    """``now()`` is a Unix time in simulated seconds; ``sleep()`` takes simulated seconds."""

    def __init__(self, speed: float = 1.0, epoch: float | None = None) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._epoch = time.time() if epoch is None else epoch
        self._origin = time.monotonic()

    def now(self) -> float:
        return self._epoch + (time.monotonic() - self._origin) * self.speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0) / self.speed)

    async def sleep_until(self, moment: float) -> None:
        await self.sleep(moment - self.now())
