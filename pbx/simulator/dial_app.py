"""``Dial(Local/<a>@sim-agent[&Local/<b>@sim-agent...],<timeout>)`` as app_dial emits it; the same for
the simulated clients an outbound call dials (``Local/<number>@sim-callee``).

One Local pair and one ``DialBegin`` per destination (all requested first, then all called), every
destination rings at once. The first to answer wins: app_dial reports ``DialEnd CANCEL`` for the
others at once and hangs them up with cause 26 (Answered elsewhere), then ``DialEnd ANSWER`` for
the winner. A busy destination drops out (``DialEnd BUSY``, cause 17) while the others ring on;
``DIALSTATUS`` is ``BUSY`` only when every destination was busy. At the timeout every ringing
destination gets ``DialEnd NOANSWER`` and is hung up with cause 0. With one destination this is the
flow of the reference captures.
"""

from __future__ import annotations

import math
from typing import Protocol

from pbx.simulator.agent import AGENT_CONTEXT, AgentLeg, Outcome
from pbx.simulator.channel import RINGING, UP, Channel
from pbx.simulator.engine import PbxEngine
from pbx.simulator.events import CdrRecord, device_state, dial_event
from pbx.simulator.queue import INUSE, NOT_INUSE
from pbx.simulator.queue_app import CallerHungUp

DIAL_VARIABLES = ("DIALSTATUS", "DIALEDPEERNUMBER", "DIALEDPEERNAME", "ANSWEREDTIME", "ANSWEREDTIME_MS",
                  "DIALEDTIME", "DIALEDTIME_MS", "RINGTIME", "RINGTIME_MS", "PROGRESSTIME", "PROGRESSTIME_MS")
ANSWERED_ELSEWHERE, USER_BUSY = 26, 17


class DialCall(Protocol):
    """The call a Dial runs in (``InboundCall``, ``OutboundCall``)."""

    engine: PbxEngine
    cdrs: list[CdrRecord]  # the dialler's CDR rows
    dial_started: float

    @property
    def dialler(self) -> Channel: ...

    @property
    def originated(self) -> Channel: ...

    def step(self, priority: int, app: str, data: str = "") -> None: ...

    async def await_outcome(self, legs: list[AgentLeg], deadline: float) -> tuple[AgentLeg, Outcome] | None:
        """The first leg to answer or reject, None at the deadline; raises CallerHungUp if the dialler leaves."""

    def bridge(self, leg: AgentLeg, queued: bool) -> None: ...

    async def converse(self, leg: AgentLeg, record: CdrRecord, queued: bool) -> None: ...


def elapsed(seconds: float) -> tuple[str, str]:
    """Whole seconds and milliseconds, as Dial's ``*TIME``/``*TIME_MS`` variables hold them."""
    return str(int(seconds)), str(int(seconds * 1000))


def answered_times(now: float, bridged_at: float, dial_started: float) -> list[tuple[str, str]]:
    """What Dial sets when the bridge ends: ANSWEREDTIME since the answer, DIALEDTIME since the dial."""
    answered, answered_ms = elapsed(now - bridged_at)
    dialed, dialed_ms = elapsed(now - dial_started)
    return [("ANSWEREDTIME", answered), ("ANSWEREDTIME_MS", answered_ms),
            ("DIALEDTIME", dialed), ("DIALEDTIME_MS", dialed_ms)]


def cancel(engine: PbxEngine, dialler: Channel, ringing: list[AgentLeg]) -> None:
    """The dialler left while ``ringing`` rang: each gets ``DialEnd CANCEL`` and is hung up (cause 16)."""
    for leg in ringing:
        engine.emit(dial_event("DialEnd", dialler, leg.one, {"DialStatus": "CANCEL"}))
        leg.drop_one(16)
        leg.finish_two(16)
        engine.post_cdr(leg.cdr("NO ANSWER"))
        engine.emit(device_state(leg.device, "NOT_INUSE"))
        engine.member_status(leg.agent_id, NOT_INUSE)


def dial_seconds(timeout: str) -> float:
    """Dial's timeout argument; empty, invalid or not above 0 means no timeout, as app_dial takes it."""
    try:
        seconds = float(timeout)
    except ValueError:
        return math.inf
    return seconds if seconds > 0 else math.inf


class DialApp:
    """One run of Dial from the call's dialler to ``targets``, ``Local/<target>@<context>`` each."""

    def __init__(self, call: DialCall, priority: int, targets: list[str], timeout: str,
                 context: str = AGENT_CONTEXT) -> None:
        self.call, self.engine, self.chan = call, call.engine, call.dialler
        self.priority, self.targets, self.timeout, self.context = priority, targets, timeout, context
        self.data = "&".join(f"Local/{target}@{context}" for target in targets) + f",{timeout}"
        self.records: dict[str, CdrRecord] = {}  # the inbound channel's CDR row per destination (;1 name)

    async def run(self) -> bool:
        """True once a manager answered and the call has ended; False when Dial returns with DIALSTATUS set."""
        call, engine, chan = self.call, self.engine, self.chan
        call.step(self.priority, "Dial", self.data)
        engine.setvars(chan, [(name, "") for name in DIAL_VARIABLES])
        call.dial_started = engine.clock.now()
        legs = [AgentLeg.for_dial(engine, target, chan, self.context) for target in self.targets]
        for leg in legs:
            leg.call()
            engine.emit(dial_event("DialBegin", chan, leg.one, {"DialString": f"{leg.agent_id}@{self.context}"}))
        for leg in legs:
            leg.run_prelude()
        ringing = [leg for leg in legs if leg.state != "busy"]
        for leg in ringing:
            self._ringing(leg, first=leg is ringing[0])
        for leg in legs:
            record = CdrRecord(chan, chan.exten, chan.context, chan.caller, chan.created_at, leg.one.name,
                               "Dial", self.data)
            self.records[leg.one.name] = record
            call.cdrs.append(record)
        self._reject_busy([leg for leg in legs if leg.state == "busy"], everyone=not ringing)
        if not ringing:
            return False
        try:
            outcome = await call.await_outcome(ringing, call.dial_started + dial_seconds(self.timeout))
        except CallerHungUp:
            engine.setvar(chan, "DIALSTATUS", "CANCEL")
            raise
        if outcome is None:
            self._no_answer(ringing)
            return False
        winner = outcome[0]
        await self._answered(winner, [leg for leg in ringing if leg is not winner])
        return True

    def _ringing(self, leg: AgentLeg, first: bool) -> None:
        """The destination rings; the first one of this Dial makes the dialler (and the Originate's channel) ring."""
        engine, chan, customer = self.engine, self.chan, self.call.originated
        answered = customer.state == UP  # after a Redirect, or a click-to-call's: the Originate is long over
        if first and not answered and customer.state != RINGING:
            engine.new_state(customer, RINGING)
        engine.setvars(chan, [("RINGTIME", "0"), ("RINGTIME_MS", "0")])
        engine.emit(dial_event("DialState", chan, leg.one, {"DialStatus": "RINGING"}))
        engine.emit(device_state(leg.device, "INUSE"))
        if first and not answered:
            engine.emit(device_state(customer.device, "INUSE"))
            engine.emit(dial_event("DialState", None, customer, {"DialStatus": "RINGING"}))
        engine.member_status(leg.agent_id, INUSE)
        queue = engine.queue
        if queue.member(leg.agent_id) is not None:
            engine.emit(device_state(f"Queue:{queue.name}_avail", queue.availability()))

    def _finish_leg(self, leg: AgentLeg, cause: int, cdr: str) -> None:
        """The dropped destination's ;2 follows its ;1 down; its device and queue membership are free again."""
        leg.finish_two(cause)
        self.engine.post_cdr(leg.cdr(cdr))
        self.engine.emit(device_state(leg.device, "NOT_INUSE"))
        self.engine.member_status(leg.agent_id, NOT_INUSE)

    def _close(self, leg: AgentLeg, disposition: str) -> None:
        record = self.records[leg.one.name]
        record.end, record.disposition = self.engine.clock.now(), disposition

    def _reject_busy(self, busy: list[AgentLeg], everyone: bool) -> None:
        for leg in busy:
            self._close(leg, "BUSY")
            self.engine.emit(dial_event("DialEnd", self.chan, leg.one, {"DialStatus": "BUSY"}))
            leg.drop_one(USER_BUSY)
        if everyone:
            self.engine.setvar(self.chan, "DIALSTATUS", "BUSY")
        for leg in busy:
            self._finish_leg(leg, USER_BUSY, "BUSY")

    def _no_answer(self, ringing: list[AgentLeg]) -> None:
        for leg in ringing:
            self._close(leg, "NO ANSWER")
            self.engine.emit(dial_event("DialEnd", self.chan, leg.one, {"DialStatus": "NOANSWER"}))
        for leg in ringing:
            leg.drop_one(0)
        self.engine.setvar(self.chan, "DIALSTATUS", "NOANSWER")
        for leg in ringing:
            self._finish_leg(leg, 0, "FAILED")

    async def _answered(self, winner: AgentLeg, others: list[AgentLeg]) -> None:
        engine, call, chan = self.engine, self.call, self.chan
        winner.answer()
        for other in others:
            self._close(other, "NO ANSWER")
            engine.emit(dial_event("DialEnd", chan, other.one, {"DialStatus": "CANCEL"}))
        for other in others:
            other.drop_one(ANSWERED_ELSEWHERE)
        record = self.records[winner.one.name]
        record.answer, record.disposition = engine.clock.now(), "ANSWERED"
        engine.setvars(chan, [("DIALSTATUS", "ANSWER"), ("DIALEDPEERNAME", winner.one.name),
                              ("DIALEDPEERNUMBER", f"{winner.agent_id}@{self.context}")])
        engine.emit(dial_event("DialEnd", chan, winner.one, {"DialStatus": "ANSWER"}))
        if chan.state != UP:
            engine.new_state(chan, UP)
        for other in others:
            self._finish_leg(other, ANSWERED_ELSEWHERE, "NO ANSWER")
        call.bridge(winner, queued=False)
        await call.converse(winner, record, queued=False)
