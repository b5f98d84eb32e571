"""Presence follows the tracker's events, on fakeredis and on the real Redis."""

from datetime import datetime, timezone

from callcenter.bus import CALL_ANSWERED, CALL_ENDED, DomainEvent, EventBus
from pbx.tracker.model import CallLeg, CallRecord, Direction, LegResult
from routing.presence import Presence

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


def record(linkedid: str, answered_by: str | None) -> CallRecord:
    legs = [CallLeg(ext, f"Local/{ext}@sim-agent-0;1", T0, result=LegResult.ANSWERED) for ext in ("103", "101")]
    return CallRecord(linkedid=linkedid, direction=Direction.INBOUND, started_at=T0, legs=legs, answered_by=answered_by)


async def test_manager_is_busy_from_answer_to_end(redis):
    bus = EventBus()
    Presence(redis).subscribe(bus)
    presence = Presence(redis)
    await bus.publish(DomainEvent(CALL_ANSWERED, record("a.1", "101")))
    assert await presence.is_on_call("101")
    assert not await presence.is_on_call("103")
    await bus.publish(DomainEvent(CALL_ENDED, record("a.1", "101")))
    assert not await presence.is_on_call("101")


async def test_two_calls_keep_the_manager_busy_until_both_end(redis):
    presence = Presence(redis)
    await presence.start_call("102", "x.1")
    await presence.start_call("102", "x.2")
    await presence.end_call("102", "x.1")
    assert await presence.calls_of("102") == {"x.2"}


async def test_entries_expire(redis):
    presence = Presence(redis, ttl=60)
    await presence.start_call("104", "y.1")
    assert 0 < await redis.ttl("presence:on_call:104") <= 60


async def test_ending_an_unknown_call_is_harmless(redis):
    presence = Presence(redis)
    await presence.end_call("105", "never.1")
    assert not await presence.is_on_call("105")


async def test_on_call_among_answers_for_many_in_one_go(redis):
    presence = Presence(redis)
    await presence.start_call("101", "z.1")
    await presence.start_call("103", "z.2")
    assert await presence.on_call_among(["101", "102", "103"]) == {"101", "103"}
    assert await presence.on_call_among([]) == set()
