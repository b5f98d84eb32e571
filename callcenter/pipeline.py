"""AMI events in, domain events out.

The connector hands every event here in arrival order; the tracker folds it
into its calls and whatever it announces is published on the bus before the
next event is taken; a queue member's pause (``pbx.tracker.pauses``) is
published as ``member.paused``. After a (re)connect the live channel list closes calls
that ended while we were away, catches up on the others and adopts the calls
that started meanwhile (or before a takeover); a periodic tick finalises calls
whose CDR never came.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from callcenter.bus import MEMBER_PAUSED, DomainEvent, EventBus
from callcenter.clock import Clock
from pbx.tracker.pauses import member_pause
from pbx.tracker.tracker import CallTracker

log = logging.getLogger(__name__)


class CallPipeline:
    def __init__(self, tracker: CallTracker, bus: EventBus, clock: Clock) -> None:
        self.tracker = tracker
        self._bus = bus
        self._clock = clock

    async def on_event(self, message: Mapping[str, str]) -> None:
        await self._bus.publish_all(self.tracker.handle(message, self._clock.now()))
        if (pause := member_pause(message)) is not None:
            await self._bus.publish(DomainEvent(MEMBER_PAUSED, pause))

    async def on_connected(self, channels: list[Mapping[str, str]]) -> None:
        """Asterisk's live channels (``CoreShowChannel`` rows) after a (re)connect or a takeover."""
        caught_up = self.tracker.resync(channels, self._clock.now())
        if caught_up:
            log.info("resync over %d live channel(s): %d domain event(s)", len(channels), len(caught_up))
        await self._bus.publish_all(caught_up)

    async def expire_forever(self, interval: float = 1.0) -> None:
        while True:
            await asyncio.sleep(interval)
            await self._bus.publish_all(self.tracker.expire(self._clock.now()))
