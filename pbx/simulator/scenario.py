"""Scenario files: agents, calls and an optional load run (YAML), with clear errors."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from pbx.simulator.engine import DIALPLANS

AGENT_STATES = ("available", "away", "busy")
SCENARIO_DIR = Path(__file__).parent / "scenarios"


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class AgentSpec:
    id: str
    name: str = ""
    state: str = "available"
    ring_seconds: float = 2.0

    @property
    def member_name(self) -> str:
        return self.name or f"Agent {self.id}"


@dataclass(frozen=True)
class CallSpec:
    did: str
    caller_number: str = ""
    caller_name: str = ""
    audio: str = ""  # a corpus call such as "call003"; empty: the stock test prompt
    patience: float | None = None  # seconds the caller waits for an answer before hanging up
    split_recording: bool = False
    start: float = 0.0  # seconds after the scenario starts
    agent_states: dict[str, str] = field(default_factory=dict)  # per call: __AGENT_<id>_STATE
    agent_talk_seconds: float | None = None


@dataclass(frozen=True)
class LoadSpec:
    calls_per_second: float
    count: int
    template: CallSpec


@dataclass(frozen=True)
class Scenario:
    agents: list[AgentSpec]
    calls: list[CallSpec]
    load: LoadSpec | None = None
    dialplan: str | None = None  # "reference" or "production"; None: the simulator's own


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario; a bare name means ``pbx/simulator/scenarios/<name>.yaml``."""
    path = Path(path)
    if not path.suffix:
        path = SCENARIO_DIR / f"{path}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ScenarioError(f"{path}: cannot read: {error.strerror}") from error
    except yaml.YAMLError as error:
        raise ScenarioError(f"{path}: not valid YAML: {error}") from error
    return parse_scenario(data, str(path))


def parse_scenario(data: Any, where: str = "scenario") -> Scenario:
    top = _mapping(data, where, required=("calls",), optional=("agents", "load", "dialplan"))
    agents = [_agent(item, f"{where}: agents[{i}]") for i, item in enumerate(_list(top.get("agents", []), f"{where}: agents"))]
    ids = [agent.id for agent in agents]
    if len(set(ids)) != len(ids):
        raise ScenarioError(f"{where}: agents: duplicate id")
    calls = [_call(item, f"{where}: calls[{i}]") for i, item in enumerate(_list(top["calls"], f"{where}: calls"))]
    load = _load(top["load"], f"{where}: load") if "load" in top else None
    if not calls and load is None:
        raise ScenarioError(f"{where}: calls: need at least one call (or a load section)")
    dialplan = _dialplan(top["dialplan"], f"{where}: dialplan") if "dialplan" in top else None
    return Scenario(agents or default_agents(), calls, load, dialplan)


def _dialplan(item: Any, where: str) -> str:
    if item not in DIALPLANS:
        raise ScenarioError(f"{where}: {item!r} is not one of {', '.join(DIALPLANS)}")
    return item


def default_agents() -> list[AgentSpec]:
    """The agents of the reference extensions.conf and queues.conf."""
    return [AgentSpec("101"), AgentSpec("102"), AgentSpec("103", state="away")]


def _agent(item: Any, where: str) -> AgentSpec:
    raw = _mapping(item, where, required=("id",), optional=("name", "state", "ring_seconds"))
    state = _text(raw.get("state", "available"), f"{where}: state")
    if state not in AGENT_STATES:
        raise ScenarioError(f"{where}: state: {state!r} is not one of {', '.join(AGENT_STATES)}")
    return AgentSpec(
        id=_identifier(raw["id"], f"{where}: id"), name=_text(raw.get("name", ""), f"{where}: name"),
        state=state, ring_seconds=_number(raw.get("ring_seconds", 2), f"{where}: ring_seconds"),
    )


CALL_KEYS = tuple(f.name for f in fields(CallSpec))


def _call(item: Any, where: str) -> CallSpec:
    raw = _mapping(item, where, required=("did",), optional=CALL_KEYS[1:])
    states = _mapping(raw.get("agent_states", {}), f"{where}: agent_states", required=(), optional=None)
    for agent_id, state in states.items():
        _identifier(agent_id, f"{where}: agent_states")
        if state not in AGENT_STATES:
            raise ScenarioError(f"{where}: agent_states: {agent_id}: {state!r} is not one of {', '.join(AGENT_STATES)}")
    split = raw.get("split_recording", False)
    if not isinstance(split, bool):
        raise ScenarioError(f"{where}: split_recording: expected true or false, got {split!r}")
    optional_number = {
        key: None if raw.get(key) is None else _number(raw[key], f"{where}: {key}")
        for key in ("patience", "agent_talk_seconds")
    }
    return CallSpec(
        did=_digits(raw["did"], f"{where}: did"),
        caller_number=_text(raw.get("caller_number", ""), f"{where}: caller_number"),
        caller_name=_text(raw.get("caller_name", ""), f"{where}: caller_name"),
        audio=_text(raw.get("audio", ""), f"{where}: audio"),
        split_recording=split, start=_number(raw.get("start", 0), f"{where}: start"),
        agent_states={str(k): str(v) for k, v in states.items()}, **optional_number,
    )


def _load(item: Any, where: str) -> LoadSpec:
    raw = _mapping(item, where, required=("calls_per_second", "count", "call"), optional=())
    count = raw["count"]
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ScenarioError(f"{where}: count: expected a whole number >= 1, got {count!r}")
    rate = _number(raw["calls_per_second"], f"{where}: calls_per_second")
    if rate == 0:
        raise ScenarioError(f"{where}: calls_per_second: must be above 0")
    return LoadSpec(rate, count, _call(raw["call"], f"{where}: call"))


def _mapping(item: Any, where: str, required: tuple[str, ...], optional: tuple[str, ...] | None) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise ScenarioError(f"{where}: expected a mapping, got {type(item).__name__}")
    missing = [key for key in required if key not in item]
    if missing:
        raise ScenarioError(f"{where}: missing {', '.join(missing)}")
    if optional is not None:
        unknown = sorted(str(key) for key in item if key not in required and key not in optional)
        if unknown:
            allowed = ", ".join((*required, *optional))
            raise ScenarioError(f"{where}: unknown key {', '.join(unknown)} (allowed: {allowed})")
    return item


def _list(item: Any, where: str) -> list[Any]:
    if not isinstance(item, list):
        raise ScenarioError(f"{where}: expected a list, got {type(item).__name__}")
    return item


def _text(item: Any, where: str) -> str:
    if isinstance(item, bool) or not isinstance(item, (str, int)):
        raise ScenarioError(f"{where}: expected text, got {item!r}")
    return str(item)


def _identifier(item: Any, where: str) -> str:
    text = _text(item, where)
    if not text or not text.replace("_", "").isalnum() or not text.isascii():
        raise ScenarioError(f"{where}: {text!r} is not a valid extension (letters, digits, _)")
    return text


def _digits(item: Any, where: str) -> str:
    text = _text(item, where)
    if not text.isdigit() or not text.isascii():
        raise ScenarioError(f"{where}: {text!r} is not a number of digits")
    return text


def _number(item: Any, where: str) -> float:
    if isinstance(item, bool) or not isinstance(item, (int, float)) or not math.isfinite(item) or item < 0:
        raise ScenarioError(f"{where}: expected a number >= 0, got {item!r}")
    return float(item)
