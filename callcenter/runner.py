"""Running the backend: services plus the HTTP server, until cancelled."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from callcenter.app import Services
from callcenter.config import Settings
from server import create_app

log = logging.getLogger(__name__)
BeforeAmi = Callable[[Services], Awaitable[None]]


@contextlib.asynccontextmanager
async def backend(settings: Settings, before_ami: BeforeAmi | None = None) -> AsyncIterator[Services]:
    """Services started (``Services.start``, with ``before_ami``) and the HTTP server listening; all stopped on
    exit."""
    services = await Services.create(settings)
    runner = web.AppRunner(create_app(services))
    await runner.setup()
    try:
        await services.start(before_ami)
        await web.TCPSite(runner, settings.http_host, settings.http_port).start()
        log.info("HTTP on http://%s:%d", settings.http_host, settings.http_port)
        yield services
    finally:
        await runner.cleanup()
        await services.stop()


async def run_backend(settings: Settings) -> None:
    async with backend(settings):
        # what start-up built lives as long as the process: keep it out of every full collection
        # (those stalled the loop for 90-310 ms; docs/bench-routing.md)
        gc.freeze()
        await asyncio.Event().wait()
