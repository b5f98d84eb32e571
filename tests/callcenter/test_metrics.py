"""Prometheus metrics: the counters the bus feeds, the routing observer, who may
read /metrics, and the counters moving after simulated calls over real AMI."""

import asyncio
from datetime import datetime, timezone

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from prometheus_client.parser import text_string_to_metric_families

from callcenter.bus import CALL_ENDED, LEAD_CREATED, TASK_CLOSED, TASK_CREATED, TASK_OVERDUE, DomainEvent, EventBus
from callcenter.clock import SystemClock
from callcenter.metrics import Metrics, metrics_response, refusal
from callcenter.runner import backend
from pbx.simulator.ami_server import AmiServer
from pbx.simulator.scenario import CallSpec
from pbx.simulator.simulator import Simulator
from pbx.tracker.model import CallRecord, Direction, Disposition
from tests.support.data import CORPUS
from tests.webhooks.conftest import SECRET, Receiver

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


def ended(direction: Direction, disposition: Disposition) -> DomainEvent:
    return DomainEvent(CALL_ENDED, CallRecord("l.1", direction, T0, disposition=disposition))


def value(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


async def test_bus_events_move_the_counters():
    metrics, bus = Metrics(lambda: False), EventBus()
    metrics.subscribe(bus)
    await bus.publish_all([
        ended(Direction.INBOUND, Disposition.ANSWERED),
        ended(Direction.INBOUND, Disposition.ANSWERED),
        ended(Direction.OUTBOUND, Disposition.BUSY),
        DomainEvent(LEAD_CREATED, {"lead_id": 1}),
        DomainEvent(TASK_CREATED, {"task_id": 1}),
        DomainEvent(TASK_OVERDUE, {"task_id": 1}),
        DomainEvent(TASK_CLOSED, {"task_id": 1}),
    ])
    assert value(metrics, "callcenter_calls_ended_total", direction="inbound", disposition="answered") == 2
    assert value(metrics, "callcenter_calls_ended_total", direction="outbound", disposition="busy") == 1
    assert value(metrics, "callcenter_leads_created_total") == 1
    tasks = {event: value(metrics, "callcenter_callback_tasks_total", event=event)
             for event in ("created", "updated", "closed", "overdue")}
    assert tasks == {"created": 1, "updated": 0, "closed": 1, "overdue": 1}


def test_routing_and_webhook_observers():
    metrics = Metrics(lambda: True)
    metrics.observe_routing("routed", 0.003)
    metrics.observe_routing("fallback", 0.4, fallback_reason="timeout")
    metrics.observe_webhook_delivery("retry")
    assert value(metrics, "callcenter_routing_decisions_total", result="routed") == 1
    assert value(metrics, "callcenter_routing_decisions_total", result="fallback") == 1
    assert value(metrics, "callcenter_routing_fallbacks_total", reason="timeout") == 1
    assert value(metrics, "callcenter_routing_decision_seconds_bucket", le="0.002") == 0
    assert value(metrics, "callcenter_routing_decision_seconds_bucket", le="0.005") == 1  # milliseconds resolve
    assert value(metrics, "callcenter_routing_decision_seconds_count") == 2
    assert value(metrics, "callcenter_webhook_deliveries_total", result="retry") == 1
    assert value(metrics, "callcenter_webhook_deliveries_total", result="delivered") == 0
    assert value(metrics, "callcenter_ami_connected") == 1


def test_each_metrics_has_its_own_registry():
    first, second = Metrics(lambda: False), Metrics(lambda: False)
    first.leads_created.inc()
    assert (value(first, "callcenter_leads_created_total"), value(second, "callcenter_leads_created_total")) == (1, 0)


@pytest.mark.parametrize(
    "token, authorization, peer, refused",
    [
        ("", None, "127.0.0.1", None),
        ("", None, "127.0.0.5", None),
        ("", None, "::1", None),
        ("", None, "::ffff:127.0.0.1", None),
        ("", None, "192.0.2.7", 403),
        ("", None, "::ffff:192.0.2.7", 403),
        ("", None, None, 403),
        ("", "Bearer anything", "192.0.2.7", 403),
        ("t0ken", "Bearer t0ken", "192.0.2.7", None),
        ("t0ken", "bearer t0ken", "127.0.0.1", None),
        ("t0ken", None, "127.0.0.1", 401),  # with a token, loopback needs it too
        ("t0ken", "Bearer wrong", "127.0.0.1", 401),
        ("t0ken", "Basic t0ken", "127.0.0.1", 401),
        ("t0ken", "t0ken", "127.0.0.1", 401),
    ],
)
def test_who_may_read_the_metrics(token, authorization, peer, refused):
    assert refusal(token, authorization, peer) == refused


def test_a_remote_peer_without_a_token_is_forbidden():
    request = make_mocked_request("GET", "/metrics").clone(remote="192.0.2.7")
    with pytest.raises(web.HTTPForbidden):
        metrics_response(request, Metrics(lambda: False), "")


async def scrape(http: aiohttp.ClientSession, url: str, token: str | None = None) -> dict[str, float]:
    """/metrics as {sample name with labels: value}."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.get(url, headers=headers) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        text = await response.text()
    return {
        sample.name + "".join(f",{k}={v}" for k, v in sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_metrics_move_after_simulated_calls(settings, tmp_path):
    """Two calls over real AMI: an answered one and an abandoned one; /metrics
    counts them, their leads and task, and the webhook deliveries they made."""
    settings = settings.model_copy(update={"ami_secret": "s3cret"})
    ami = AmiServer(username=settings.ami_username, secret=settings.ami_secret)
    settings = settings.model_copy(update={"ami_port": await ami.start()})
    receiver = Receiver(SystemClock())
    await receiver.start()
    simulator: Simulator | None = None

    async def start_simulator(services) -> None:
        nonlocal simulator
        simulator = Simulator(ami, "127.0.0.1", services.agi_port, tmp_path / "spool", CORPUS, 20.0)

    try:
        async with backend(settings, before_ami=start_simulator) as services, aiohttp.ClientSession() as http:
            url = f"http://{settings.http_host}:{settings.http_port}/metrics"
            await services.webhooks.create(receiver.url(), secret=SECRET)
            calls_ended = asyncio.Event()
            ended_count = 0

            async def count(_event) -> None:
                nonlocal ended_count
                ended_count += 1
                if ended_count == 2:
                    calls_ended.set()

            services.bus.subscribe(CALL_ENDED, count)
            await asyncio.wait_for(services.connector.connected.wait(), 5)
            await simulator.place_call(CallSpec(did="74951234567", caller_number="79160000001", agent_talk_seconds=5))
            await simulator.place_call(CallSpec(did="74951234567", caller_number="79160000002", patience=5,
                                                agent_states={"101": "away", "102": "away", "103": "away"}))
            await asyncio.wait_for(calls_ended.wait(), 15)
            async with asyncio.timeout(10):  # the worker polls once a second
                while value(services.metrics, "callcenter_webhook_deliveries_total", result="delivered") < 5:
                    await asyncio.sleep(0.1)

            samples = await scrape(http, url)
            services.settings = services.settings.model_copy(update={"metrics_token": "t0ken"})
            async with http.get(url) as response:
                assert (response.status, response.headers["WWW-Authenticate"]) == (401, 'Bearer realm="metrics"')
            assert (await scrape(http, url, "t0ken"))["callcenter_ami_connected"] == 1
    finally:
        if simulator is not None:
            await simulator.close()
        await ami.stop()
        await receiver.stop()

    assert samples["callcenter_calls_ended_total,direction=inbound,disposition=answered"] == 1
    assert samples["callcenter_calls_ended_total,direction=inbound,disposition=abandoned"] == 1
    assert samples["callcenter_leads_created_total"] == 2
    assert samples["callcenter_callback_tasks_total,event=created"] == 1
    assert samples["callcenter_webhook_deliveries_total,result=delivered"] == 5
    assert samples["callcenter_ami_connected"] == 1
    events = sorted(request.headers["X-Callcenter-Event"] for request in receiver.received)
    assert events == ["call.ended", "call.ended", "lead.created", "lead.created", "task.created"]
    assert all(request.signed for request in receiver.received)
