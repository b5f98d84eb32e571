"""Waiting, in end-to-end tests, for what a backend does in the background."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def until(check: Callable[[], Awaitable[T]], timeout: float = 10.0) -> T:
    """Poll ``check`` until it returns something truthy; return that (TimeoutError after ``timeout`` s)."""
    async with asyncio.timeout(timeout):
        while not (found := await check()):
            await asyncio.sleep(0.05)
    return found
