"""Presence follows the tracker's events, on the embedded server and on the real Redis."""

from datetime import datetime, timedelta, timezone

from callcenter.bus import CALL_ANSWERED, CALL_ENDED, CALLS_LISTED, MEMBER_PAUSED, DomainEvent, EventBus
from pbx.tracker.model import CallLeg, CallRecord, Direction, LegResult
from pbx.tracker.pauses import MemberPause
from routing.presence import Presence, PresenceView

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


def record(linkedid: str, answered_by: str | None) -> CallRecord:
    legs = [CallLeg(ext, f"Local/{ext}@sim-agent-0;1", T0, result=LegResult.ANSWERED) for ext in ("103", "101")]
    return CallRecord(linkedid=linkedid, direction=Direction.INBOUND, started_at=T0, legs=legs, answered_by=answered_by)


async def on_call(redis, now=T0) -> frozenset[str]:
    return (await Presence(redis).read_view(now)).on_call


async def test_manager_is_busy_from_answer_to_end(redis):
    bus = EventBus()
    Presence(redis).subscribe(bus)
    answered = record("a.1", "101")
    answered.answered_at = T0
    await bus.publish(DomainEvent(CALL_ANSWERED, answered))
    assert await on_call(redis) == {"101"}
    await bus.publish(DomainEvent(CALL_ENDED, answered))
    assert await on_call(redis) == set()


async def test_two_calls_keep_the_manager_busy_until_both_end(redis):
    presence = Presence(redis)
    await presence.start_call("102", "x.1", T0)
    await presence.start_call("102", "x.2", T0)
    await presence.end_call(["102"], "x.1")
    assert await on_call(redis) == {"102"}
    await presence.end_call(["102"], "x.2")
    assert await on_call(redis) == set()


async def test_a_call_older_than_the_ttl_no_longer_counts_and_is_swept(redis):
    presence = Presence(redis, ttl=60)
    await presence.start_call("104", "y.1", T0)
    assert await presence.read_view(T0 + timedelta(seconds=59)) == PresenceView(on_call=frozenset({"104"}))
    assert (await presence.read_view(T0 + timedelta(seconds=61))).on_call == set()
    await presence.start_call("101", "y.2", T0 + timedelta(seconds=61))  # sweeps y.1
    assert await redis.zrange("presence:on_call", 0, -1) == ["101|y.2"]


async def test_ending_an_unknown_call_is_harmless(redis):
    presence = Presence(redis)
    await presence.end_call(["105"], "never.1")
    await presence.end_call([], "never.2")
    assert await on_call(redis) == set()


async def test_the_view_tells_who_is_busy_when_each_last_talked_and_how_often_today(redis):
    bus = EventBus()
    presence = Presence(redis)
    presence.subscribe(bus)
    await presence.start_call("103", "z.2", T0)
    for number, minute in ((1, 5), (2, 30)):
        ended = record(f"z.{number}0", "101")
        ended.ended_at = T0.replace(minute=minute)
        await bus.publish(DomainEvent(CALL_ENDED, ended))
    missed = record("z.99", None)
    missed.ended_at = T0.replace(minute=40)
    await bus.publish(DomainEvent(CALL_ENDED, missed))
    view = await presence.read_view(T0)
    assert view.on_call == {"103"}
    assert view.last_call_ended == {"101": T0.replace(minute=30)}
    assert view.calls_today == {"101": 2}
    assert (await presence.read_view(T0 + timedelta(days=1))).calls_today == {}
    assert 0 < await redis.ttl("presence:answered:2026-11-23") <= 2 * 24 * 3600


async def test_the_view_of_nobody_is_empty(redis):
    assert await Presence(redis).read_view(T0) == PresenceView()


async def test_a_pause_in_the_queue_holds_until_the_member_is_unpaused(redis):
    bus = EventBus()
    Presence(redis).subscribe(bus)
    await bus.publish(DomainEvent(MEMBER_PAUSED, MemberPause("101", True, "обед")))
    await bus.publish(DomainEvent(MEMBER_PAUSED, MemberPause("102", True)))
    await bus.publish(DomainEvent(MEMBER_PAUSED, MemberPause("102", False)))  # e.g. its next QueueMemberStatus
    assert (await Presence(redis).read_view(T0)).paused == {"101"}


async def test_each_listing_rebuilds_who_is_on_a_call_from_the_live_calls(redis):
    """An entry left behind (a crash mid-call, a lost event) is gone at the next listing; a manager on two
    live calls stays on both."""
    bus = EventBus()
    Presence(redis).subscribe(bus)
    await Presence(redis).start_call("101", "gone.1", T0)  # the backend died before this call's end
    talking, second, ringing = record("live.1", "102"), record("live.2", "102"), record("live.3", None)
    talking.answered_at = second.answered_at = T0 + timedelta(seconds=5)
    await bus.publish(DomainEvent(CALLS_LISTED, [talking, second, ringing]))
    assert await on_call(redis) == {"102"}
    assert sorted(await redis.zrange("presence:on_call", 0, -1)) == ["102|live.1", "102|live.2"]
    await bus.publish(DomainEvent(CALLS_LISTED, []))
    assert await on_call(redis) == set()
