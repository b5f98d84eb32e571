"""The delivery worker: claims due delivery rows, POSTs them signed, and
records the outcome (2xx: delivered; otherwise a retry after an exponential
backoff with jitter, until ``max_attempts``, then failed with the last error).

Claiming takes a row out of reach for a lease (``next_attempt_at`` moved past
the POST's timeout) in a short transaction; on PostgreSQL the rows are picked
``FOR UPDATE SKIP LOCKED``, so instances running side by side never claim the
same row, and none holds a lock while it waits for a receiver. A worker that
dies mid-attempt leaves its rows due again once the lease is over. SQLite has
one process, and it serialises the claims.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiohttp
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from callcenter.clock import Clock, SystemClock
from callcenter.config import Settings
from crm.leads import iso, utc
from callcenter.stopping import stop_tasks
from storage.models import Webhook, WebhookDelivery
from webhooks.outbox import DELIVERED, FAILED, PENDING
from webhooks.signing import sign

log = logging.getLogger(__name__)

RETRY = "retry"  # an attempt's result besides DELIVERED and FAILED
LEASE_MARGIN_SECONDS = 30.0
ERROR_BODY_BYTES = 200


@dataclass(frozen=True)
class DeliveryPolicy:
    timeout_seconds: float = 10.0
    max_attempts: int = 8
    backoff_base_seconds: float = 30.0
    backoff_max_seconds: float = 3600.0

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryPolicy:
        return cls(
            settings.webhook_timeout_seconds,
            settings.webhook_max_attempts,
            settings.webhook_backoff_base_seconds,
            settings.webhook_backoff_max_seconds,
        )

    def retry_delay(self, attempts: int, rng: random.Random) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt: the base
        doubled per attempt up to the max, then jittered to 50-100 % of that."""
        delay = min(self.backoff_max_seconds, self.backoff_base_seconds * 2.0 ** min(attempts - 1, 62))
        return delay * (0.5 + rng.random() / 2)

    @property
    def lease_seconds(self) -> float:
        """How long a claimed row stays out of other workers' reach: past the POST's timeout."""
        return self.timeout_seconds + LEASE_MARGIN_SECONDS


@dataclass(frozen=True)
class Claim:
    """A delivery taken for one attempt, with what sending it needs."""

    id: int
    attempts: int  # including this attempt
    event: str
    event_id: str
    payload: dict
    created_at: datetime
    url: str
    secret: str

    def body(self) -> bytes:
        envelope = {
            "event": self.event,
            "event_id": self.event_id,
            "created_at": iso(self.created_at),
            "data": self.payload,
        }
        return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Attempt:
    """What one POST came to: the response status, if any, and the error, if any."""

    status: int | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class DeliveryWorker:
    def __init__(
        self,
        sessions: async_sessionmaker,
        policy: DeliveryPolicy,
        clock: Clock | None = None,
        on_result: Callable[[str], None] | None = None,
        *,
        batch_size: int = 20,
        poll_seconds: float = 1.0,
        rng: random.Random | None = None,
    ) -> None:
        """``on_result`` hears each recorded attempt's result: delivered, retry or failed."""
        self._sessions = sessions
        self._policy = policy
        self._clock = clock or SystemClock()
        self._on_result = on_result or (lambda _result: None)
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._rng = rng or random.Random()
        self._http: aiohttp.ClientSession | None = None
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        """Deliver in the background until :meth:`stop`."""
        self._task = asyncio.create_task(self._run(), name="webhook-delivery")

    async def stop(self) -> None:
        if self._task is not None:
            await stop_tasks([self._task])
            self._task = None
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def _run(self) -> None:
        while True:
            try:
                claimed = await self.run_once()
            except Exception:
                log.exception("webhook delivery failed; next try in %.0f s", self._poll_seconds)
                claimed = 0
            if claimed < self._batch_size:
                await asyncio.sleep(self._poll_seconds)

    async def run_once(self) -> int:
        """Claim the due deliveries (up to a batch), attempt them all at once,
        record each outcome; return how many were attempted."""
        claims = await self._claim()
        await asyncio.gather(*(self._attempt(claim) for claim in claims))
        return len(claims)

    async def _claim(self) -> list[Claim]:
        now = utc(self._clock.now())
        async with self._sessions() as session, session.begin():
            due = await session.scalars(
                select(WebhookDelivery.id)
                .where(
                    WebhookDelivery.status == PENDING,
                    WebhookDelivery.next_attempt_at <= now,
                    WebhookDelivery.webhook_id.in_(select(Webhook.id).where(Webhook.active.is_(True))),
                )
                .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
                .limit(self._batch_size)
                .with_for_update(skip_locked=True)
            )
            ids = list(due)
            if not ids:
                return []
            claimed = await session.execute(
                update(WebhookDelivery)
                # still due: without row locks (SQLite), a row another worker claimed meanwhile is left alone
                .where(
                    WebhookDelivery.id.in_(ids),
                    WebhookDelivery.status == PENDING,
                    WebhookDelivery.next_attempt_at <= now,
                )
                .values(
                    attempts=WebhookDelivery.attempts + 1,
                    next_attempt_at=now + timedelta(seconds=self._policy.lease_seconds),
                )
                .returning(
                    WebhookDelivery.id,
                    WebhookDelivery.attempts,
                    WebhookDelivery.event,
                    WebhookDelivery.event_id,
                    WebhookDelivery.payload,
                    WebhookDelivery.created_at,
                    WebhookDelivery.webhook_id,
                )
            )
            rows = claimed.all()
            hooks = await session.execute(
                select(Webhook.id, Webhook.url, Webhook.secret).where(Webhook.id.in_({row.webhook_id for row in rows}))
            )
            targets = {hook_id: (url, secret) for hook_id, url, secret in hooks}
        return [
            Claim(row.id, row.attempts, row.event, row.event_id, row.payload, row.created_at, *targets[row.webhook_id])
            for row in rows
        ]

    async def _attempt(self, claim: Claim) -> None:
        body = claim.body()
        timestamp = str(int(self._clock.now().timestamp()))
        headers = {
            "Content-Type": "application/json",
            "X-Callcenter-Event": claim.event,
            "X-Callcenter-Delivery": str(claim.id),
            "X-Callcenter-Timestamp": timestamp,
            "X-Callcenter-Signature": sign(claim.secret, timestamp, body),
        }
        await self._record(claim, await self._post(claim.url, body, headers))

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> Attempt:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._policy.timeout_seconds))
        try:
            async with self._http.post(url, data=body, headers=headers, allow_redirects=False) as response:
                if 200 <= response.status < 300:
                    return Attempt(response.status)
                text = (await response.content.read(ERROR_BODY_BYTES)).decode(errors="replace")
                return Attempt(response.status, f"HTTP {response.status} {text}".strip())
        except TimeoutError:
            return Attempt(None, f"timed out after {self._policy.timeout_seconds:g} s")
        except aiohttp.ClientError as error:
            return Attempt(None, f"{type(error).__name__}: {error}")

    async def _record(self, claim: Claim, attempt: Attempt) -> None:
        """Store the outcome, unless the row changed hands meanwhile (a redelivery, an expired lease)."""
        now = utc(self._clock.now())
        values: dict = {"response_status": attempt.status, "last_error": attempt.error[:500]}
        if attempt.ok:
            result = DELIVERED
            values.update(status=DELIVERED, delivered_at=now, next_attempt_at=None)
        elif claim.attempts >= self._policy.max_attempts:
            result = FAILED
            values.update(status=FAILED, next_attempt_at=None)
        else:
            result = RETRY
            delay = self._policy.retry_delay(claim.attempts, self._rng)
            values.update(next_attempt_at=now + timedelta(seconds=delay))
        async with self._sessions() as session, session.begin():
            recorded = await session.execute(
                update(WebhookDelivery)
                .where(
                    WebhookDelivery.id == claim.id,
                    WebhookDelivery.status == PENDING,
                    WebhookDelivery.attempts == claim.attempts,
                )
                .values(**values)
                .returning(WebhookDelivery.id)
            )
            if recorded.scalar() is None:
                return
        if result != DELIVERED:
            log.warning(
                "webhook delivery %d (%s), attempt %d: %s", claim.id, claim.event_id, claim.attempts, attempt.error
            )
        self._on_result(result)
