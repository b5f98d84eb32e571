"""One script call reads what a decision needs, on the embedded server and on the real
Redis: the same as the presence view and the owner index say."""

from datetime import datetime, timedelta, timezone

from routing.owner_index import OWNERS_KEY, READY_FIELD
from routing.presence import Presence, PresenceView
from routing.snapshot import ROUND_ROBIN_KEY, SnapshotReader

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
CALLER = "+79123456789"


async def busy_day(redis) -> Presence:
    presence = Presence(redis, ttl=3600)
    await presence.count_answered("101", T0 - timedelta(minutes=5))
    await presence.count_answered("101", T0 - timedelta(minutes=2))
    await presence.count_answered("102", T0 - timedelta(minutes=1))
    await presence.start_call("103", "stale.1", T0 - timedelta(hours=2))  # past the ttl: no longer counts
    await presence.start_call("102", "now.1", T0)
    await redis.sadd("presence:paused", "104")
    await redis.hset(ROUND_ROBIN_KEY, mapping={"sales": "102", "regions": "111"})
    await redis.hset(OWNERS_KEY, mapping={CALLER: "101", READY_FIELD: "{}"})
    return presence


async def test_a_snapshot_holds_presence_round_robin_and_owner(redis):
    presence = await busy_day(redis)
    snapshot = await SnapshotReader(redis, presence).read(T0, CALLER)
    assert snapshot.presence == await presence.read_view(T0)
    assert snapshot.presence.on_call == {"102"} and snapshot.presence.paused == {"104"}
    assert snapshot.presence.calls_today == {"101": 2, "102": 1}
    assert snapshot.presence.last_call_ended["102"] == T0 - timedelta(minutes=1)
    assert snapshot.round_robin == {"sales": "102", "regions": "111"}
    assert snapshot.owner == ("101", "{}")


async def test_a_new_caller_and_a_withheld_one(redis):
    presence = await busy_day(redis)
    reader = SnapshotReader(redis, presence)
    assert (await reader.read(T0, "+79990000000")).owner == (None, "{}")  # indexed: nobody owns it
    assert (await reader.read(T0, None)).owner == (None, None)


async def test_without_the_call_history_only_who_is_busy_is_read(redis):
    presence = await busy_day(redis)
    snapshot = await SnapshotReader(redis, presence).read(T0, CALLER, call_history=False)
    assert snapshot.presence == PresenceView(on_call=frozenset({"102"}), paused=frozenset({"104"}))
    assert snapshot.owner == ("101", "{}")


async def test_an_empty_redis_reads_as_nobody_busy_and_no_index(redis):
    snapshot = await SnapshotReader(redis, Presence(redis)).read(T0, CALLER)
    assert snapshot.presence == PresenceView()
    assert snapshot.round_robin == {}
    assert snapshot.owner == (None, None)
