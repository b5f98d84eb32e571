"""A real HTTP receiver for webhook deliveries, and the webhook services on a fake clock."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest
from aiohttp import web

from callcenter.clock import Clock, FakeClock
from tests.conftest import free_port
from webhooks.delivery import DeliveryPolicy, DeliveryWorker
from webhooks.outbox import Outbox
from webhooks.service import WebhookService
from webhooks.signing import verify_signature

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
SECRET = "s3cret-for-tests"
SLOW = "slow"  # a scripted answer: hold the request past the worker's timeout
POLICY = DeliveryPolicy(timeout_seconds=0.3, max_attempts=3, backoff_base_seconds=10, backoff_max_seconds=15)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signed: bool  # the signature checks out with SECRET at the clock's time

    @property
    def delivery(self) -> int:
        return int(self.headers["X-Callcenter-Delivery"])


class Receiver:
    """Records every request; answers each with the next scripted status (200 when the script is over)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.received: list[Received] = []
        self.script: list[int | str] = []
        self.port = free_port()
        self._runner: web.AppRunner | None = None

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = dict(request.headers)
        timestamp, signature = headers["X-Callcenter-Timestamp"], headers["X-Callcenter-Signature"]
        signed = verify_signature(SECRET, timestamp, body, signature, self.clock.now().timestamp())
        self.received.append(Received(request.path, headers, body, signed))
        answer = self.script.pop(0) if self.script else 200
        if answer == SLOW:
            await asyncio.sleep(5)
            answer = 200
        return web.Response(status=answer, text=f"answer {answer}")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        await self._runner.cleanup()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
async def receiver(clock):
    receiver = Receiver(clock)
    await receiver.start()
    yield receiver
    await receiver.stop()


@pytest.fixture
def service(sessions, clock) -> WebhookService:
    return WebhookService(sessions, clock)


@pytest.fixture
def outbox(sessions, clock) -> Outbox:
    return Outbox(sessions, clock)


@pytest.fixture
def results() -> list[str]:
    """What the workers reported for each attempt."""
    return []


@pytest.fixture
async def make_worker(sessions, clock, results) -> Callable[..., DeliveryWorker]:
    workers: list[DeliveryWorker] = []

    def make(**options) -> DeliveryWorker:
        worker = DeliveryWorker(sessions, POLICY, clock, results.append, rng=random.Random(7), **options)
        workers.append(worker)
        return worker

    yield make
    for worker in workers:
        await worker.stop()


@pytest.fixture
def worker(make_worker) -> DeliveryWorker:
    return make_worker()
