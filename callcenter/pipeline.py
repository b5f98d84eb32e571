"""AMI events in, domain events out.

The connector hands every event here in arrival order; the tracker folds it
into its calls and whatever it announces is published on the bus before the
next event is taken; a queue member's pause (``pbx.tracker.pauses``) is
published as ``member.paused``. After a (re)connect the live channel list closes calls
that ended while we were away, catches up on the others and adopts the calls
that started meanwhile (or before a takeover), and the calls that began and ended
while nobody listened are recovered from the PBX's CDR store (``pbx.cdr``, when
one is configured); a periodic tick finalises calls
whose CDR never came. Every ``reconcile`` seconds the channels are listed again
and the calls none of whose channels are left (a lost ``Hangup``) are closed.
After each listing the live calls are published (``calls.listed``): presence
rebuilds who is on a call from them, so an entry left by a crash or a lost
event is gone at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from functools import partial

from callcenter.bus import CALL_ENDED, CALLS_LISTED, MEMBER_PAUSED, DomainEvent, EventBus
from callcenter.clock import Clock
from pbx.cdr.service import CdrRecovery
from pbx.tracker.pauses import member_pause
from pbx.tracker.tracker import CallTracker

log = logging.getLogger(__name__)


class CallPipeline:
    def __init__(self, tracker: CallTracker, bus: EventBus, clock: Clock, recovery: CdrRecovery | None = None) -> None:
        self.tracker = tracker
        self._bus = bus
        self._clock = clock
        self._recovery = recovery

    async def on_event(self, message: Mapping[str, str]) -> None:
        now = self._clock.now()
        await self._bus.publish_all(self.tracker.handle(message, now))
        if self._recovery is not None:
            await self._recovery.seen(now)
        if (pause := member_pause(message)) is not None:
            await self._bus.publish(DomainEvent(MEMBER_PAUSED, pause))

    async def on_connected(self, channels: list[Mapping[str, str]]) -> None:
        """Asterisk's live channels (``CoreShowChannel`` rows) after a (re)connect or a takeover."""
        now = self._clock.now()
        caught_up = self.tracker.resync(channels, now)
        if caught_up:
            log.info("resync over %d live channel(s): %d domain event(s)", len(channels), len(caught_up))
        await self._bus.publish_all(caught_up)
        await self._listed(channels, now, recover=self._recovery is not None)

    async def on_listing(self, channels: list[Mapping[str, str]], asked_at: datetime) -> None:
        """A periodic listing asked for at ``asked_at``, handled after every event that came before its reply;
        a recovery that failed at the connect is tried again."""
        await self._bus.publish_all(self.tracker.close_stale(channels, asked_at))
        await self._listed(channels, asked_at, recover=self._recovery is not None and self._recovery.pending)

    async def _listed(self, channels: list[Mapping[str, str]], now: datetime, *, recover: bool) -> None:
        """Publish the live calls (``calls.listed``), after the calls the CDR store holds that nobody followed
        (``pbx.cdr``) as ended when ``recover``."""
        live = self.tracker.live_calls()
        if recover:
            assert self._recovery is not None
            linkedids = {row.get("Linkedid", "") for row in channels} | {record.linkedid for record in live}
            for record in await self._recovery.recover(linkedids, now):
                await self._bus.publish(DomainEvent(CALL_ENDED, record))
        await self._bus.publish(DomainEvent(CALLS_LISTED, live))

    async def reconcile_forever(
        self,
        list_channels: Callable[[], Awaitable[list[Mapping[str, str]]]],
        in_order: Callable[[str, Callable[[], Awaitable[None]]], None],
        interval: float,
    ) -> None:
        """List the channels every ``interval`` seconds and hand the listing to ``on_listing`` in the event
        order (``in_order``: after the events received so far); a listing that fails waits for the next."""
        while True:
            await asyncio.sleep(interval)
            asked_at = self._clock.now()
            try:
                channels = await list_channels()
            except (ConnectionError, TimeoutError) as error:
                log.info("listing the channels failed (%s); next in %.0f s", error, interval)
                continue
            in_order("reconcile", partial(self.on_listing, channels, asked_at))

    async def expire_forever(self, interval: float = 1.0) -> None:
        while True:
            await asyncio.sleep(interval)
            await self._bus.publish_all(self.tracker.expire(self._clock.now()))
