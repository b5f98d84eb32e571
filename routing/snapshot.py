"""Everything one routing decision reads from Redis, in one round trip.

A decision needs the round-robin positions, the presence view
(``routing.presence``; its call history only when a chain's strategy ranks by
it) and the caller's owner with the index's marker (``routing.owner_index``). One Lua script reads them all: the same six reads
as a redis-py pipeline cost about 1.8x as much in this process (each queued
command is packed, and its reply dispatched, in Python;
``docs/bench-routing.md``). The script only reads, so it is safe on a replica
and under any instance.

A decision that moves a round robin then claims the turn with ``advance``, a
second script: it stores the new positions only if every group's position is
still the one read, so of two decisions made at once (in one process or in
two) one claims the turn and the other decides again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from redis.asyncio import Redis

from routing.owner_index import OWNERS_KEY, READY_FIELD
from routing.presence import Presence, PresenceView

ROUND_ROBIN_KEY = "routing:round_robin"

# KEYS: round robin, on call, paused, last ended, answered today, owners; ARGV: the
# first on-call score that counts, the caller ('' for none), the marker field, '1' for the call history
READ = """
local result = {redis.call('hgetall', KEYS[1]), redis.call('zrangebyscore', KEYS[2], ARGV[1], '+inf'),
                redis.call('smembers', KEYS[3]), {}, {}}
if ARGV[4] == '1' then
    result[4] = redis.call('hgetall', KEYS[4])
    result[5] = redis.call('hgetall', KEYS[5])
end
if ARGV[2] ~= '' then
    result[6] = redis.call('hmget', KEYS[6], ARGV[2], ARGV[3])
end
return result
"""


# KEYS: round robin; ARGV: group, position read ('' for none), new position, group, ...
ADVANCE = """
for i = 1, #ARGV, 3 do
    if (redis.call('hget', KEYS[1], ARGV[i]) or '') ~= ARGV[i + 1] then
        return 0
    end
end
for i = 1, #ARGV, 3 do
    redis.call('hset', KEYS[1], ARGV[i], ARGV[i + 2])
end
return 1
"""


@dataclass(frozen=True)
class Snapshot:
    """What Redis said for one decision."""

    round_robin: dict[str, str]  # group → the extension its round robin rang last
    presence: PresenceView
    owner: tuple[str | None, str | None]  # the caller's owner and the index's marker (both None without a caller)


class SnapshotReader:
    """Reads a ``Snapshot`` with one script call."""

    def __init__(self, redis: Redis, presence: Presence) -> None:
        self._presence = presence
        self._read = redis.register_script(READ)
        self._advance = redis.register_script(ADVANCE)

    async def read(self, now: datetime, caller: str | None, *, call_history: bool = True) -> Snapshot:
        """``call_history``: read when each manager's last call ended and their
        calls today (60 fields for 30 managers), which only some strategies use."""
        keys = [ROUND_ROBIN_KEY, *self._presence.view_keys(now), OWNERS_KEY]
        args = [self._presence.on_call_since(now), caller or "", READY_FIELD, "1" if call_history else ""]
        round_robin, on_call, paused, last_ended, answered, *owner = await self._read(keys=keys, args=args)
        return Snapshot(
            round_robin=_pairs(round_robin),
            presence=Presence.view(on_call, paused, _pairs(last_ended), _pairs(answered)),
            owner=tuple(owner[0]) if owner else (None, None),
        )


    async def advance(self, read: Mapping[str, str], moved: Mapping[str, str]) -> bool:
        """Store the ``moved`` round-robin positions if none has changed since it was ``read``; whether it did."""
        args = [value for group, position in moved.items() for value in (group, read.get(group, ""), position)]
        return bool(await self._advance(keys=[ROUND_ROBIN_KEY], args=args))


def _pairs(flat: Sequence[str]) -> dict[str, str]:
    """A hash as Lua returns it (field, value, field, value...) as a dict."""
    fields = iter(flat)
    return dict(zip(fields, fields))
