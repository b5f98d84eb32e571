"""Prometheus metrics: one registry per :class:`~callcenter.app.Services`
(several live in one test process), fed from the bus and by the callers of
the ``observe_*`` methods, and served as ``/metrics`` in the text format.

Reading ``/metrics``: with ``metrics_token`` set, anyone presenting
``Authorization: Bearer <token>``; without it, loopback peers only (behind a
reverse proxy on the same host every reader looks local: set a token there).
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from callcenter.bus import (
    CALL_ENDED,
    LEAD_CREATED,
    TASK_CLOSED,
    TASK_CREATED,
    TASK_OVERDUE,
    TASK_UPDATED,
    DomainEvent,
    EventBus,
)
from jobs.queue import QueueStats

TASK_EVENTS = (TASK_CREATED, TASK_UPDATED, TASK_CLOSED, TASK_OVERDUE)
WEBHOOK_RESULTS = ("delivered", "retry", "failed")
# a routing decision takes milliseconds (Redis reads) and is cut off well under a second
ROUTING_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0)
# a call's transcription takes seconds to minutes
TRANSCRIPTION_BUCKETS = (1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0)
# scoring a transcript takes milliseconds, the database round trips included
QA_BUCKETS = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
JOB_OUTCOMES = ("done", "retry", "dead")


class JobMetrics:
    """``<kind>_jobs{outcome}``, ``<kind>_job_seconds`` and ``<kind>_queue_jobs{state}`` for one job queue."""

    def __init__(self, kind: str, buckets: tuple[float, ...], metric: dict) -> None:
        self.jobs = Counter(f"{kind}_jobs", f"{kind} jobs this process's workers finished, by outcome.",
                            ["outcome"], **metric)
        self.seconds = Histogram(f"{kind}_job_seconds", f"Time a worker spent on one {kind} job.", buckets=buckets,
                                 **metric)
        self.queue = Gauge(f"{kind}_queue_jobs", f"{kind} jobs by state: waiting, running, dead (read at scrape).",
                           ["state"], **metric)
        for outcome in JOB_OUTCOMES:
            self.jobs.labels(outcome)

    def observe(self, outcome: str, seconds: float) -> None:
        """A worker's ``on_result``."""
        self.jobs.labels(outcome).inc()
        self.seconds.observe(seconds)

    def set_queue(self, stats: QueueStats) -> None:
        for state in ("waiting", "running", "dead"):
            self.queue.labels(state).set(getattr(stats, state))


class Metrics:
    def __init__(self, ami_connected: Callable[[], bool]) -> None:
        """``ami_connected`` is read at each scrape."""
        self.registry = CollectorRegistry()
        metric = {"namespace": "callcenter", "registry": self.registry}
        self.calls_ended = Counter(
            "calls_ended", "Calls ended, by direction and disposition.", ["direction", "disposition"], **metric
        )
        self.leads_created = Counter("leads_created", "Leads made for new numbers.", **metric)
        self.callback_tasks = Counter(
            "callback_tasks",
            "Callback task changes: created, updated (a further miss), closed, overdue.",
            ["event"],
            **metric,
        )
        self.webhook_deliveries = Counter(
            "webhook_deliveries", "Webhook delivery attempts by result: delivered, retry, failed.", ["result"], **metric
        )
        self.ami_connected = Gauge("ami_connected", "1 while the AMI connection to Asterisk is up.", **metric)
        self.ami_connected.set_function(lambda: float(ami_connected()))
        self.routing_decisions = Counter(
            "routing_decisions", "Routing decisions by result (routed, fallback, ...).", ["result"], **metric
        )
        self.routing_fallbacks = Counter(
            "routing_fallbacks", "Routing decisions answered with the fallback plan, by reason.", ["reason"], **metric
        )
        self.routing_decision_seconds = Histogram(
            "routing_decision_seconds", "Time to answer a route question.", buckets=ROUTING_BUCKETS, **metric
        )
        self.transcription = JobMetrics("transcription", TRANSCRIPTION_BUCKETS, metric)
        self.qa = JobMetrics("qa", QA_BUCKETS, metric)
        for event in TASK_EVENTS:
            self.callback_tasks.labels(_task_change(event))
        for result in WEBHOOK_RESULTS:
            self.webhook_deliveries.labels(result)

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(CALL_ENDED, self._on_call_ended)
        bus.subscribe(LEAD_CREATED, self._on_lead_created)
        for name in TASK_EVENTS:
            bus.subscribe(name, self._on_task_event)

    async def _on_call_ended(self, event: DomainEvent) -> None:
        record = event.payload
        self.calls_ended.labels(str(record.direction), str(record.disposition)).inc()

    async def _on_lead_created(self, _event: DomainEvent) -> None:
        self.leads_created.inc()

    async def _on_task_event(self, event: DomainEvent) -> None:
        self.callback_tasks.labels(_task_change(event.name)).inc()

    def observe_routing(self, result: str, seconds: float, fallback_reason: str | None = None) -> None:
        """Count one routing decision that took ``seconds``; a fallback also counts under its reason."""
        self.routing_decisions.labels(result).inc()
        self.routing_decision_seconds.observe(seconds)
        if fallback_reason is not None:
            self.routing_fallbacks.labels(fallback_reason).inc()

    def observe_webhook_delivery(self, result: str) -> None:
        self.webhook_deliveries.labels(result).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


def _task_change(event: str) -> str:
    return event.removeprefix("task.")


def refusal(token: str, authorization: str | None, peer: str | None) -> int | None:
    """None if this reader may see the metrics, else the HTTP status to refuse
    with: 401 without the configured bearer token, 403 for a peer that is not
    loopback when no token is configured."""
    if token:
        scheme, _, presented = (authorization or "").partition(" ")
        accepted = scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), token.encode())
        return None if accepted else 401
    return None if _is_loopback(peer) else 403


def _is_loopback(peer: str | None) -> bool:
    try:
        address = ipaddress.ip_address(peer or "")
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def metrics_response(request: web.Request, metrics: Metrics, token: str) -> web.Response:
    """``/metrics``: the registry in the Prometheus text format, for those allowed to read it."""
    status = refusal(token, request.headers.get("Authorization"), request.remote)
    if status == 401:
        raise web.HTTPUnauthorized(headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    if status == 403:
        raise web.HTTPForbidden()
    return web.Response(body=metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})
