"""One inbound call: the Originate, [from-pstn], Dial, the sales queue, talk and hangup.

[from-pstn] is the reference dialplan (tests/data/asterisk/config/extensions.conf, the one the captures
came from) or, with ``EngineConfig.dialplan = "production"``, docs/asterisk/extensions.conf (see
``pbx.simulator.production``). Both share priorities 1-8 (``prologue``).

Event order follows the captures in tests/data/asterisk/captures. Asterisk runs the two halves of
a Local channel, the dialled legs and the device-state/queue-member updates on different threads,
so their interleaving differs between runs (compare one-call.ami with agi-down-fallback.ami); where
it does, the order chosen here is the one the captures show most often.

Besides the reference dialplan the simulator plays one context the documented deployment adds for
transfers made from outside (AMI ``Redirect`` of the inbound ``;2`` channel, e.g. by the web app)::

    [transfer]
    exten => _X.,1,Dial(Local/${EXTEN}@sim-agent,20)
     same => n,Hangup()

A Redirect of the inbound channel while it talks with a manager takes it out of the bridge
(``BridgeLeave``); the old manager's Local pair, left alone, is hung up as the bridge dissolves
(``BridgeLeave``/``BridgeDestroy``, ``HangupRequest``/``Hangup`` cause 16); the inbound channel then
runs ``transfer,<exten>,1`` with the same Dial as ``[from-pstn]``. The customer half keeps playing
and MixMonitor keeps recording the inbound channel. ``[transfer]`` has no ``h`` extension.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from dataclasses import dataclass, field

from pbx.simulator import originate
from pbx.simulator.agent import AGENT_CONTEXT, AgentLeg, Outcome
from pbx.simulator.agi_client import AgiSession
from pbx.simulator.channel import UP, Channel, Party
from pbx.simulator.dial_app import DialApp, answered_times, cancel, elapsed
from pbx.simulator.engine import REFERENCE, PbxEngine
from pbx.simulator.events import CALL, CdrRecord, bridge_part, device_state, dial_event, event
from pbx.simulator.playback import playback_seconds
from pbx.simulator.production import ProductionFromPstn
from pbx.simulator.queue import NOT_INUSE
from pbx.simulator.queue_app import CallerHungUp, QueueCall
from pbx.simulator.recording import Monitor

PSTN = "from-pstn"
CALLER_CONTEXT = "sim-caller"
DIAL_TIMEOUT = "20"  # the reference dialplan's and [transfer]'s Dial(...,20)
# The deployment's blind-transfer context, reached only by AMI Redirect of the inbound ;2 channel:
#   [transfer]
#   exten => _X.,1,Dial(Local/${EXTEN}@sim-agent,20)
#    same => n,Hangup()
TRANSFER = "transfer"


class Redirected(Exception):
    """AMI Redirect took the inbound channel out of its bridge; it goes on at ``transfer,<exten>,1``."""

    def __init__(self, exten: str) -> None:
        super().__init__(exten)
        self.exten = exten


@dataclass
class OriginateRequest:
    """AMI ``Originate`` of ``Local/<did>@from-pstn`` into ``sim-caller,s,1``."""

    did: str
    caller: Party
    variables: list[tuple[str, str]] = field(default_factory=list)  # in the action's order
    action_id: str = ""
    timeout: float | None = None  # simulated seconds the caller waits for an answer


@dataclass
class InboundCall:
    engine: PbxEngine
    request: OriginateRequest
    customer: Channel = field(init=False)  # ;1, runs [sim-caller] once answered
    inbound: Channel = field(init=False)  # ;2, runs [from-pstn]
    done: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    monitor: Monitor | None = None
    cdrs: list[CdrRecord] = field(default_factory=list)  # the ;2 channel's CDR rows
    dial_started: float = 0.0
    talk: tuple[float, float] = (0.0, 0.0)  # first answer and end of the conversation (across transfers)
    bridged_at: float = 0.0  # when the current manager answered
    bridge_id: str = ""
    holdtime: int = 0  # seconds in the queue before AgentConnect
    talking: AgentLeg | None = None  # the manager bridged with the inbound channel right now
    redirect_to: str | None = None  # exten in [transfer] an AMI Redirect asked for
    voicemail: bool = False  # the VoiceMail app answered: the caller left a message, no manager spoke

    def __post_init__(self) -> None:
        self.customer, self.inbound = self.engine.local_pair(self.request.did, PSTN)
        self.location = (PSTN, self.request.did)  # where the inbound channel runs the dialplan
        self.abandon_at = None if self.request.timeout is None else self.customer.created_at + self.request.timeout
        self.hangup_requested = asyncio.Event()
        self.redirect_requested = asyncio.Event()
        self._caller_task: asyncio.Task[None] | None = None  # [sim-caller], from the first answer on

    def request_hangup(self) -> None:
        """AMI Hangup: the caller leaves now (abandon while ringing, caller hangup while talking)."""
        self.abandon_at = self.engine.clock.now()
        self.hangup_requested.set()

    def request_redirect(self, exten: str) -> str | None:
        """AMI Redirect to ``transfer,<exten>,1``; an error message if the call cannot be redirected now."""
        if self.talking is None or self.redirect_requested.is_set() or self.hangup_requested.is_set():
            return "Redirect: only an inbound channel talking with a manager is simulated"
        self.redirect_to = exten
        self.redirect_requested.set()
        return None

    @property
    def linkedid(self) -> str:
        return self.customer.linkedid

    @property
    def dialler(self) -> Channel:
        """The channel that runs Dial (``DialApp``): the inbound ;2."""
        return self.inbound

    @property
    def originated(self) -> Channel:
        """The Originate's channel, rung along while a Dial rings: the customer ;1."""
        return self.customer

    # --- helpers ---------------------------------------------------------------------

    def _emit(self, headers: dict[str, str]) -> None:
        self.engine.emit(headers)

    def step(self, priority: int, app: str, data: str = "") -> None:
        context, exten = self.location
        self.engine.step(self.inbound, context, exten, priority, app, data)

    def var(self, name: str) -> str:
        return self.engine.variable(self.inbound, name)

    def elapsed(self, since: float) -> tuple[str, str]:
        return elapsed(self.engine.clock.now() - since)

    # --- the call ---------------------------------------------------------------------

    async def run(self) -> None:
        try:
            self._originate()
            location = self._from_pstn if self.engine.config.dialplan == REFERENCE else self._production
            while True:
                try:
                    await location()
                    break
                except Redirected as redirect:
                    location = functools.partial(self._transfer, redirect.exten)
        finally:
            if self._caller_task is not None:
                self._caller_task.cancel()
            if not self.done.done():
                self.done.set_result(None)

    def _originate(self) -> None:
        originate.place(self.engine, self.customer, self.inbound, self.request.caller, self.request.variables)

    async def prologue(self, splitrec: int) -> str | None:
        """Priorities 1-8 of both dialplans' [from-pstn]: caller id, DID, recording file, MixMonitor (plain,
        or per direction at ``splitrec`` when SPLIT_REC=1), the route AGI. Returns AGISTATUS; None when the
        AGI script hung the channel up (the call is then over)."""
        engine, chan, did = self.engine, self.inbound, self.request.did
        caller_all = chan.caller.merged()
        self.step(1, "NoOp", f"Inbound call: exten={did} from={caller_all} uid={chan.uniqueid} linkedid={chan.linkedid}")
        number = chan.caller.num if chan.caller.num not in ("", "<unknown>") else did
        self.step(2, "Set", f"CALLERID(num)={number}")
        if number != chan.caller.num:
            engine.new_callerid(chan, Party(number, chan.caller.name))
        self.step(3, "Set", f"__INBOUND_DID={did}")
        engine.setvar(chan, "__INBOUND_DID", did)
        recording = f"{self.var('REC_DIR')}/{chan.uniqueid}.wav"
        self.step(4, "Set", f"__RECORDING_FILE={recording}")
        engine.setvar(chan, "__RECORDING_FILE", recording)
        self.step(5, "Set", f"CDR(userfield)=rec:{recording}")
        split = self.var("SPLIT_REC") == "1"
        self.step(6, "GotoIf", f"{int(split)}?splitrec")
        if split:
            self._mix_monitor(splitrec, recording, split=True)
            self.step(splitrec + 1, "Goto", "route")
        else:
            self._mix_monitor(7, recording, split=False)
        url = self.var("AGI_ROUTE_URL")
        self.step(8, "AGI", url)
        result = await AgiSession(engine, chan, url).run()
        engine.setvar(chan, "AGISTATUS", result.status)
        if result.hangup:
            self.hang_up_inbound()
            return None
        return result.status

    async def _from_pstn(self) -> None:
        """The reference dialplan after the AGI: Dial ROUTE_TARGET (or ``fallback`` when the AGI is down), then the queue."""
        status = await self.prologue(splitrec=23)
        if status is None:
            return
        target = self.var("ROUTE_TARGET")
        self.step(9, "NoOp", f"AGISTATUS={status} ROUTE_TARGET={target}")
        agi_down = status != "SUCCESS"
        self.step(10, "GotoIf", f"{int(agi_down)}?agi-down")
        try:
            if agi_down:
                self.step(18, "NoOp", f"AGI unreachable (AGISTATUS={status}) - fallback routing")
                if await self.dial(19, ["fallback"]):
                    return
                self.step(20, "NoOp", f"DIALSTATUS={self.var('DIALSTATUS')}")
                self.step(21, "GotoIf", "0?done")
                self.step(22, "Goto", "queue")
            else:
                self.step(11, "GotoIf", f"{int(target == '')}?queue")
                if target:
                    if await self.dial(12, [target]):
                        return
                    self.step(13, "NoOp", f"DIALSTATUS={self.var('DIALSTATUS')}")
                    self.step(14, "GotoIf", "0?done")
            await QueueCall(self, 15, "sales").run()
        except CallerHungUp:
            self.after_abandon()

    async def _production(self) -> None:
        await ProductionFromPstn(self).run()

    async def _transfer(self, exten: str) -> None:
        """``[transfer]``: ``Dial(Local/${EXTEN}@sim-agent,20)``, then ``Hangup()`` if nobody answered."""
        self.location = (TRANSFER, exten)
        try:
            if await self.dial(1, [exten]):
                return
        except CallerHungUp:
            self.after_abandon()
            return
        self.step(2, "Hangup")
        self.hang_up_inbound()
        self._emit(device_state(self.customer.device, "NOT_INUSE"))

    def _mix_monitor(self, priority: int, recording: str, split: bool) -> None:
        self.monitor = self.engine.mix_monitor(self.inbound, priority, recording, split)

    async def dial(self, priority: int, targets: list[str], timeout: str = DIAL_TIMEOUT) -> bool:
        """``Dial`` of the managers ``targets`` at once; True if one answered (the call has then ended)."""
        return await DialApp(self, priority, targets, timeout).run()

    async def await_outcome(self, legs: list[AgentLeg], deadline: float) -> tuple[AgentLeg, Outcome] | None:
        """The first leg to answer or reject, or None at the deadline; raises if the caller gives up first."""
        clock = self.engine.clock
        limit = deadline if self.abandon_at is None else min(deadline, self.abandon_at)
        ready = [leg for leg in legs if leg.outcome.done()]
        if not ready and not self.hangup_requested.is_set():
            pending = {leg.outcome for leg in legs}
            hangup = asyncio.ensure_future(self.hangup_requested.wait())
            await asyncio.wait({*pending, hangup}, timeout=max(limit - clock.now(), 0) / clock.speed,
                                         return_when=asyncio.FIRST_COMPLETED)
            hangup.cancel()
            ready = [leg for leg in legs if leg.outcome.done()]  # ties go to the first member, as ringall does
        if ready:
            return ready[0], ready[0].outcome.result()
        if self.abandon_at is not None and self.abandon_at < deadline:
            self._abandon(legs)
            raise CallerHungUp
        return None

    # --- the bridge and the conversation ---------------------------------------------

    def bridge(self, leg: AgentLeg, queued: bool) -> None:
        engine, chan, one = self.engine, self.inbound, leg.one
        first = self.customer.state != UP  # not a second manager after a Redirect
        self.bridge_id = one.bridge_id = chan.bridge_id = str(uuid.uuid4())
        self._emit(event("BridgeCreate", CALL, bridge_part(self.bridge_id, 0)))
        self._emit(device_state(leg.device, "INUSE"))
        if first:
            self.originate_succeeds()
        if not queued:
            engine.step(one, AGENT_CONTEXT, "", 1, "AppDial", "(Outgoing Line)")
        self._emit(event("BridgeEnter", CALL, bridge_part(self.bridge_id, 1), one.snapshot()))
        if first:
            self.customer_up()
        self._emit(event("BridgeEnter", CALL, bridge_part(self.bridge_id, 2), chan.snapshot()))
        engine.setvar(one, "BRIDGEPEER", chan.name)
        engine.setvar(chan, "BRIDGEPEER", one.name)

    def originate_succeeds(self) -> None:
        """The inbound ;2 was answered: the customer's device is in use and the Originate reports success."""
        self._emit(device_state(self.customer.device, "INUSE"))
        self._originate_response(success=True)

    def customer_up(self) -> None:
        """The customer ;1 goes Up, the Originate's dial ends ANSWER and ;1 starts [sim-caller]."""
        engine, customer = self.engine, self.customer
        engine.new_state(customer, UP)
        self._emit(dial_event("DialEnd", None, customer, {"DialStatus": "ANSWER"}))
        audio = engine.variable(customer, "CALLER_AUDIO")
        engine.step(customer, CALLER_CONTEXT, "s", 1, "NoOp", f"Simulated caller - audio {audio}")

    async def _caller_side(self) -> None:
        """[sim-caller]: Answer, Wait(CALLER_DELAY or 1), Playback(CALLER_AUDIO), Wait(2)."""
        engine, customer, clock = self.engine, self.customer, self.engine.clock
        engine.step(customer, CALLER_CONTEXT, "s", 2, "Answer")
        delay = engine.variable(customer, "CALLER_DELAY") or "1"
        engine.step(customer, CALLER_CONTEXT, "s", 3, "Wait", delay)
        await clock.sleep(float(delay))
        audio = engine.variable(customer, "CALLER_AUDIO")
        engine.step(customer, CALLER_CONTEXT, "s", 4, "ExecIf", f"{int(bool(audio))}?Playback({audio})")
        if audio:
            await clock.sleep(playback_seconds(audio))
            engine.setvar(customer, "PLAYBACKSTATUS", "SUCCESS")
        engine.step(customer, CALLER_CONTEXT, "s", 5, "Wait", "2")
        await clock.sleep(2)

    async def converse(self, leg: AgentLeg, record: CdrRecord, queued: bool) -> None:
        """Talk until one side hangs up (or a Redirect moves the caller on), then tear the call down from that side.

        The customer's [sim-caller] runs from the first answer to the end of the call, across transfers;
        ``talk`` spans the same time (the recording holds the whole conversation)."""
        self.bridged_at = self.engine.clock.now()
        answered_at = self.talk[0] or self.bridged_at
        caller = self._start_caller()
        agent = asyncio.create_task(leg.talk())
        hangup = asyncio.create_task(self.hangup_requested.wait())
        redirect = asyncio.create_task(self.redirect_requested.wait())
        self.talking = leg
        try:
            done, pending = await asyncio.wait({caller, agent, hangup, redirect}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.talking = None
        redirected = redirect in done and caller not in done and agent not in done and hangup not in done
        for task in pending:
            if task is not caller or not redirected:
                task.cancel()
        for task in done:
            task.result()
        self.talk = (answered_at, self.engine.clock.now())
        if redirected:
            self._redirected(leg, record, queued)
        if agent not in done:
            self._caller_hangs_up(leg, record, queued)
        else:
            self._agent_hangs_up(leg, record, queued)

    def _start_caller(self) -> asyncio.Task[None]:
        """[sim-caller] from the first answer on; when it ends the caller has hung up."""
        if self._caller_task is None:
            self._caller_task = asyncio.create_task(self._caller_side())
            self._caller_task.add_done_callback(lambda task: task.cancelled() or self.request_hangup())
        return self._caller_task

    async def caller_leaves(self) -> None:
        """Wait, with nobody else on the line, until the caller hangs up ([sim-caller] ends, or AMI Hangup)."""
        self._start_caller()
        await self.hangup_requested.wait()

    def _answered_times(self) -> list[tuple[str, str]]:
        return answered_times(self.engine.clock.now(), self.bridged_at, self.dial_started)

    def _agent_complete(self, leg: AgentLeg, reason: str) -> None:
        queue = self.engine.queue
        member = queue.member(leg.agent_id)
        talk = int(self.talk[1] - self.bridged_at)
        self._emit(dial_event("AgentComplete", self.inbound, leg.one, {
            "Queue": queue.name, "Interface": leg.device, "MemberName": queue.member_name(leg.agent_id),
            "HoldTime": str(self.holdtime), "TalkTime": str(talk), "Reason": reason}))
        if member is not None:
            queue.record_complete(member, talk, self.engine.clock.now())

    def customer_hangs_up(self) -> None:
        """[sim-caller] ends with ``Hangup()`` on the answered ;1; the ;2 is asked to follow."""
        engine, chan, customer = self.engine, self.inbound, self.customer
        engine.step(customer, CALLER_CONTEXT, "s", 6, "Hangup")
        engine.soft_hangup_request(customer)
        engine.hangup_request(chan, 16)
        engine.hangup(customer, 16)
        self.engine.post_cdr(self._customer_cdr("ANSWERED"))

    def _caller_hangs_up(self, leg: AgentLeg, record: CdrRecord, queued: bool) -> None:
        engine, chan = self.engine, self.inbound
        self.customer_hangs_up()
        if queued:
            self._agent_complete(leg, "caller")
        engine.setvars(chan, [("BRIDGEPEER", "")])
        engine.setvar(leg.one, "BRIDGEPEER", "")
        self._emit(event("BridgeLeave", CALL, bridge_part(self.bridge_id, 1), chan.snapshot()))
        if queued:
            engine.setvars(chan, [*engine.queue.variables(), *self._answered_times(), *engine.queue.variables()])
        else:
            engine.setvars(chan, [*self._answered_times(), ("DIALSTATUS", "ANSWER")])
        record.end = engine.clock.now()
        self.hang_up_inbound()
        leg.leave_bridge_last(self.bridge_id)
        self._release_agent(leg)

    def _agent_hangs_up(self, leg: AgentLeg, record: CdrRecord, queued: bool) -> None:
        engine, chan = self.engine, self.inbound
        leg.hang_up_first()
        if queued:
            self._agent_complete(leg, "agent")
        engine.setvar(leg.one, "BRIDGEPEER", "")
        engine.setvar(chan, "BRIDGEPEER", "")
        self._emit(event("BridgeLeave", CALL, bridge_part(self.bridge_id, 1), leg.one.snapshot()))
        engine.hangup(leg.one, 16)
        self._emit(event("BridgeLeave", CALL, bridge_part(self.bridge_id, 0), chan.snapshot()))
        self._emit(event("BridgeDestroy", CALL, bridge_part(self.bridge_id, 0)))
        if queued:
            engine.setvars(chan, [*engine.queue.variables(), *self._answered_times()])
        else:
            engine.setvars(chan, [*self._answered_times(), ("DIALSTATUS", "ANSWER")])
        record.end = engine.clock.now()
        self.hang_up_inbound(local_status="ANSWER")
        self._release_agent(leg)

    def _redirected(self, leg: AgentLeg, record: CdrRecord, queued: bool) -> None:
        """AMI Redirect: the inbound channel leaves the bridge, the manager's Local pair is hung up with it."""
        engine, chan = self.engine, self.inbound
        exten = self.redirect_to or ""
        self.redirect_requested.clear()
        self.redirect_to = None
        self.abandon_at = None  # the Originate's timeout ended with the first answer
        engine.setvars(chan, [("BRIDGEPEER", "")])
        engine.setvar(leg.one, "BRIDGEPEER", "")
        self._emit(event("BridgeLeave", CALL, bridge_part(self.bridge_id, 1), chan.snapshot()))
        if queued:
            self._agent_complete(leg, "transfer")
            engine.setvars(chan, [*engine.queue.variables(), *self._answered_times()])
        else:
            engine.setvars(chan, [*self._answered_times(), ("DIALSTATUS", "ANSWER")])
        record.end = engine.clock.now()
        leg.leave_bridge_last(self.bridge_id)
        chan.bridge_id = ""
        self._release_agent(leg, customer=False)
        raise Redirected(exten)

    def _release_agent(self, leg: AgentLeg, customer: bool = True) -> None:
        if customer:
            self._emit(device_state(self.customer.device, "NOT_INUSE"))
        self.engine.member_status(leg.agent_id, NOT_INUSE)
        self._emit(device_state(leg.device, "NOT_INUSE"))

    # --- hangup of the inbound half (the h extension) ---------------------------------

    def hang_up_inbound(self, local_status: str = "") -> None:
        """SoftHangupRequest, ``h`` extension, MixMonitor stop, Hangup and CDRs of ;2 (and ;1 if still up)."""
        engine, chan, customer = self.engine, self.inbound, self.customer
        engine.soft_hangup_request(chan)
        mixmon = self.var("MIXMONITOR_FILENAME")
        h_exten = self.location[0] == PSTN  # [transfer] has no h extension
        if h_exten:
            engine.step(chan, PSTN, "h", 1, "NoOp", f"Inbound hangup: 16 dial={self.var('DIALSTATUS')} "
                                                     f"queue={self.var('QUEUESTATUS')} mixmon={mixmon}")
        if not customer.hungup:
            engine.setvar(customer, "CHANLOCALSTATUS", local_status or "NOANSWER")
            engine.hangup_request(customer, 16)
        self._stop_monitor()
        if h_exten:
            chan.priority = 2
        engine.hangup(chan, 16)
        userfield = f"rec:{self.var('RECORDING_FILE')}"
        if not self.cdrs:
            self.cdrs.append(CdrRecord(chan, self.request.did, PSTN, chan.caller, chan.created_at,
                                       last_app=chan.application, last_data=chan.app_data, disposition="FAILED"))
        for record in self.cdrs:
            record.userfield = userfield
            record.end = record.end if record.end is not None else engine.clock.now()
            self.engine.post_cdr(record)
        if not customer.hungup:
            answered = customer.state == UP
            if answered:
                engine.soft_hangup_request(customer)
            else:
                self._emit(dial_event("DialEnd", None, customer, {"DialStatus": "NOANSWER"}))
            engine.hangup(customer, 16)
            self.engine.post_cdr(self._customer_cdr("ANSWERED" if answered else "NO ANSWER"))
            if not answered:
                self._originate_response(success=False)

    def _stop_monitor(self) -> None:
        if self.monitor is None:
            return
        answered = self.talk[0] if self.talk[1] else None
        ended = self.talk[1] if self.talk[1] else self.engine.clock.now()
        agent_audio = "" if self.voicemail else self.engine.variable(self.inbound, "AGENT_AUDIO")
        self.monitor.stop(answered, ended, self.engine.variable(self.customer, "CALLER_AUDIO"), agent_audio)

    def _customer_cdr(self, disposition: str) -> CdrRecord:
        customer = self.customer
        return CdrRecord(customer, customer.exten, customer.context, customer.caller, customer.created_at,
                         last_app=customer.application, last_data=customer.app_data,
                         answer=customer.answered_at, end=self.engine.clock.now(), disposition=disposition)

    def _originate_response(self, success: bool, reason: str = "0") -> None:
        originate.respond(self.engine, self.request.action_id, self.customer, CALLER_CONTEXT, "s", self.request.caller,
                          None if success else reason)

    # --- the caller gives up ------------------------------------------------------------

    def _abandon(self, ringing: list[AgentLeg]) -> None:
        """Originate timeout: the customer half is hung up while the call still rings (not captured)."""
        engine, customer, chan = self.engine, self.customer, self.inbound
        if customer.state == UP:  # hung up while a Redirect rings the next manager
            self.customer_hangs_up()
        else:
            self._emit(dial_event("DialEnd", None, customer, {"DialStatus": "NOANSWER"}))
            engine.hangup(customer, 16)
            self.engine.post_cdr(self._customer_cdr("NO ANSWER"))
            self._originate_response(success=False, reason="3")
            engine.hangup_request(chan, 16)
        cancel(engine, chan, ringing)
        for record in self.cdrs:
            if record.end is None:
                record.end = engine.clock.now()

    def after_abandon(self) -> None:
        if not self.inbound.hungup:
            self.hang_up_inbound()
        self._emit(device_state(self.customer.device, "NOT_INUSE"))
