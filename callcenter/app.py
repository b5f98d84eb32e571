"""Wiring: builds every service from the settings, starts and stops them.

The flow of an inbound call: the AMI connector feeds the call pipeline, the
tracker's domain events go over the bus to call-card storage and presence;
the FastAGI server answers the dialplan's route question.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from callcenter.bus import EventBus
from callcenter.clock import Clock, SystemClock
from callcenter.config import Settings
from callcenter.pipeline import CallPipeline
from crm.call_cards import CallCardStore
from crm.leads import LeadService
from crm.tasks import CallbackTaskService
from pbx.agi.server import FastAgiServer
from pbx.ami.connector import AmiConnector
from pbx.tracker.tracker import CallTracker, TrackerConfig
from routing.fixed import fixed_route
from routing.presence import Presence
from storage.cache import create_redis
from storage.db import create_engine, migrate, session_factory

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker
    redis: Redis
    bus: EventBus
    pipeline: CallPipeline
    call_cards: CallCardStore
    leads: LeadService
    callback_tasks: CallbackTaskService
    presence: Presence
    connector: AmiConnector
    agi: FastAgiServer
    agi_port: int = 0
    _tasks: list[asyncio.Task] = field(default_factory=list)

    @classmethod
    async def create(cls, settings: Settings, clock: Clock | None = None) -> Services:
        """Build every service and bring the database schema up to date."""
        engine = create_engine(settings.effective_database_url)
        await migrate(engine)
        sessions = session_factory(engine)
        redis = create_redis(settings.redis_url)
        bus = EventBus()
        tracker = CallTracker(
            TrackerConfig(
                trunk_contexts=frozenset(settings.trunk_contexts),
                agent_contexts=frozenset(settings.agent_contexts),
                region=settings.phone_region,
                cdr_linger_seconds=settings.cdr_linger_seconds,
            )
        )
        clock = clock or SystemClock()
        pipeline = CallPipeline(tracker, bus, clock)
        # order matters: the card is stored first, then the lead, then the task that links to both
        call_cards = CallCardStore(sessions)
        call_cards.subscribe(bus)
        leads = LeadService(sessions, clock)
        leads.subscribe(bus)
        callback_tasks = CallbackTaskService(sessions, settings.callback_sla_minutes, clock)
        callback_tasks.subscribe(bus)
        presence = Presence(redis)
        presence.subscribe(bus)
        connector = AmiConnector(
            settings.ami_host,
            settings.ami_port,
            settings.ami_username,
            settings.ami_secret,
            on_event=pipeline.on_event,
            on_connected=pipeline.on_connected,
            ping_interval=settings.ami_ping_interval,
            ping_timeout=settings.ami_ping_timeout,
            backoff_initial=settings.ami_reconnect_initial,
            backoff_max=settings.ami_reconnect_max,
        )
        agi = FastAgiServer(fixed_route(settings.route_default_target))
        return cls(
            settings, engine, sessions, redis, bus, pipeline, call_cards, leads, callback_tasks, presence, connector, agi
        )

    @property
    def ami_connected(self) -> bool:
        return self.connector.connected.is_set()

    async def start(self) -> None:
        await self.start_agi()
        await self.start_ami()

    async def start_agi(self) -> None:
        """Listen for the dialplan's route questions (port 0 picks a free one: see ``agi_port``)."""
        self.agi_port = await self.agi.start(self.settings.agi_host, self.settings.agi_port)

    async def start_ami(self) -> None:
        """Connect to Asterisk (retrying in the background); start finalising calls and escalating overdue tasks."""
        await self.connector.start()
        self._tasks.append(asyncio.create_task(self.pipeline.expire_forever(), name="tracker-expire"))
        self._tasks.append(asyncio.create_task(self._escalate_forever(), name="task-escalation"))

    async def _escalate_forever(self, interval: float = 60.0) -> None:
        while True:
            try:
                escalated = await self.callback_tasks.escalate_overdue()
            except Exception:
                log.exception("escalating overdue callback tasks failed; next try in %.0f s", interval)
            else:
                if escalated:
                    log.warning("%d callback task(s) overdue, escalated to the head of sales", len(escalated))
            await asyncio.sleep(interval)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self.connector.stop()
        await self.agi.stop()
        await self.redis.aclose()
        await self.engine.dispose()
