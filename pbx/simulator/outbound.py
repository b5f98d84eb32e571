"""Click-to-call: AMI Originate of a manager's phone into ``outbound,<number>,1``, played as Asterisk would.

``crm.click_to_call`` sends ``Originate`` with Channel ``Local/<ext>@sim-agent`` (the backend's
``callback_agent_channel``), Context ``outbound``, Exten the client's digits, Priority 1, Timeout,
``Variable: CALLBACK_TASK_ID=<id>`` and Async:

1. The Originate sets up the Local pair and dials its ;1 (``pbx.simulator.originate``). The ;2 half runs
   [sim-agent], the simulated manager's phone, where production runs [agents]: agent-sub rings and
   answers after its ring time, stays away or is busy, as for an inbound Dial.
2. The Originate's own dial waits at most Timeout (30 s without one) for ;1 to answer. Not answered: its
   ``DialEnd`` is NOANSWER (away, cause 0) or BUSY (cause 17), the pair hangs up and ``OriginateResponse``
   is Failure with Reason 3 (rang without answer) or 5 (busy), no channel.
3. Answered: ``OriginateResponse`` Success (Reason 4), ``DialEnd ANSWER``, and ;1 runs [outbound] of
   docs/asterisk/extensions.conf with TRUNK_TECH=Local, TRUNK=sim-callee: MixMonitor, CALLERID(num) =
   DEPARTMENT_NUMBER, ``Dial(Local/<number>@sim-callee,60)``. Meanwhile the manager's agent-sub goes on
   from its Answer (greeting, ``Wait(AGENT_TALK_SECONDS)``); when it returns the manager hangs up, the
   client's Dial is then cancelled if it still rings.
4. The client is one more simulator context, the same agent-sub as a manager::

       [sim-callee]
       exten => _X.,1,Gosub(agent-sub,s,1(${EXTEN}))
        same => n,Hangup()

   so it answers after AGENT_RING_SECONDS unless the global ``AGENT_<number>_STATE`` (AMI Setvar) is
   ``away`` (the Dial times out: NOANSWER) or ``busy``. Answered, ;1 and the client share a bridge until
   one side's Wait ends; that side hangs up first.

Not verified by a capture (the captures are inbound only), assumed from Asterisk 22's behaviour: the
Originate's events in the captured inbound Originate's order (OriginateResponse before ``DialEnd
ANSWER``); Reason 3/5 as pbx_outgoing reports a dial timeout/busy; the originated ;1's CDR is answered
when the manager picks up (the CDR engine stamps Party A's answer), so its AnswerTime and
BillableSeconds count from then even when the client does not answer.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field

from pbx.simulator import originate
from pbx.simulator.agent import AGENT_CONTEXT, AgentLeg, Outcome
from pbx.simulator.channel import Channel, Party
from pbx.simulator.dial_app import USER_BUSY, DialApp, answered_times, cancel
from pbx.simulator.engine import PbxEngine
from pbx.simulator.events import CALL, CdrRecord, bridge_part, device_state, dial_event, event
from pbx.simulator.queue import INUSE, NOT_INUSE
from pbx.simulator.queue_app import CallerHungUp
from pbx.simulator.recording import Monitor

OUTBOUND = "outbound"
CALLEE_CONTEXT = "sim-callee"
DIAL_TIMEOUT = "60"  # [outbound]'s Dial(...,60)
ORIGINATE_TIMEOUT = 30.0  # seconds; Asterisk's default when the Originate names no Timeout


@dataclass
class CallbackRequest:
    """AMI ``Originate`` of ``Local/<extension>@sim-agent`` into ``outbound,<number>,1``."""

    extension: str
    number: str
    caller: Party
    variables: list[tuple[str, str]] = field(default_factory=list)  # in the action's order
    action_id: str = ""
    timeout: float = ORIGINATE_TIMEOUT  # simulated seconds the manager's phone may ring


@dataclass
class OutboundCall:
    engine: PbxEngine
    request: CallbackRequest
    done: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    cdrs: list[CdrRecord] = field(default_factory=list)  # the ;1 half's CDR rows, one per Dial destination
    dial_started: float = 0.0
    bridged_at: float = 0.0  # when the client answered
    bridge_id: str = ""
    monitor: Monitor | None = None

    def __post_init__(self) -> None:
        one, two = self.engine.local_pair(self.request.extension, AGENT_CONTEXT)
        self.manager = AgentLeg(self.engine, self.request.extension, one, one, two, queued=False)
        self._talk: asyncio.Task[None] | None = None  # the manager's agent-sub from their Answer on

    @property
    def linkedid(self) -> str:
        return self.manager.one.linkedid

    @property
    def dialler(self) -> Channel:
        """The originated ;1: it runs [outbound] and dials the client."""
        return self.manager.one

    @property
    def originated(self) -> Channel:
        return self.manager.one

    def step(self, priority: int, app: str, data: str = "") -> None:
        self.engine.step(self.dialler, OUTBOUND, self.request.number, priority, app, data)

    def var(self, name: str) -> str:
        return self.engine.variable(self.dialler, name)

    # --- the manager's phone -----------------------------------------------------------

    async def run(self) -> None:
        try:
            manager, request = self.manager, self.request
            originate.place(self.engine, manager.one, manager.two, request.caller, request.variables)
            outcome = await self._ring_manager()
            if outcome is Outcome.ANSWER:
                self._manager_answers()
                await self._outbound()
            else:
                self._manager_unreached(busy=outcome is Outcome.BUSY)
        finally:
            if self._talk is not None:
                self._talk.cancel()
            if not self.done.done():
                self.done.set_result(None)

    async def _ring_manager(self) -> Outcome | None:
        """agent-sub on ;2 until the manager answers or is busy; None when the Originate's Timeout runs out."""
        engine, leg = self.engine, self.manager
        leg.run_prelude()
        if leg.state != "busy":
            engine.emit(device_state(leg.device, "INUSE"))
            engine.emit(dial_event("DialState", None, leg.one, {"DialStatus": "RINGING"}))
            engine.member_status(leg.agent_id, INUSE)
        try:
            return await asyncio.wait_for(asyncio.shield(leg.outcome), self.request.timeout / engine.clock.speed)
        except TimeoutError:
            return None

    def _manager_unreached(self, busy: bool) -> None:
        """The Originate's dial ends unanswered: it hangs ;1 up, ;2 follows, the Originate fails."""
        engine, leg, one = self.engine, self.manager, self.manager.one
        cause, status, reason = (USER_BUSY, "BUSY", "5") if busy else (0, "NOANSWER", "3")
        engine.emit(dial_event("DialEnd", None, one, {"DialStatus": status}))
        leg.drop_one(cause)
        engine.post_cdr(CdrRecord(one, one.exten, one.context, one.caller, one.created_at, last_app=one.application,
                                  last_data=one.app_data, end=engine.clock.now(),
                                  disposition="BUSY" if busy else "NO ANSWER"))
        request = self.request
        originate.respond(engine, request.action_id, one, OUTBOUND, request.number, request.caller, reason)
        leg.finish_two(cause)
        engine.post_cdr(leg.cdr("BUSY" if busy else "FAILED"))
        self._release(leg)

    def _manager_answers(self) -> None:
        """``Answer()`` on ;2 brings ;1 up: the Originate succeeds and ;1 goes to [outbound]."""
        engine, leg = self.engine, self.manager
        leg.answer()
        originate.respond(engine, self.request.action_id, leg.one, OUTBOUND, self.request.number, self.request.caller)
        engine.emit(dial_event("DialEnd", None, leg.one, {"DialStatus": "ANSWER"}))
        self._talk = asyncio.create_task(leg.talk())

    # --- [outbound] on ;1 ----------------------------------------------------------------

    async def _outbound(self) -> None:
        """Record, present the department's number, dial the client; hang up when Dial returns."""
        engine, chan, number = self.engine, self.dialler, self.request.number
        self.step(1, "NoOp", f"Outbound call: exten={number} from={chan.caller.merged()} uid={chan.uniqueid} "
                             f"linkedid={chan.linkedid} task={self.var('CALLBACK_TASK_ID')}")
        recording = f"{self.var('REC_DIR')}/{chan.uniqueid}.wav"
        self.step(2, "Set", f"__RECORDING_FILE={recording}")
        engine.setvar(chan, "__RECORDING_FILE", recording)
        self.step(3, "Set", f"CDR(userfield)=rec:{recording}")
        self.monitor = engine.mix_monitor(chan, 4, recording)
        department, name = self.var("DEPARTMENT_NUMBER"), self.var("DEPARTMENT_NAME")
        self.step(5, "Set", f'CALLERID(all)="{name}" <{department}>')
        engine.new_callerid(chan, Party(department, name))
        try:
            if await DialApp(self, 6, [number], DIAL_TIMEOUT, CALLEE_CONTEXT).run():
                return
        except CallerHungUp:  # the manager hung up while the client rang
            self.hang_up()
            return
        self.step(7, "NoOp", f"DIALSTATUS={self.var('DIALSTATUS')}")
        self.step(8, "Hangup")
        self.hang_up()

    async def await_outcome(self, legs: list[AgentLeg], deadline: float) -> tuple[AgentLeg, Outcome] | None:
        """The client answers or is busy, or None at the Dial's timeout; raises ``CallerHungUp`` when the
        manager is done first (their Wait ends while the client still rings)."""
        clock, talk = self.engine.clock, self._talk
        assert talk is not None
        outcomes = {leg.outcome for leg in legs}
        if not any(outcome.done() for outcome in outcomes) and not talk.done():
            await asyncio.wait({*outcomes, talk}, timeout=max(deadline - clock.now(), 0) / clock.speed,
                               return_when=asyncio.FIRST_COMPLETED)
        ready = [leg for leg in legs if leg.outcome.done()]
        if ready:
            return ready[0], ready[0].outcome.result()
        if talk.done():
            self.manager.hang_up_first()
            cancel(self.engine, self.dialler, legs)
            raise CallerHungUp
        return None

    # --- the conversation -----------------------------------------------------------------

    def bridge(self, leg: AgentLeg, queued: bool) -> None:
        """The client answered: its ;1 and the dialler share a new bridge."""
        engine, chan, callee = self.engine, self.dialler, leg.one
        self.bridge_id = callee.bridge_id = chan.bridge_id = str(uuid.uuid4())
        engine.emit(event("BridgeCreate", CALL, bridge_part(self.bridge_id, 0)))
        engine.emit(device_state(leg.device, "INUSE"))
        engine.step(callee, CALLEE_CONTEXT, "", 1, "AppDial", "(Outgoing Line)")
        engine.emit(event("BridgeEnter", CALL, bridge_part(self.bridge_id, 1), callee.snapshot()))
        engine.emit(event("BridgeEnter", CALL, bridge_part(self.bridge_id, 2), chan.snapshot()))
        engine.setvar(callee, "BRIDGEPEER", chan.name)
        engine.setvar(chan, "BRIDGEPEER", callee.name)

    async def converse(self, leg: AgentLeg, record: CdrRecord, queued: bool) -> None:
        """Talk until the manager's or the client's Wait ends; that side hangs up first."""
        assert self._talk is not None
        self.bridged_at = self.engine.clock.now()
        client = asyncio.create_task(leg.talk())
        done, _ = await asyncio.wait({client, self._talk}, return_when=asyncio.FIRST_COMPLETED)
        client.cancel()
        if self._talk in done:
            self._manager_hangs_up(leg, record)
        else:
            self._client_hangs_up(leg, record)

    def _manager_hangs_up(self, client: AgentLeg, record: CdrRecord) -> None:
        """The manager's ;2 returns and hangs up; ;1 leaves the bridge and hangs up; the client follows."""
        engine, chan = self.engine, self.dialler
        self.manager.hang_up_first()
        engine.setvar(client.one, "BRIDGEPEER", "")
        engine.setvar(chan, "BRIDGEPEER", "")
        engine.emit(event("BridgeLeave", CALL, bridge_part(self.bridge_id, 1), chan.snapshot()))
        self._dial_returns(record)
        self.hang_up()
        client.leave_bridge_last(self.bridge_id)
        self._release(client)

    def _client_hangs_up(self, client: AgentLeg, record: CdrRecord) -> None:
        """The client's ;2 returns and hangs up; its ;1 leaves, the bridge dissolves, ;1 and the manager hang up."""
        engine, chan = self.engine, self.dialler
        client.hang_up_first()
        engine.setvar(client.one, "BRIDGEPEER", "")
        engine.setvar(chan, "BRIDGEPEER", "")
        engine.emit(event("BridgeLeave", CALL, bridge_part(self.bridge_id, 1), client.one.snapshot()))
        engine.hangup(client.one, 16)
        engine.emit(event("BridgeLeave", CALL, bridge_part(self.bridge_id, 0), chan.snapshot()))
        engine.emit(event("BridgeDestroy", CALL, bridge_part(self.bridge_id, 0)))
        self._dial_returns(record)
        self.hang_up()
        self._release(client)

    def _dial_returns(self, record: CdrRecord) -> None:
        """The answered Dial ends: its times and status on ;1, the end of its CDR row."""
        now = self.engine.clock.now()
        self.engine.setvars(self.dialler, [*answered_times(now, self.bridged_at, self.dial_started),
                                           ("DIALSTATUS", "ANSWER")])
        record.end = now

    # --- the end ---------------------------------------------------------------------------

    def hang_up(self) -> None:
        """;1 hangs up: ``h`` extension, MixMonitor stop, Hangup and CDR rows; the manager's ;2 follows
        when it is still up (the client hung up, or the Dial returned unanswered)."""
        engine, chan, manager = self.engine, self.dialler, self.manager
        engine.soft_hangup_request(chan)
        engine.step(chan, OUTBOUND, "h", 1, "NoOp", f"Outbound hangup: 16 dial={self.var('DIALSTATUS')} "
                                                    f"mixmon={self.var('MIXMONITOR_FILENAME')}")
        manager_up = not manager.two.hungup
        if manager_up:
            engine.hangup_request(manager.two, 16)
        self._stop_monitor()
        chan.priority = 2
        engine.hangup(chan, 16)
        userfield = f"rec:{self.var('RECORDING_FILE')}"
        for record in self.cdrs:
            record.userfield, record.answer = userfield, chan.answered_at  # Party A answered with the manager
            record.end = record.end if record.end is not None else engine.clock.now()
            engine.post_cdr(record)
        if manager_up:
            manager.finish_two(16)
            engine.post_cdr(manager.cdr("ANSWERED"))
        self._release(manager)

    def _stop_monitor(self) -> None:
        """Write the recording: silence until the client answers, then both sides of the corpus call
        AGENT_AUDIO names (channel 0 the client, 1 the manager), if any."""
        if self.monitor is None:
            return
        audio = self.var("AGENT_AUDIO")
        self.monitor.stop(self.bridged_at or None, self.engine.clock.now(), audio, audio)

    def _release(self, leg: AgentLeg) -> None:
        self.engine.emit(device_state(leg.device, "NOT_INUSE"))
        self.engine.member_status(leg.agent_id, NOT_INUSE)
