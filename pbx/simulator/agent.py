"""A simulated manager: the Local/<id>@sim-agent pair and the [agent-sub] dialplan it runs.

The simulated clients an outbound call reaches run the same [agent-sub] from ``[sim-callee]``
(``Local/<number>@sim-callee``, see ``pbx.simulator.outbound``): ``context`` says which."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from enum import Enum

from pbx.simulator.channel import RINGING, UP, Channel, Party
from pbx.simulator.engine import PbxEngine
from pbx.simulator.events import CALL, CdrRecord, bridge_part, event
from pbx.simulator.playback import playback_seconds

SUB = "agent-sub"
AGENT_CONTEXT = "sim-agent"


class Outcome(Enum):
    ANSWER = "ANSWER"
    BUSY = "BUSY"


@dataclass
class AgentLeg:
    """One attempt to reach agent ``agent_id`` from the channel ``caller`` (for an Originate: its own ;1)."""

    engine: PbxEngine
    agent_id: str
    caller: Channel
    one: Channel
    two: Channel
    queued: bool
    outcome: asyncio.Future[Outcome] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    state: str = ""
    context: str = AGENT_CONTEXT  # where the ;2 half runs: sim-agent, or sim-callee for a client
    _timer: asyncio.Task[None] | None = None

    @classmethod
    def for_dial(cls, engine: PbxEngine, agent_id: str, caller: Channel, context: str = AGENT_CONTEXT) -> AgentLeg:
        """Channel setup as ``Dial(Local/<id>@<context>)`` emits it while requesting the channel (the ;1 side);
        ``call()`` places it."""
        one, two = engine.local_pair(agent_id, context, caller.linkedid)
        leg = cls(engine, agent_id, caller, one, two, queued=False, context=context)
        engine.setvar(one, "DIALEDPEERNUMBER", f"{agent_id}@{context}")
        engine.copy_variables(one, caller.inheritable())
        one.exten, one.caller = caller.exten, Party(caller.exten, caller.caller.name)
        one.connected = Party(caller.caller.num, caller.caller.name)
        engine.step(one, context, caller.exten, 1, "AppDial", "(Outgoing Line)")
        engine.new_callerid(one, one.caller)
        engine.new_connected_line(one, one.connected)
        return leg

    def call(self) -> None:
        """``ast_call`` of a dialled Local channel: the ;2 side gets the caller's variables and ids."""
        engine, one, two = self.engine, self.one, self.two
        engine.setvar(two, "DIALEDPEERNUMBER", f"{self.agent_id}@{self.context}")
        engine.copy_variables(two, self.caller.inheritable())
        two.connected = Party(one.caller.num, one.caller.name)
        engine.new_callerid(two, self.caller.caller)
        engine.new_connected_line(two, two.connected)
        engine.local_bridge(one, two)

    @classmethod
    def for_queue(cls, engine: PbxEngine, agent_id: str, caller: Channel) -> AgentLeg:
        """Channel setup as app_queue emits it for a member."""
        one, two = engine.local_pair(agent_id, AGENT_CONTEXT, caller.linkedid)
        leg = cls(engine, agent_id, caller, one, two, queued=True)
        one.caller = Party(caller.caller.num, caller.caller.name)
        engine.step(one, AGENT_CONTEXT, agent_id, 1, "AppQueue", "(Outgoing Line)")
        engine.new_callerid(one, one.caller)
        engine.copy_variables(one, caller.inheritable())
        engine.setvar(one, "DIALEDPEERNUMBER", f"{agent_id}@{AGENT_CONTEXT}")
        engine.setvar(two, "DIALEDPEERNUMBER", f"{agent_id}@{AGENT_CONTEXT}")
        engine.copy_variables(two, caller.inheritable())
        two.connected = Party(caller.caller.num, caller.caller.name)
        engine.new_callerid(two, caller.caller)
        engine.new_connected_line(two, two.connected)
        engine.local_bridge(one, two)
        return leg

    @property
    def device(self) -> str:
        return self.one.device

    # --- [sim-agent] / [agent-sub] up to the ring -----------------------------

    def run_prelude(self) -> None:
        """Gosub into agent-sub and run it until the agent rings (or rejects)."""
        engine, two, agent_id = self.engine, self.two, self.agent_id
        engine.step(two, self.context, agent_id, 1, "Gosub", f"{SUB},s,1({agent_id})")
        engine.setvars(two, [("LOCAL(ARG1)", agent_id), ("LOCAL(ARGC)", "1")])
        state = engine.variable(two, f"AGENT_{agent_id}_STATE")
        engine.step(two, SUB, "s", 1, "Set", f"LOCAL(state)={state}")
        engine.setvar(two, "LOCAL(state)", state)
        fallback = engine.variable(two, "AGENT_STATE")
        engine.step(two, SUB, "s", 2, "ExecIf", f"{int(state == '')}?Set(LOCAL(state)={fallback})")
        if state == "":
            state = fallback
            engine.setvars(two, [("state", state), ("LOCAL(state)", state)])
        self.state = state
        engine.step(two, SUB, "s", 3, "NoOp", f"Simulated agent {agent_id} state={state} caller={two.caller.merged()}")
        engine.step(two, SUB, "s", 4, "GotoIf", f"{int(state == 'away')}?away")
        if state == "away":
            engine.step(two, SUB, "s", 13, "NoOp", f"Agent {agent_id} is away - not answering")
            engine.step(two, SUB, "s", 14, "Ringing")
            self._ring()
            engine.step(two, SUB, "s", 15, "Wait", "30")
            return
        engine.step(two, SUB, "s", 5, "GotoIf", f"{int(state == 'busy')}?busy")
        if state == "busy":
            engine.step(two, SUB, "s", 17, "NoOp", f"Agent {agent_id} is busy - rejecting with BUSY")
            engine.step(two, SUB, "s", 18, "Busy", "5")
            engine.new_state(two, 7)
            self.outcome.set_result(Outcome.BUSY)
            return
        engine.step(two, SUB, "s", 6, "Ringing")
        self._ring()
        # AGENT_<id>_RING_SECONDS (set from a scenario) overrides the dialplan's global
        ring_seconds = engine.variable(two, f"AGENT_{agent_id}_RING_SECONDS") or engine.variable(two, "AGENT_RING_SECONDS")
        engine.step(two, SUB, "s", 7, "Wait", ring_seconds)
        self._timer = asyncio.create_task(self._answer_after(float(ring_seconds or 0)))

    def _ring(self) -> None:
        if self.queued:
            self.one.exten = self.caller.exten
        self.engine.new_state(self.one, RINGING)
        if self.queued:
            self.engine.step(self.one, AGENT_CONTEXT, self.caller.exten, 1, "AppQueue", "(Outgoing Line)")
            self.engine.new_connected_line(self.one, self.caller.caller)

    async def _answer_after(self, seconds: float) -> None:
        await self.engine.clock.sleep(seconds)
        if not self.outcome.done():
            self.outcome.set_result(Outcome.ANSWER)

    def answer(self) -> None:
        """``Answer()`` on ;2; the ;1 goes Up with it."""
        self.engine.step(self.two, SUB, "s", 8, "Answer")
        self.engine.new_state(self.two, UP)
        self.engine.new_state(self.one, UP)

    # --- after the answer ------------------------------------------------------

    async def talk(self) -> None:
        """Greeting, then ``Wait(AGENT_TALK_SECONDS)`` and ``Return()``; returns when the agent hangs up."""
        engine, two = self.engine, self.two
        audio = engine.variable(two, "AGENT_AUDIO") or engine.variable(
            two, "FALLBACK_AUDIO" if self.agent_id == "fallback" else "DEFAULT_AGENT_AUDIO")
        engine.step(two, SUB, "s", 9, "Set", f"LOCAL(audio)={audio}")
        engine.setvar(two, "LOCAL(audio)", audio)
        engine.step(two, SUB, "s", 10, "Playback", audio)
        await engine.clock.sleep(playback_seconds(audio))
        engine.setvar(two, "PLAYBACKSTATUS", "SUCCESS")
        talk_seconds = engine.variable(two, "AGENT_TALK_SECONDS")
        engine.step(two, SUB, "s", 11, "Wait", talk_seconds)
        await engine.clock.sleep(float(talk_seconds or 0))

    def hang_up_first(self) -> None:
        """The agent ends the call: Return, Hangup on ;2, the ;1 follows (as in the split-recording capture)."""
        engine, two = self.engine, self.two
        engine.step(two, SUB, "s", 12, "Return")
        engine.setvars(two, [(name, "") for name in ("audio", "state", "ARGC", "ARG1", "GOSUB_RETVAL")])
        engine.step(two, self.context, self.agent_id, 2, "Hangup")
        engine.soft_hangup_request(two)
        engine.hangup_request(self.one, 16)
        engine.hangup(two, 16)
        engine.post_cdr(self.cdr("ANSWERED"))

    def leave_bridge_last(self, bridge_id: str) -> None:
        """The caller hung up first: ;1 leaves the emptied bridge, then both halves hang up."""
        engine = self.engine
        engine.emit(event("BridgeLeave", CALL, bridge_part(bridge_id, 0), self.one.snapshot()))
        engine.emit(event("BridgeDestroy", CALL, bridge_part(bridge_id, 0)))
        engine.hangup_request(self.two, 16)
        engine.hangup(self.one, 16)
        engine.soft_hangup_request(self.two)
        engine.hangup(self.two, 16)
        engine.post_cdr(self.cdr("ANSWERED"))

    # --- unanswered ------------------------------------------------------------

    def drop_one(self, cause: int) -> None:
        """The dialler hangs up ;1 (no answer, or answered elsewhere)."""
        self.cancel_timer()
        self.engine.hangup_request(self.two, cause)
        self.engine.hangup(self.one, cause)

    def finish_two(self, cause: int) -> None:
        """The ;2 half follows; its CDR says FAILED for a plain timeout, NO ANSWER when cancelled."""
        self.engine.soft_hangup_request(self.two)
        self.engine.hangup(self.two, cause)

    def cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def cdr(self, disposition: str) -> CdrRecord:
        two = self.two
        return CdrRecord(
            channel=two, destination=self.agent_id, context=self.context, caller=two.caller,
            start=two.created_at, last_app=two.application, last_data=two.app_data,
            answer=two.answered_at, end=self.engine.clock.now(), disposition=disposition,
        )
