"""Configuring webhooks and reading the delivery log: what the REST API calls.

Invalid input raises :class:`WebhookError` (a ``ValueError``) with a message
fit for the API's 400 answer.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from callcenter.clock import Clock, SystemClock
from crm.leads import utc
from storage.models import Webhook, WebhookDelivery
from webhooks.events import WEBHOOK_EVENTS
from webhooks.outbox import DELIVERY_STATUSES, PENDING

MAX_URL_LENGTH = 500  # the column's
MAX_SECRET_LENGTH = 200
MAX_PAGE = 500


class WebhookError(ValueError):
    """The webhook or the query is not valid."""


def valid_url(url: str) -> str:
    """``url`` if it is an absolute http(s) URL with a host that fits the column."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError(f"webhook URL must be an absolute http:// or https:// URL, not {url!r}")
    if len(url) > MAX_URL_LENGTH or any(char.isspace() for char in url):
        raise WebhookError("webhook URL is too long or contains whitespace")
    return url


def valid_events(events: Iterable[str]) -> list[str]:
    """The event names, each once, if all are known; empty means every event."""
    events = list(dict.fromkeys(events))
    if unknown := [event for event in events if event not in WEBHOOK_EVENTS]:
        raise WebhookError(f"unknown webhook events {unknown}; known: {list(WEBHOOK_EVENTS)}")
    return events


def valid_secret(secret: str) -> str:
    if not secret or len(secret) > MAX_SECRET_LENGTH:
        raise WebhookError(f"webhook secret must be 1 to {MAX_SECRET_LENGTH} characters")
    return secret


class WebhookService:
    def __init__(self, sessions: async_sessionmaker, clock: Clock | None = None) -> None:
        self._sessions = sessions
        self._clock = clock or SystemClock()

    async def create(
        self, url: str, events: Iterable[str] = (), secret: str | None = None, active: bool = True
    ) -> Webhook:
        """A new webhook; without ``secret`` a random one is made (read it from the result)."""
        webhook = Webhook(
            url=valid_url(url),
            events=valid_events(events),
            secret=valid_secret(secrets.token_hex(32) if secret is None else secret),
            active=active,
        )
        async with self._sessions() as session, session.begin():
            session.add(webhook)
        return webhook

    async def update(
        self,
        webhook_id: int,
        *,
        url: str | None = None,
        events: Iterable[str] | None = None,
        secret: str | None = None,
        active: bool | None = None,
    ) -> Webhook | None:
        """Change what is given; None if there is no such webhook."""
        async with self._sessions() as session, session.begin():
            webhook = await session.get(Webhook, webhook_id)
            if webhook is None:
                return None
            if url is not None:
                webhook.url = valid_url(url)
            if events is not None:
                webhook.events = valid_events(events)
            if secret is not None:
                webhook.secret = valid_secret(secret)
            if active is not None:
                webhook.active = active
        return webhook

    async def get(self, webhook_id: int) -> Webhook | None:
        async with self._sessions() as session:
            return await session.get(Webhook, webhook_id)

    async def webhooks(self) -> list[Webhook]:
        async with self._sessions() as session:
            return list(await session.scalars(select(Webhook).order_by(Webhook.id)))

    async def deliveries(
        self,
        *,
        webhook_id: int | None = None,
        status: str | None = None,
        event: str | None = None,
        before_id: int | None = None,
        limit: int = 50,
    ) -> list[WebhookDelivery]:
        """The delivery log, newest first, filtered; ``before_id`` pages on from a previous page's last id."""
        if status is not None and status not in DELIVERY_STATUSES:
            raise WebhookError(f"unknown delivery status {status!r}; known: {list(DELIVERY_STATUSES)}")
        if not 1 <= limit <= MAX_PAGE:
            raise WebhookError(f"limit must be 1 to {MAX_PAGE}")
        query = select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(limit)
        for column, value in (
            (WebhookDelivery.webhook_id, webhook_id),
            (WebhookDelivery.status, status),
            (WebhookDelivery.event, event),
        ):
            if value is not None:
                query = query.where(column == value)
        if before_id is not None:
            query = query.where(WebhookDelivery.id < before_id)
        async with self._sessions() as session:
            return list(await session.scalars(query))

    async def redeliver(self, delivery_id: int) -> WebhookDelivery | None:
        """Send a delivery again, whatever became of it: pending and due now,
        with a fresh budget of attempts. None if there is no such delivery."""
        async with self._sessions() as session, session.begin():
            delivery = await session.get(WebhookDelivery, delivery_id)
            if delivery is None:
                return None
            delivery.status = PENDING
            delivery.attempts = 0
            delivery.next_attempt_at = utc(self._clock.now())
            delivery.last_error = ""
            delivery.response_status = None
            delivery.delivered_at = None
        return delivery
