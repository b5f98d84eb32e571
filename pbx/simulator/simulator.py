"""The simulator: engine + AMI actions + settings; places calls and runs scenarios."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

from pbx.simulator.actions import register_actions
from pbx.simulator.call import InboundCall, OriginateRequest
from pbx.simulator.channel import UNKNOWN, Party
from pbx.simulator.engine import REFERENCE, EngineConfig, PbxEngine
from pbx.simulator.outbound import CallbackRequest, OutboundCall
from pbx.simulator.queue import QueueMember
from pbx.simulator.scenario import AgentSpec, CallSpec, Scenario, default_agents

log = logging.getLogger(__name__)
STOCK_CALLER_AUDIO = "/var/lib/asterisk/sounds/custom/test"
ActionHandler = Callable[[Any, dict[str, str]], Awaitable[list[dict[str, str]]]]


class AmiPort(Protocol):
    """What the simulator needs from ``pbx.simulator.ami_server.AmiServer``."""

    def register_action(self, name: str, handler: ActionHandler) -> None: ...

    def emit(self, event: dict[str, str]) -> None: ...


class Simulator:
    def __init__(self, ami_server: AmiPort, agi_host: str, agi_port: int, recordings_dir: str | Path,
                 corpus_dir: str | Path, speed: float = 1.0, agents: list[AgentSpec] | None = None,
                 dialplan: str = REFERENCE, cdr_csv: str | Path | None = None) -> None:
        config = EngineConfig(agi_host, agi_port, Path(recordings_dir).resolve(), speed, dialplan=dialplan,
                              cdr_csv=None if cdr_csv is None else Path(cdr_csv))
        self.engine = PbxEngine(config, ami_server.emit)
        self.corpus_dir = Path(corpus_dir)
        self.calls: dict[str, InboundCall | OutboundCall] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.configure_agents(agents or default_agents())
        register_actions(ami_server, self)

    def configure_agents(self, agents: list[AgentSpec]) -> None:
        """Global AGENT_<id>_STATE / ring time, and the queue members, as a scenario lists them."""
        for agent in agents:
            self.engine.globals[f"AGENT_{agent.id}_STATE"] = agent.state
            self.engine.globals[f"AGENT_{agent.id}_RING_SECONDS"] = f"{agent.ring_seconds:g}"
        self.engine.queue.members = [QueueMember(agent.id, agent.member_name) for agent in agents]

    def originate(self, request: OriginateRequest | CallbackRequest) -> InboundCall | OutboundCall:
        """Start a call now (inbound, or a click-to-call); its Newchannel events are emitted before this returns."""
        call: InboundCall | OutboundCall
        if isinstance(request, OriginateRequest):
            call = InboundCall(self.engine, request)
        else:
            call = OutboundCall(self.engine, request)
        self.calls[call.linkedid] = call
        task = asyncio.create_task(call.run(), name=f"call {call.linkedid}")
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return call

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("simulated call failed", exc_info=task.exception())

    async def place_call(self, spec: CallSpec, action_id: str = "") -> str:
        """Originate ``spec``; returns the call's Linkedid. ``action_id`` tags its OriginateResponse."""
        request = self.request_for(spec)
        request.action_id = action_id
        return self.originate(request).linkedid

    async def wait_call(self, linkedid: str) -> InboundCall | OutboundCall:
        call = self.calls[linkedid]
        await asyncio.shield(call.done)
        return call

    async def run_scenario(self, scenario: Scenario) -> list[str]:
        """Place the scenario's calls (and its load run) at their offsets; wait for all to end.
        A scenario that names a dialplan switches the simulator to it."""
        if scenario.dialplan is not None:
            self.engine.config.dialplan = scenario.dialplan
        self.configure_agents(scenario.agents)
        clock = self.engine.clock
        plan = [(call.start, call) for call in scenario.calls]
        if scenario.load is not None:
            step = 1 / scenario.load.calls_per_second
            plan += [(scenario.load.template.start + i * step, scenario.load.template) for i in range(scenario.load.count)]
        began, linkedids = clock.now(), []
        for offset, spec in sorted(plan, key=lambda item: item[0]):
            await clock.sleep_until(began + offset)
            linkedids.append(await self.place_call(spec))
        for linkedid in linkedids:
            await self.wait_call(linkedid)
        return linkedids

    def request_for(self, spec: CallSpec) -> OriginateRequest:
        """The Originate variables a real test harness would send for ``spec``."""
        audio = str(self.corpus_dir / spec.audio) if spec.audio else ""
        variables = [("CALLER_AUDIO", audio or STOCK_CALLER_AUDIO)]
        if spec.split_recording:
            variables.append(("SPLIT_REC", "1"))
        if audio:
            variables.append(("__AGENT_AUDIO", audio))
        if spec.agent_talk_seconds is not None:
            variables.append(("__AGENT_TALK_SECONDS", f"{spec.agent_talk_seconds:g}"))
        variables += [(f"__AGENT_{agent}_STATE", state) for agent, state in spec.agent_states.items()]
        caller = Party(spec.caller_number or UNKNOWN, spec.caller_name or UNKNOWN)
        return OriginateRequest(spec.did, caller, variables, timeout=spec.patience)

    async def close(self) -> None:
        """Cancel calls still running."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
