"""The production inbound dialplan, docs/asterisk/extensions.conf ``[from-pstn]``, on the simulator.

Every priority emits the ``Newexten`` Asterisk would (application and substituted appdata), and
every ``Set`` its ``VarSet``. After the shared priorities 1-8 (``InboundCall.prologue``; SPLIT_REC's
per-direction MixMonitor at ``splitrec``, 29-30) it reads the FastAGI answer: the attempts
``ROUTE_TARGET``/``ROUTE_TIMEOUT``, ``ROUTE_TARGETS_<n>``/``ROUTE_TIMEOUT_<n>`` in order (each a Dial of
all its managers at once; an empty timeout rings ``DEFAULT_RING_SECONDS``), then ``ROUTE_VOICEMAIL``
if set, else ``Queue(ROUTE_QUEUE or DEFAULT_QUEUE)``. ``AGISTATUS`` other than SUCCESS goes straight to
the default queue. The deployment's ``AGENT_CONTEXT`` (``[agents]``, real phones) is replaced by the
simulator's managers, ``sim-agent``, which answer, stay away or are busy as in the reference dialplan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pbx.simulator.queue_app import CallerHungUp, QueueCall
from pbx.simulator.voicemail import VoiceMailApp

if TYPE_CHECKING:
    from pbx.simulator.call import InboundCall

SPLITREC, ATTEMPT, DIAL, END, QUEUE, VOICEMAIL = 29, 14, 16, 23, 24, 27  # labelled priorities


class ProductionFromPstn:
    def __init__(self, call: InboundCall) -> None:
        self.call, self.var = call, call.var

    async def run(self) -> None:
        call, var = self.call, self.var
        status = await call.prologue(SPLITREC)
        if status is None:
            return
        call.step(9, "NoOp", f"AGISTATUS={status} TARGET={var('ROUTE_TARGET')} OWNER={var('ROUTE_OWNER')} "
                             f"NEW={var('ROUTE_NEW_CALLER')} SOURCE={var('ROUTE_SOURCE')} REASON={var('ROUTE_REASON')}")
        agi_down = status != "SUCCESS"
        call.step(10, "GotoIf", f"{int(agi_down)}?queue")
        try:
            if agi_down:
                await self._queue()
            elif not await self._attempts():
                await self._end()
        except CallerHungUp:
            call.after_abandon()

    def _set(self, priority: int, name: str, value: str) -> None:
        self.call.step(priority, "Set", f"{name}={value}")
        self.call.engine.setvar(self.call.inbound, name, value)

    async def _attempts(self) -> bool:
        """The attempt loop; True once a manager answered (the call has then ended)."""
        call, var = self.call, self.var
        attempt = 1
        self._set(11, "ATTEMPT", str(attempt))
        self._set(12, "TARGETS", var("ROUTE_TARGET"))
        self._set(13, "TIMEOUT", var("ROUTE_TIMEOUT"))
        while targets := var("TARGETS"):
            call.step(ATTEMPT, "GotoIf", "0?end")
            self._set(ATTEMPT + 1, "TIMEOUT", var("TIMEOUT") or var("DEFAULT_RING_SECONDS"))
            if await call.dial(DIAL, targets.split("&"), var("TIMEOUT")):
                return True
            call.step(DIAL + 1, "NoOp", f"attempt {attempt}: DIALSTATUS={var('DIALSTATUS')}")
            call.step(DIAL + 2, "GotoIf", "0?done")
            attempt += 1
            self._set(DIAL + 3, "ATTEMPT", str(attempt))
            self._set(DIAL + 4, "TARGETS", var(f"ROUTE_TARGETS_{attempt}"))
            self._set(DIAL + 5, "TIMEOUT", var(f"ROUTE_TIMEOUT_{attempt}"))
            call.step(DIAL + 6, "Goto", "attempt")
        call.step(ATTEMPT, "GotoIf", "1?end")
        return False

    async def _end(self) -> None:
        """Nobody answered, or nobody to ring: voicemail if the plan says so, else the queue."""
        mailbox = self.var("ROUTE_VOICEMAIL")
        self.call.step(END, "GotoIf", f"{int(mailbox != '')}?voicemail")
        if mailbox:
            await VoiceMailApp(self.call, VOICEMAIL, mailbox).run()
        else:
            await self._queue()

    async def _queue(self) -> None:
        await QueueCall(self.call, QUEUE, self.var("ROUTE_QUEUE") or self.var("DEFAULT_QUEUE")).run()
