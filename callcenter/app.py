"""Wiring: builds every service from the settings, starts and stops them.

The flow of an inbound call: the AMI connector feeds the call pipeline, the
tracker's domain events go over the bus to call-card storage and presence;
the FastAGI server answers the dialplan's route question.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from callcenter.bus import EventBus
from callcenter.clock import Clock, SystemClock
from callcenter.config import Settings
from callcenter.leadership import Leadership, RedisLease, instance_id
from callcenter.metrics import Metrics
from callcenter.stopping import stop_tasks
from callcenter.pipeline import CallPipeline
from crm.call_cards import CallCardStore
from crm.click_to_call import ClickToCall, DialPlan
from crm.leads import LeadService
from crm.notifications import OwnerNotifier
from crm.tasks import CallbackTaskService
from live.publisher import LivePublisher
from pbx.agi.server import FastAgiServer
from pbx.ami.connector import AmiConnector
from pbx.ami.relay import ActionRelay
from pbx.cdr.service import CdrRecovery, store_reader
from pbx.tracker.tracker import CallTracker, TrackerConfig
from recordings.compression import compress_older
from recordings.retention import INTERVAL_SECONDS as RETENTION_INTERVAL_SECONDS, apply_retention
from recordings.service import PickupPolicy, RecordingService
from recordings.store import LocalStore
from routing.owner_index import OwnerIndex
from routing.presence import Presence
from routing.service import RoutingService, fallback_reason
from storage.cache import create_redis
from storage.db import create_engine, migrate, session_factory
from storage.embedded_redis import EmbeddedRedis
from qa.service import QaService
from qa.worker import qa_service, qa_worker, script_vocabulary
from transcription.service import TranscriptionService
from transcription.worker import transcription_service, transcription_worker
from webhooks.delivery import DeliveryPolicy, DeliveryWorker
from webhooks.outbox import Outbox
from webhooks.service import WebhookService

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
    routing: RoutingService
    connector: AmiConnector
    agi: FastAgiServer
    ami_actions: ActionRelay  # any instance's AMI actions, sent by the leader
    click_to_call: ClickToCall
    metrics: Metrics
    webhooks: WebhookService
    webhook_worker: DeliveryWorker
    recordings: RecordingService
    recording_store: LocalStore
    transcription: TranscriptionService
    qa: QaService
    clock: Clock
    embedded_redis: EmbeddedRedis | None = None  # the server this backend started, when REDIS_URL is empty
    agi_port: int = 0
    leadership: Leadership | None = None
    _tasks: list[asyncio.Task] = field(default_factory=list)  # the AMI leader's
    _workers: list[asyncio.Task] = field(default_factory=list)

    @classmethod
    async def create(cls, settings: Settings, clock: Clock | None = None) -> Services:
        """Build every service and bring the database schema up to date."""
        engine = create_engine(settings.effective_database_url)
        await migrate(engine)
        sessions = session_factory(engine)
        embedded_redis = start_embedded_redis(settings)
        redis = create_redis(embedded_redis.url if embedded_redis else settings.redis_url)
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
        pipeline = CallPipeline(tracker, bus, clock, cdr_recovery(settings, redis, sessions, tracker.config))
        # order matters: the card is stored first, then the lead, then what links to both
        call_cards = CallCardStore(sessions)
        call_cards.subscribe(bus)
        recording_store = LocalStore(settings.effective_recordings_dir)
        recordings = RecordingService(sessions, recording_store, bus, clock, PickupPolicy.from_settings(settings))
        recordings.subscribe(bus)  # only queues the call: the pickup runs in its own task
        qa = qa_service(settings, sessions, redis, clock)
        transcription = transcription_service(settings, sessions, redis, clock, on_done=qa.enqueue,
                                              prompt=script_vocabulary(settings, sessions))
        transcription.subscribe(bus)  # queues a job per recording; workers do the rest
        leads = LeadService(sessions, clock, bus)
        leads.subscribe(bus)
        if settings.notify_owner_when_colleague_answers:
            OwnerNotifier(sessions, bus, clock).subscribe(bus)
        callback_tasks = CallbackTaskService(sessions, settings.callback_sla_minutes, clock, bus)
        callback_tasks.subscribe(bus)
        presence = Presence(redis)
        presence.subscribe(bus)
        LivePublisher.create(sessions, redis, bus, clock, settings.live_channel_prefix).subscribe(bus)
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
            auth=settings.ami_auth,
        )
        metrics = Metrics(connector.connected.is_set)
        metrics.subscribe(bus)
        routing = RoutingService(
            sessions,
            redis,
            clock,
            default_queue=settings.routing_default_queue,
            deadline=min(settings.routing_deadline_seconds, settings.agi_answer_seconds),
            region=settings.phone_region,
            owners=OwnerIndex(sessions, redis, clock, rebuild_seconds=settings.routing_owner_index_rebuild_seconds),
            on_decision=lambda outcome, seconds, plan: metrics.observe_routing(
                outcome, seconds, fallback_reason(outcome, plan)
            ),
        )
        routing.subscribe(bus)
        agi = FastAgiServer(routing.decide, decide_timeout=settings.agi_answer_seconds)
        ami_actions = ActionRelay(redis, connector)
        click_to_call = ClickToCall(
            sessions,
            ami_actions.send_action,
            DialPlan(settings.callback_agent_channel, settings.callback_outbound_context, settings.callback_dial_prefix),
        )
        Outbox(sessions, clock).subscribe(bus)
        policy = DeliveryPolicy.from_settings(settings)
        webhook_worker = DeliveryWorker(sessions, policy, clock, on_result=metrics.observe_webhook_delivery)
        return cls(
            settings=settings, engine=engine, sessions=sessions, redis=redis, bus=bus, pipeline=pipeline,
            call_cards=call_cards, leads=leads, callback_tasks=callback_tasks, presence=presence, routing=routing,
            connector=connector, ami_actions=ami_actions, agi=agi, click_to_call=click_to_call, metrics=metrics,
            webhooks=WebhookService(sessions, clock), webhook_worker=webhook_worker, recordings=recordings,
            recording_store=recording_store, transcription=transcription, qa=qa, clock=clock,
            embedded_redis=embedded_redis,
        )

    @property
    def ami_connected(self) -> bool:
        return self.connector.connected.is_set()

    async def start(self, before_ami: Callable[[Services], Awaitable[None]] | None = None) -> None:
        """Start everything; ``before_ami`` runs once FastAGI listens and before AMI connects (the demo starts
        its simulator there, since it needs the FastAGI port)."""
        await self.start_agi()
        if before_ami is not None:
            await before_ami(self)
        await self.start_ami()
        self.start_transcription_workers()

    def start_transcription_workers(self) -> None:
        """The backend's own transcription and scoring workers (``*_workers_in_backend``), leader or not."""
        for number in range(self.settings.transcription_workers_in_backend):
            worker = transcription_worker(self.transcription, self.metrics.transcription.observe, suffix=number)
            self._workers.append(asyncio.create_task(worker.run_forever(), name=f"transcription-worker-{number}"))
        for number in range(self.settings.qa_workers_in_backend):
            worker = qa_worker(self.qa, self.metrics.qa.observe, suffix=number)
            self._workers.append(asyncio.create_task(worker.run_forever(), name=f"qa-worker-{number}"))

    async def start_agi(self) -> None:
        """Load the routing directory, start keeping the owner index (built in
        the background), then listen for the dialplan's route questions (port 0
        picks a free one: see ``agi_port``)."""
        try:
            await self.routing.directory()
        except Exception:
            log.exception("loading managers and routing rules failed; the first calls may go to the default queue")
        await self.routing.owners.start()
        self.agi_port = await self.agi.start(self.settings.agi_host, self.settings.agi_port)

    @property
    def ami_leader(self) -> bool:
        """This instance holds the AMI lease, so it is the one consuming the AMI stream."""
        return self.leadership is not None and self.leadership.is_leader

    async def start_ami(self) -> None:
        """Contend for the AMI lease with the other instances; consume AMI only while holding it.
        Webhooks are delivered by every instance, leader or not (rows are claimed with SKIP LOCKED)."""
        await self.webhook_worker.start()
        lease = RedisLease(self.redis, self.settings.ami_lease_key, instance_id(), self.settings.ami_lease_seconds)
        self.leadership = Leadership(lease, on_gained=self._lead, on_lost=self._follow)
        await self.leadership.start()

    async def _lead(self) -> None:
        """Connect to Asterisk (retrying in the background); start sending the other instances' AMI actions,
        finalising calls, listing the channels now and then, escalating overdue tasks, picking up recordings,
        compressing the older ones and applying their retention."""
        await self.connector.start()
        self._tasks.append(asyncio.create_task(self.ami_actions.serve(), name="ami-action-relay"))
        self._tasks.append(asyncio.create_task(self.pipeline.expire_forever(), name="tracker-expire"))
        self._tasks.append(asyncio.create_task(self.pipeline.reconcile_forever(
            self.connector.list_channels, self.connector.in_order, self.settings.ami_reconcile_seconds,
        ), name="tracker-reconcile"))
        self._tasks.append(asyncio.create_task(self._escalate_forever(), name="task-escalation"))
        self._tasks.append(asyncio.create_task(self.recordings.run_forever(), name="recording-pickup"))
        if self.settings.recordings_retention_days or self.settings.recordings_compress_after_days:
            self._tasks.append(asyncio.create_task(self._retain_forever(), name="recording-retention"))

    async def _follow(self) -> None:
        """Stop consuming AMI and forget the calls in flight: they are the next leader's, which resyncs."""
        await self._cancel_tasks()
        await self.connector.stop()
        self.pipeline.tracker = CallTracker(self.pipeline.tracker.config)

    async def _cancel_tasks(self) -> None:
        await _cancel(self._tasks)

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

    async def _retain_forever(self) -> None:
        while True:
            try:
                settings, now = self.settings, self.clock.now()
                await compress_older(self.recording_store, self.sessions, now, settings.recordings_compress_after_days)
                await apply_retention(
                    self.recording_store, self.sessions, now, settings.recordings_retention_days,
                    transcripts=settings.recordings_retention_transcripts,
                )
            except Exception:
                log.exception("recording retention failed; next try in %d s", RETENTION_INTERVAL_SECONDS)
            await asyncio.sleep(RETENTION_INTERVAL_SECONDS)

    async def stop(self) -> None:
        """Stop everything; a leader releases the AMI lease, so another instance takes over at once."""
        if self.leadership is not None:
            await self.leadership.stop()
        await self._cancel_tasks()
        await _cancel(self._workers)
        await self.webhook_worker.stop()
        await self.connector.stop()
        await self.agi.stop()
        await self.routing.stop()
        await self.redis.aclose()
        await self.engine.dispose()
        if self.embedded_redis is not None:
            self.embedded_redis.stop()


def start_embedded_redis(settings: Settings) -> EmbeddedRedis | None:
    """The backend's own Redis-compatible server under ``data_dir/redis`` when ``REDIS_URL`` is empty, started."""
    if settings.redis_url:
        return None
    server = EmbeddedRedis(settings.data_dir / "redis", persist=settings.embedded_redis_persist)
    server.start()
    return server


async def _cancel(tasks: list[asyncio.Task]) -> None:
    await stop_tasks(tasks)
    tasks.clear()


def cdr_recovery(
    settings: Settings, redis: Redis, sessions: async_sessionmaker, config: TrackerConfig
) -> CdrRecovery | None:
    """Recovery from the PBX's CDR store, when one is configured."""
    reader = store_reader(settings.cdr_db_url, settings.cdr_csv_path, ZoneInfo(settings.cdr_timezone))
    return None if reader is None else CdrRecovery(redis, sessions, reader, config)
