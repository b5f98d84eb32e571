"""Which script scores a call: among the active ones that apply to it, the most specific.

A script applies when its direction is the call's (or ``any``), and its
dialled numbers and groups, when it lists any, include the call's DID and
one of the answering manager's groups. A script naming the DID beats one
naming a group, which beats one naming only a direction; among equals the
newest version wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from qa.script import Direction


class ScriptScope(Protocol):
    id: int
    direction: str
    dids: list
    groups: list


S = TypeVar("S", bound=ScriptScope)


@dataclass(frozen=True)
class CallFacts:
    direction: str  # inbound, outbound
    did: str | None
    groups: Sequence[str]  # the answering manager's groups


def choose_script(scripts: Sequence[S], call: CallFacts) -> S | None:
    fitting = [(_specificity(script, call), script.id, script) for script in scripts]
    fitting = [entry for entry in fitting if entry[0] is not None]
    return max(fitting, key=lambda entry: (entry[0], entry[1]))[2] if fitting else None


def _specificity(script: ScriptScope, call: CallFacts) -> int | None:
    """How specifically ``script`` names the call; None when it does not apply."""
    if script.direction not in (Direction.ANY, call.direction):
        return None
    did = _digits(call.did)
    if script.dids and did not in {_digits(number) for number in script.dids}:
        return None
    if script.groups and not set(script.groups) & set(call.groups):
        return None
    return 4 * bool(script.dids) + 2 * bool(script.groups) + (script.direction != Direction.ANY)


def _digits(number: str | None) -> str:
    return "".join(char for char in number or "" if char.isdigit())
