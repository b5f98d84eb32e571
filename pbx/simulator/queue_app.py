"""``Queue(<name>,r,,,40)``: ringall rounds, connect, timeout, as app_queue emits them.

The simulator has one queue, ``sales`` (queues.conf). Like app_queue, ``Queue()`` of a queue that is
not configured joins nothing and emits no queue events: it sets ``QUEUESTATUS=UNKNOWN`` and returns,
and the dialplan goes on (to its ``NoOp`` and ``Hangup``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pbx.simulator.agent import AgentLeg, Outcome
from pbx.simulator.channel import UP
from pbx.simulator.events import AGENT, CdrRecord, device_state, dial_event, event
from pbx.simulator.queue import INUSE, NOT_INUSE

if TYPE_CHECKING:
    from pbx.simulator.call import InboundCall

QUEUE_TIMEOUT = 40.0

class CallerHungUp(Exception):
    """The caller gave up (Originate timeout) before anybody answered."""


class QueueCall:
    """The inbound channel's stay in a queue: ``Queue`` at ``priority``, then ``NoOp`` and ``Hangup``."""

    def __init__(self, call: InboundCall, priority: int, name: str) -> None:
        self.call = call
        self.engine = call.engine
        self.queue = call.engine.queue
        self.chan = call.inbound
        self.priority, self.name = priority, name
        self.data = f"{name},r,,,{int(QUEUE_TIMEOUT)}"
        self.joined = 0.0

    def _queue_event(self, name: str, extra: dict[str, str]) -> None:
        self.engine.emit(event(name, AGENT, self.chan.snapshot(), {"Queue": self.queue.name, **extra}))

    def _leg_event(self, name: str, leg: AgentLeg, extra: dict[str, str]) -> None:
        member = {"Queue": self.queue.name, "Interface": leg.device, "MemberName": self.queue.member_name(leg.agent_id)}
        self.engine.emit(dial_event(name, self.chan, leg.one, {**member, **extra}))

    def _waited(self) -> tuple[str, str]:
        seconds = self.engine.clock.now() - self.joined
        return str(int(seconds)), str(int(seconds * 1000))

    async def run(self) -> None:
        engine, chan, call = self.engine, self.chan, self.call
        call.step(self.priority, "Queue", self.data)
        if self.name != self.queue.name:
            return self._give_up("UNKNOWN")
        engine.setvars(chan, [(name, "") for name in ("ANSWEREDTIME", "ANSWEREDTIME_MS", "DIALEDTIME",
                                                      "DIALEDTIME_MS", "QUEUEWAIT", "QUEUEWAIT_MS")])
        engine.emit(device_state(f"Queue:{self.queue.name}", "RINGING"))
        self.queue.waiting.append(chan.name)
        self.joined = engine.clock.now()
        call.dial_started = call.dial_started or self.joined
        self._queue_event("QueueCallerJoin", {"Position": "1", "Count": str(len(self.queue.waiting))})
        engine.emit(dial_event("DialState", None, call.customer, {"DialStatus": "RINGING"}))
        deadline = self.joined + QUEUE_TIMEOUT
        try:
            while True:
                if await self._ring_round(deadline):
                    return
                if engine.clock.now() >= deadline:
                    break
                await call.await_outcome([], min(engine.clock.now() + self.queue.retry, deadline))
                if engine.clock.now() >= deadline:
                    break
        except CallerHungUp:
            self._leave()
            raise
        self._leave()
        self._give_up("TIMEOUT")

    def _give_up(self, status: str) -> None:
        """Queue returned without a connection: ``NoOp(QUEUESTATUS=...)``, ``Hangup()``."""
        engine, chan, call = self.engine, self.chan, self.call
        engine.setvar(chan, "QUEUESTATUS", status)
        call.step(self.priority + 1, "NoOp", f"QUEUESTATUS={status}")
        call.step(self.priority + 2, "Hangup")
        call.cdrs.append(CdrRecord(chan, call.request.did, "from-pstn", chan.caller, engine.clock.now(),
                                   last_app="Hangup", disposition="FAILED"))
        call.hang_up_inbound()
        engine.emit(device_state(call.customer.device, "NOT_INUSE"))

    async def _ring_round(self, deadline: float) -> bool:
        """Ring every member at once; True once one answered and the call is over."""
        engine, chan = self.engine, self.chan
        legs = []
        for member in self.queue.ringable():
            leg = AgentLeg.for_queue(engine, member.agent_id, chan)
            self._leg_event("AgentCalled", leg, {})
            engine.emit(dial_event("DialBegin", chan, leg.one, {"DialString": f"Local/{member.agent_id}@sim-agent"}))
            legs.append(leg)
        for leg in legs:
            leg.run_prelude()
            if leg.state != "busy":
                self.engine.member_status(leg.agent_id, INUSE)
                engine.emit(device_state(leg.device, "INUSE"))
        engine.emit(device_state(f"Queue:{self.queue.name}_avail", self.queue.availability()))
        started = engine.clock.now()
        ringing = [leg for leg in legs if leg.state != "busy"]
        for leg in reversed(ringing):
            engine.emit(dial_event("DialState", chan, leg.one, {"DialStatus": "RINGING"}))
        for leg in legs:
            if leg.state == "busy":
                self._reject_busy(leg, started)
        outcome = await self.call.await_outcome(ringing, min(started + self.queue.member_timeout, deadline))
        if outcome is not None and outcome[1] is Outcome.ANSWER:
            await self._connect(outcome[0], [leg for leg in ringing if leg is not outcome[0]], started)
            return True
        self._no_answer(ringing, started)
        return False

    def _reject_busy(self, leg: AgentLeg, started: float) -> None:
        """A busy member (not captured): BUSY ends its leg at once; the round goes on without it."""
        self.engine.emit(dial_event("DialEnd", self.chan, leg.one, {"DialStatus": "BUSY"}))
        self._leg_event("AgentRingNoAnswer", leg, {"RingTime": "0"})
        leg.drop_one(17)
        leg.finish_two(17)
        self.engine.post_cdr(leg.cdr("BUSY"))
        self._add_cdr(leg, started, "BUSY")

    def _no_answer(self, ringing: list[AgentLeg], started: float) -> None:
        engine = self.engine
        ring_ms = str(int((engine.clock.now() - started) * 1000))
        for leg in ringing:
            self._leg_event("AgentRingNoAnswer", leg, {"RingTime": ring_ms})
        for leg in ringing:
            engine.emit(dial_event("DialEnd", self.chan, leg.one, {"DialStatus": "NOANSWER"}))
        for leg in ringing:
            engine.emit(dial_event("DialEnd", self.chan, leg.one, {"DialStatus": "CANCEL"}))
            leg.drop_one(0)
            engine.post_cdr(leg.cdr("FAILED"))
            leg.finish_two(0)
            self._add_cdr(leg, started, "NO ANSWER")
        for leg in ringing:
            engine.emit(device_state(leg.device, "NOT_INUSE"))
            self.engine.member_status(leg.agent_id, NOT_INUSE)
        engine.emit(device_state(f"Queue:{self.queue.name}_avail", self.queue.availability()))

    def _add_cdr(self, leg: AgentLeg, started: float, disposition: str) -> CdrRecord:
        chan = self.chan
        record = CdrRecord(chan, self.call.request.did, "from-pstn", chan.caller, started, leg.one.name,
                           "Queue", self.data, end=self.engine.clock.now(), disposition=disposition)
        self.call.cdrs.append(record)
        return record

    async def _connect(self, leg: AgentLeg, others: list[AgentLeg], started: float) -> None:
        engine, chan, queue, call = self.engine, self.chan, self.queue, self.call
        leg.answer()
        engine.emit(dial_event("DialEnd", chan, leg.one, {"DialStatus": "ANSWER"}))
        for other in others:
            engine.emit(dial_event("DialEnd", chan, other.one, {"DialStatus": "CANCEL"}))
        for other in others:
            engine.emit(dial_event("DialEnd", chan, other.one, {"DialStatus": "CANCEL"}))
            other.drop_one(26)
        member = queue.member(leg.agent_id)
        member_vars = [("MEMBERINTERFACE", leg.device), ("MEMBERNAME", queue.member_name(leg.agent_id)),
                       ("MEMBERCALLS", str(member.calls_taken if member else 0)),
                       ("MEMBERLASTCALL", str(member.last_call if member else 0)),
                       ("MEMBERPENALTY", "0"), ("MEMBERDYNAMIC", "0"), ("MEMBERREALTIME", "0")]
        holdtime = int(engine.clock.now() - self.joined)
        call.holdtime = holdtime
        queue.record_connect(holdtime)
        entry_vars = [("QEHOLDTIME", str(holdtime)), ("QEORIGINALPOS", "1")]
        for block in (member_vars, entry_vars, queue.variables()):
            engine.setvars(chan, block)
            engine.setvars(leg.one, block)
        self._leave_queue()
        waited, waited_ms = self._waited()
        engine.setvars(chan, [("QUEUEPOSITION", "1"), ("QUEUEWAIT", waited), ("QUEUEWAIT_MS", waited_ms)])
        ring_time = str(int(engine.clock.now() - started))
        self._leg_event("AgentConnect", leg, {"HoldTime": str(holdtime), "RingTime": ring_time})
        engine.new_state(chan, UP)
        call.bridge(leg, queued=True)
        for other in others:
            engine.post_cdr(other.cdr("NO ANSWER"))
            other.finish_two(26)
            self._add_cdr(other, started, "NO ANSWER")
            engine.emit(device_state(other.device, "NOT_INUSE"))
            engine.member_status(other.agent_id, NOT_INUSE)
        engine.emit(device_state(f"Queue:{queue.name}_avail", queue.availability()))
        record = self._add_cdr(leg, started, "ANSWERED")
        record.answer, record.end = engine.clock.now(), None
        await call.converse(leg, record, queued=True)

    def _leave_queue(self) -> None:
        self.queue.waiting.remove(self.chan.name)
        self.engine.emit(device_state(f"Queue:{self.queue.name}", "NOT_INUSE"))
        self._queue_event("QueueCallerLeave", {"Position": "1", "Count": str(len(self.queue.waiting))})

    def _leave(self) -> None:
        """Timeout or caller hangup: app_queue reports both as QueueCallerAbandon, then leaves."""
        engine, chan, queue = self.engine, self.chan, self.queue
        engine.setvar(chan, "ABANDONED", "TRUE")
        engine.setvars(chan, queue.variables())
        waited, waited_ms = self._waited()
        self._queue_event("QueueCallerAbandon", {"Position": "1", "OriginalPosition": "1", "HoldTime": waited})
        dialed, dialed_ms = self.call.elapsed(self.call.dial_started)
        engine.setvars(chan, [("QUEUEWAIT", waited), ("QUEUEWAIT_MS", waited_ms), ("DIALEDTIME", dialed),
                              ("DIALEDTIME_MS", dialed_ms), ("ANSWEREDTIME", "0"), ("ANSWEREDTIME_MS", "0")])
        queue.abandoned += 1
        engine.setvars(chan, queue.variables())
        self._leave_queue()
        engine.setvar(chan, "QUEUEPOSITION", "1")
