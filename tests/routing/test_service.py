"""RoutingService on SQLite/PostgreSQL and fakeredis/real Redis: lookups,
presence, round-robin, and the fallback answer when an adapter fails."""

from __future__ import annotations

import asyncio
import time

import pytest

from callcenter.clock import FakeClock
from pbx.agi.server import AgiRequest
from routing.presence import Presence
from routing.service import OWNER_KEY, ROUND_ROBIN_KEY, RoutingService
from storage.cache import create_redis
from storage.models import Client, ClientPhone, Group, Manager
from tests.conftest import free_port

KNOWN = "+79123456789"
UNKNOWN_RAW = "8 (916) 000-11-22"


def request(callerid: str, did: str = "74950000000") -> AgiRequest:
    env = {
        "agi_network_script": "route",
        "agi_channel": "Local/74950000000@from-pstn-00000001;2",
        "agi_uniqueid": "1700000000.1",
        "agi_callerid": callerid,
        "agi_calleridname": "",
        "agi_extension": did,
        "agi_context": "from-pstn",
    }
    return AgiRequest.from_env(env)


async def seed(sessions) -> None:
    async with sessions() as session, session.begin():
        sales = Group(name="sales")
        managers = {ext: Manager(name=f"M{ext}", extension=ext, groups=[sales]) for ext in ("101", "102", "103")}
        session.add(Manager(name="Gone", extension="109", active=False, groups=[sales]))
        session.add_all(managers.values())
        await session.flush()
        session.add(Client(name="ACME", responsible_manager_id=managers["102"].id, phones=[ClientPhone(phone=KNOWN)]))


def service(sessions, redis, **kwargs) -> RoutingService:
    return RoutingService(sessions, redis, FakeClock(), **kwargs)


def targets(variables: dict[str, str]) -> list[str]:
    found = [variables["ROUTE_TARGET"]]
    number = 2
    while f"ROUTE_TARGETS_{number}" in variables:
        found.append(variables[f"ROUTE_TARGETS_{number}"])
        number += 1
    return [t for t in found if t]


async def test_a_known_client_rings_their_manager_first(sessions, redis):
    await seed(sessions)
    variables = await service(sessions, redis).decide(request("89123456789"))
    assert variables["ROUTE_TARGET"] == "102"
    assert variables["ROUTE_TIMEOUT"] == "20"
    assert variables["ROUTE_OWNER"] == "102"
    assert variables["ROUTE_NEW_CALLER"] == "0"
    assert variables["ROUTE_QUEUE"] == "sales"
    assert set(targets(variables)) == {"101", "102", "103"}  # then the owner's group; 109 is inactive
    assert await redis.get(OWNER_KEY.format(phone=KNOWN)) == "102"
    assert 0 < await redis.ttl(OWNER_KEY.format(phone=KNOWN)) <= 60


async def test_the_cached_owner_is_used_without_the_database(sessions, redis):
    await seed(sessions)
    await redis.set(OWNER_KEY.format(phone=KNOWN), "103")
    variables = await service(sessions, redis).decide(request("+7 912 345-67-89"))
    assert variables["ROUTE_TARGET"] == "103"


async def test_a_manager_on_a_call_is_skipped(sessions, redis):
    await seed(sessions)
    await Presence(redis).start_call("102", "busy.1")
    variables = await service(sessions, redis).decide(request("89123456789"))
    assert "102" not in targets(variables)
    assert variables["ROUTE_OWNER"] == "102"
    assert variables["ROUTE_TARGET"] in {"101", "103"}
    assert "102 skipped: on a call" in variables["ROUTE_REASON"]


async def test_an_unknown_caller_follows_the_group_round_robin_across_calls(sessions, redis):
    await seed(sessions)
    routing = service(sessions, redis)
    first = await routing.decide(request(UNKNOWN_RAW))
    assert first["ROUTE_NEW_CALLER"] == "1"
    assert first["ROUTE_OWNER"] == ""
    assert await redis.get(OWNER_KEY.format(phone="+79160001122")) == ""  # unknown number cached too
    assert await redis.hget(ROUND_ROBIN_KEY, "sales") == first["ROUTE_TARGET"]
    second = await service(sessions, redis).decide(request(UNKNOWN_RAW))  # another instance: state is in Redis
    third = await routing.decide(request("anonymous"))
    firsts = [first["ROUTE_TARGET"], second["ROUTE_TARGET"], third["ROUTE_TARGET"]]
    assert sorted(firsts) == ["101", "102", "103"]
    assert await redis.hget(ROUND_ROBIN_KEY, "sales") == third["ROUTE_TARGET"]
    for variables in (first, second, third):
        assert len(targets(variables)) == 3 and variables["ROUTE_QUEUE"] == "sales"


async def test_no_managers_goes_straight_to_the_default_queue(sessions, redis):
    variables = await service(sessions, redis, default_queue="support").decide(request(UNKNOWN_RAW))
    assert variables["ROUTE_TARGET"] == ""
    assert variables["ROUTE_QUEUE"] == "support"
    assert variables["ROUTE_NEW_CALLER"] == "1"


async def test_redis_down_gives_the_fallback_answer_within_the_deadline(sessions):
    await seed(sessions)
    down = create_redis(f"redis://127.0.0.1:{free_port()}/0")
    try:
        started = time.monotonic()
        variables = await service(sessions, down, deadline=0.2).decide(request("89123456789"))
        assert time.monotonic() - started < 0.5
    finally:
        await down.aclose()
    assert variables["ROUTE_TARGET"] == ""
    assert variables["ROUTE_QUEUE"] == "sales"
    assert variables["ROUTE_REASON"] == "routing data unavailable"


class RaisingSessions:
    def __call__(self):
        raise ConnectionRefusedError("database down")


class SlowSessions:
    def __call__(self):
        return self

    async def __aenter__(self):
        await asyncio.sleep(5)

    async def __aexit__(self, *exc):
        return False


@pytest.mark.parametrize("sessions_stub", [RaisingSessions(), SlowSessions()], ids=["raising", "slow"])
async def test_a_failing_database_gives_the_fallback_answer_within_the_deadline(redis, sessions_stub):
    started = time.monotonic()
    variables = await service(sessions_stub, redis, deadline=0.1).decide(request("89123456789"))
    assert time.monotonic() - started < 0.5
    assert variables["ROUTE_TARGET"] == ""
    assert variables["ROUTE_QUEUE"] == "sales"
    assert variables["ROUTE_NEW_CALLER"] == ""
    assert variables["ROUTE_REASON"] == "routing data unavailable"
