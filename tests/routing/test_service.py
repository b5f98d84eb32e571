"""RoutingService on SQLite/PostgreSQL and the embedded server and the real Redis: lookups,
presence, round-robin, and the fallback answer when an adapter fails."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import select

from callcenter.bus import MEMBER_PAUSED, ROUTING_CHANGED, DomainEvent, EventBus
from callcenter.clock import FakeClock
from crm.events import client_changed, managers_changed
from pbx.agi.server import AgiRequest
from routing.model import Destination, DestinationKind, RingAttempt, RoutePlan
from routing.owner_index import OWNERS_KEY
from pbx.tracker.pauses import MemberPause
from routing.presence import Presence
from routing.snapshot import ROUND_ROBIN_KEY
from routing.service import (
    FALLBACK_ERROR,
    FALLBACK_TIMEOUT,
    NOBODY_TO_RING,
    OWNER_UNAVAILABLE,
    ROUTED,
    RoutingService,
    fallback_reason,
)
from storage.cache import create_redis
from storage.models import Client, ClientPhone, Group, Lead, Manager, RoutingRule
from tests.conftest import free_port

KNOWN = "+79123456789"
UNKNOWN_RAW = "8 (916) 000-11-22"


def request(callerid: str, did: str = "74950000000", ivr: str | None = None) -> AgiRequest:
    env = {
        "agi_network_script": "route",
        "agi_channel": "Local/74950000000@from-pstn-00000001;2",
        "agi_uniqueid": "1700000000.1",
        "agi_callerid": callerid,
        "agi_calleridname": "",
        "agi_extension": did,
        "agi_context": "from-pstn",
    }
    if ivr is not None:
        env["agi_arg_1"] = ivr
    return AgiRequest.from_env(env)


async def seed(sessions) -> None:
    async with sessions() as session, session.begin():
        sales = Group(name="sales")
        managers = {ext: Manager(name=f"M{ext}", extension=ext, groups=[sales]) for ext in ("101", "102", "103")}
        session.add(Manager(name="Gone", extension="109", active=False, groups=[sales]))
        session.add_all(managers.values())
        await session.flush()
        session.add(Client(name="ACME", responsible_manager_id=managers["102"].id, phones=[ClientPhone(phone=KNOWN)]))


def service(sessions, redis, clock=None, **kwargs) -> RoutingService:
    """A routing service; its deadline is generous unless a test is about the deadline (CI machines are slow)."""
    kwargs.setdefault("deadline", 5.0)
    return RoutingService(sessions, redis, clock or FakeClock(), **kwargs)


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


async def test_with_the_owner_index_built_owners_come_from_redis_alone(sessions, redis):
    await seed(sessions)
    switch = Switchable(sessions)
    routing = service(switch, redis)
    await routing.owners.build()
    await routing.directory()
    switch.down = True
    await redis.hset(OWNERS_KEY, KNOWN, "103")
    assert (await routing.decide(request("+7 912 345-67-89")))["ROUTE_TARGET"] == "103"
    new = await routing.decide(request(UNKNOWN_RAW))
    assert (new["ROUTE_NEW_CALLER"], new["ROUTE_OWNER"]) == ("1", "")


async def test_a_manager_on_a_call_is_skipped(sessions, redis):
    await seed(sessions)
    await Presence(redis).start_call("102", "busy.1", FakeClock().now())
    variables = await service(sessions, redis).decide(request("89123456789"))
    assert "102" not in targets(variables)
    assert variables["ROUTE_OWNER"] == "102"
    assert variables["ROUTE_TARGET"] in {"101", "103"}
    assert "102 skipped: on a call" in variables["ROUTE_REASON"]


async def test_a_manager_paused_in_the_queue_is_skipped_until_unpaused(sessions, redis):
    await seed(sessions)
    bus = EventBus()
    Presence(redis).subscribe(bus)
    await bus.publish(DomainEvent(MEMBER_PAUSED, MemberPause("102", True, "lunch")))
    variables = await service(sessions, redis).decide(request("89123456789"))
    assert "102" not in targets(variables) and "102 skipped: paused" in variables["ROUTE_REASON"]
    await bus.publish(DomainEvent(MEMBER_PAUSED, MemberPause("102", False)))
    assert (await service(sessions, redis).decide(request("89123456789")))["ROUTE_TARGET"] == "102"


async def test_an_unknown_caller_follows_the_group_round_robin_across_calls(sessions, redis):
    await seed(sessions)
    routing = service(sessions, redis)
    first = await routing.decide(request(UNKNOWN_RAW))
    assert first["ROUTE_NEW_CALLER"] == "1"
    assert first["ROUTE_OWNER"] == ""
    assert await redis.hget(ROUND_ROBIN_KEY, "sales") == first["ROUTE_TARGET"]
    other = service(sessions, redis)  # another instance: the state is in Redis
    second = await other.decide(request(UNKNOWN_RAW))
    third = await routing.decide(request("anonymous"))
    firsts = [first["ROUTE_TARGET"], second["ROUTE_TARGET"], third["ROUTE_TARGET"]]
    assert sorted(firsts) == ["101", "102", "103"]
    assert await redis.hget(ROUND_ROBIN_KEY, "sales") == third["ROUTE_TARGET"]
    for variables in (first, second, third):
        assert len(targets(variables)) == 3 and variables["ROUTE_QUEUE"] == "sales"


async def test_new_callers_at_the_same_moment_ring_different_managers_first(sessions, redis):
    """Two instances and one, deciding at once: each caller gets the turn to themselves. The position was
    read when deciding and written after, so simultaneous callers were all sent to the same manager."""
    await seed(sessions)
    instances = [service(sessions, redis), service(sessions, redis)]
    for routing in instances:
        await routing.directory()
    calls = [instances[n % 2].decide(request(f"8916000000{n}")) for n in range(3)]
    firsts = [variables["ROUTE_TARGET"] for variables in await asyncio.gather(*calls)]
    assert sorted(firsts) == ["101", "102", "103"]


async def test_a_known_callers_fallback_to_the_group_leaves_the_turn_where_it_was(sessions, redis):
    """The group's managers ring only if the owner does not answer: the turn moves for callers it rings first."""
    await seed(sessions)
    await redis.hset(ROUND_ROBIN_KEY, "sales", "101")
    routing = service(sessions, redis)
    variables = await routing.decide(request("89123456789"))
    await routing.stop()  # nothing left on its way to Redis
    assert targets(variables) == ["102", "103", "101"]  # the owner, then the group after 101 (102 rung already)
    assert await redis.hget(ROUND_ROBIN_KEY, "sales") == "101"


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


async def add(sessions, *rows) -> None:
    async with sessions() as session, session.begin():
        session.add_all(rows)


async def test_a_did_rule_gives_the_chain_and_the_marketing_source(sessions, redis):
    await seed(sessions)
    await add(
        sessions,
        RoutingRule(did="74951112233", source="Avito", chain={"steps": [{"kind": "extension", "extension": "103",
                                                                         "ring_seconds": 30}], "queue": "avito"}),
        RoutingRule(did="*", source="прочее", chain={"queue": "night"}),
    )
    variables = await service(sessions, redis).decide(request(UNKNOWN_RAW, did="74951112233"))
    assert (variables["ROUTE_TARGET"], variables["ROUTE_TIMEOUT"]) == ("103", "30")
    assert variables["ROUTE_ATTEMPTS"] == "1"
    assert variables["ROUTE_QUEUE"] == "avito"
    assert variables["ROUTE_SOURCE"] == "Avito"
    other = await service(sessions, redis).decide(request(UNKNOWN_RAW, did="74950000009"))
    assert (other["ROUTE_TARGET"], other["ROUTE_QUEUE"], other["ROUTE_SOURCE"]) == ("", "night", "прочее")


async def test_a_known_caller_whose_group_has_no_chain_follows_the_dialled_numbers_rule(sessions, redis):
    """The owner first, then the number's ring times and queue: every group once got a default round-robin
    chain, which always won over the number's rule."""
    await seed(sessions)
    await add(sessions, RoutingRule(did="74951112233", chain={
        "steps": [{"kind": "owner", "ring_seconds": 35}, {"kind": "extension", "extension": "103", "ring_seconds": 12}],
        "queue": "vip"}))
    variables = await service(sessions, redis).decide(request("89123456789", did="74951112233"))
    assert (variables["ROUTE_TARGET"], variables["ROUTE_TIMEOUT"], variables["ROUTE_OWNER"]) == ("102", "35", "102")
    assert targets(variables) == ["102", "103"]
    assert variables["ROUTE_QUEUE"] == "vip"


async def test_the_ivr_choice_picks_its_chain_and_a_bad_one_is_ignored(sessions, redis):
    await seed(sessions)
    await add(sessions, RoutingRule(did="74950000000", chain={"queue": "sales"},
                                    ivr={"2": {"steps": [{"kind": "extension", "extension": "101"}]}}))
    assert (await service(sessions, redis).decide(request(UNKNOWN_RAW, ivr="2")))["ROUTE_TARGET"] == "101"
    for choice in ("7", "2;DROP", ""):
        assert (await service(sessions, redis).decide(request(UNKNOWN_RAW, ivr=choice)))["ROUTE_TARGET"] == ""


async def test_an_open_leads_owner_is_the_callers_owner(sessions, redis):
    await seed(sessions)
    async with sessions() as session:
        owner_id = await session.scalar(select(Manager.id).where(Manager.extension == "103"))
    await add(sessions, Lead(phone="+79160001122", first_linkedid="l.1", owner_id=owner_id))
    variables = await service(sessions, redis).decide(request(UNKNOWN_RAW))
    assert (variables["ROUTE_TARGET"], variables["ROUTE_OWNER"], variables["ROUTE_NEW_CALLER"]) == ("103", "103", "0")


async def test_absent_and_do_not_disturb_managers_are_skipped(sessions, redis):
    await seed(sessions)
    async with sessions() as session, session.begin():
        managers = {m.extension: m for m in await session.scalars(select(Manager))}
        managers["102"].absent = True
        managers["101"].do_not_disturb = True
    variables = await service(sessions, redis).decide(request("89123456789"))
    assert targets(variables) == ["103"]
    assert "102 skipped: absent" in variables["ROUTE_REASON"]
    assert "101 skipped: do not disturb" in variables["ROUTE_REASON"]


async def test_least_recent_rings_who_talked_longest_ago_first(sessions, redis):
    await seed(sessions)
    clock = FakeClock()
    async with sessions() as session, session.begin():
        group = await session.scalar(select(Group).where(Group.name == "sales"))
        group.chain = {"steps": [{"kind": "group", "group": "sales", "strategy": "least_recent"}]}
    presence = Presence(redis)
    await presence.count_answered("101", clock.now())
    await presence.count_answered("103", clock.now().replace(hour=9))
    variables = await service(sessions, redis, clock).decide(request("anonymous"))
    assert targets(variables) == ["102", "103", "101"]  # 102 never talked today


async def test_the_last_directory_serves_while_the_database_is_down(sessions, redis):
    await seed(sessions)
    clock = FakeClock()
    switch = Switchable(sessions)
    routing = service(switch, redis, clock, directory_ttl=5)
    assert (await routing.decide(request("anonymous")))["ROUTE_TARGET"]
    switch.down = True
    clock.advance(60)
    variables = await routing.decide(request("anonymous"))
    assert variables["ROUTE_TARGET"] in {"101", "102", "103"}  # from the directory loaded before
    assert variables["ROUTE_REASON"] != "routing data unavailable"


async def test_a_changed_manager_counts_after_forget_directory(sessions, redis):
    await seed(sessions)
    routing = service(sessions, redis)
    assert "103" in targets(await routing.decide(request("anonymous")))
    async with sessions() as session, session.begin():
        manager = await session.scalar(select(Manager).where(Manager.extension == "103"))
        manager.active = False
    assert "103" in targets(await routing.decide(request("anonymous")))  # still cached
    routing.forget_directory()
    assert "103" not in targets(await routing.decide(request("anonymous")))


async def test_each_decision_is_reported_with_its_outcome(sessions, redis):
    await seed(sessions)
    seen = []
    await service(sessions, redis, on_decision=lambda *args: seen.append(args)).decide(request("anonymous"))
    await service(RaisingSessions(), redis, on_decision=lambda *args: seen.append(args)).decide(request("anonymous"))
    await service(SlowSessions(), redis, deadline=0.05,
                  on_decision=lambda *args: seen.append(args)).decide(request("anonymous"))
    assert [outcome for outcome, _, _ in seen] == [ROUTED, FALLBACK_ERROR, FALLBACK_TIMEOUT]
    assert all(0 <= seconds < 1 for _, seconds, _ in seen)
    assert seen[0][2].attempts and not seen[1][2].attempts


class Switchable:
    """The real sessions until ``down`` is set, then a refusing database."""

    def __init__(self, sessions) -> None:
        self.sessions = sessions
        self.down = False

    def __call__(self):
        if self.down:
            raise ConnectionRefusedError("database down")
        return self.sessions()


def test_a_fallback_is_named_by_why_the_first_choice_was_not_rung():
    owner_first = RoutePlan((RingAttempt(("102",), 20),), Destination(DestinationKind.QUEUE, "sales"), owner="102")
    colleague_first = RoutePlan((RingAttempt(("101",), 20),), Destination(DestinationKind.QUEUE, "sales"), owner="102")
    nobody = RoutePlan((), Destination(DestinationKind.QUEUE, "sales"), owner=None)
    new_caller = RoutePlan((RingAttempt(("101", "103"), 20),), Destination(DestinationKind.QUEUE, "sales"))
    assert fallback_reason(ROUTED, owner_first) is None
    assert fallback_reason(ROUTED, new_caller) is None
    assert fallback_reason(ROUTED, colleague_first) == OWNER_UNAVAILABLE
    assert fallback_reason(ROUTED, nobody) == NOBODY_TO_RING
    assert fallback_reason(FALLBACK_TIMEOUT, nobody) == FALLBACK_TIMEOUT


async def test_changes_of_managers_groups_or_rules_drop_the_directory(sessions, redis):
    await seed(sessions)
    bus = EventBus()
    routing = service(sessions, redis)
    routing.subscribe(bus)
    first_directory = await routing.directory()
    await bus.publish(client_changed(1, {KNOWN}))
    assert await routing.directory() is first_directory
    await bus.publish(DomainEvent(ROUTING_CHANGED, None))
    second_directory = await routing.directory()
    assert second_directory is not first_directory
    await bus.publish(managers_changed({1}, {KNOWN}))
    assert await routing.directory() is not second_directory


async def test_a_stale_directory_is_reloaded_once_in_the_background(sessions, redis):
    await seed(sessions)
    clock = FakeClock()
    counting = Counting(sessions)
    routing = service(counting, redis, clock, directory_ttl=5)
    first = await routing.directory()
    clock.advance(6)
    stale = await asyncio.gather(*(routing.directory() for _ in range(5)))
    assert all(directory is first for directory in stale)  # no call waits for the reload
    await asyncio.sleep(0.2)
    while (current := await routing.directory()) is first:
        await asyncio.sleep(0.05)
    assert current.loaded_at == clock.now()
    assert counting.opened == 2  # the first load and one reload, however many calls asked


async def test_a_load_started_before_forget_directory_is_not_kept(sessions, redis):
    await seed(sessions)
    routing = service(sessions, redis)
    early = routing._reload()
    routing.forget_directory()  # e.g. a manager changed while the load read the old rows
    loaded_early = await early
    assert loaded_early is not None
    assert await routing.directory() is not loaded_early


class Counting:
    """The real sessions, counting how many are opened."""

    def __init__(self, sessions) -> None:
        self.sessions = sessions
        self.opened = 0

    def __call__(self):
        self.opened += 1
        return self.sessions()
