"""Routing rules as data: the stored form of fallback chains, DID rules and
group chains, validated, and the rule book routing reads them from.

A chain is stored as JSON (``routing_rules.chain``/``ivr``, ``groups.chain``)::

    {"steps": [{"kind": "owner", "ring_seconds": 20},
               {"kind": "group", "group": "sales", "strategy": "round_robin", "ring_seconds": 15},
               {"kind": "extension", "extension": "100", "ring_seconds": 20}],
     "queue": "sales", "voicemail": null}

``ChainSpec`` validates that form (the API uses it for requests, routing for
what it reads back) and turns it into a ``FallbackChain``. ``RuleBook`` holds
one snapshot of the tables: the rule of each DID (an exact match, else the
catch-all DID ``*``, else the default group's chain) and the chain of each
group (its own, else round-robin over its managers).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from routing.model import (
    DEFAULT_RING_SECONDS,
    DidRule,
    ExtensionStep,
    HISTORY_STRATEGIES,
    FallbackChain,
    GroupStep,
    OwnerStep,
    Step,
    Strategy,
)

log = logging.getLogger(__name__)

CATCH_ALL_DID = "*"
MAX_STEPS = 10
RingSeconds = Annotated[int, Field(ge=3, le=300)]
Name = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.+\-]+$")]
Mailbox = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.+\-]+(@[A-Za-z0-9_.\-]+)?$")]
IvrDigit = Annotated[str, Field(pattern=r"^[0-9*#]{1,4}$")]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OwnerStepSpec(_Spec):
    kind: Literal["owner"] = "owner"
    ring_seconds: RingSeconds = DEFAULT_RING_SECONDS


class GroupStepSpec(_Spec):
    kind: Literal["group"] = "group"
    group: Annotated[str, Field(min_length=1, max_length=100)]
    strategy: Strategy = Strategy.ROUND_ROBIN
    ring_seconds: RingSeconds = DEFAULT_RING_SECONDS


class ExtensionStepSpec(_Spec):
    kind: Literal["extension"] = "extension"
    extension: Name
    ring_seconds: RingSeconds = DEFAULT_RING_SECONDS


StepSpec = Annotated[OwnerStepSpec | GroupStepSpec | ExtensionStepSpec, Field(discriminator="kind")]


class ChainSpec(_Spec):
    """A fallback chain as stored and as the API takes it."""

    steps: Annotated[list[StepSpec], Field(max_length=MAX_STEPS)] = []
    queue: Name | None = None
    voicemail: Mailbox | None = None

    def to_chain(self) -> FallbackChain:
        return FallbackChain(steps=tuple(_step(spec) for spec in self.steps), queue=self.queue, voicemail=self.voicemail)


def _step(spec: OwnerStepSpec | GroupStepSpec | ExtensionStepSpec) -> Step:
    match spec:
        case OwnerStepSpec():
            return OwnerStep(spec.ring_seconds)
        case GroupStepSpec():
            return GroupStep(spec.group, spec.strategy, spec.ring_seconds)
        case ExtensionStepSpec():
            return ExtensionStep(spec.extension, spec.ring_seconds)
    raise TypeError(f"unknown step {spec!r}")


def parse_chain(stored: Mapping | None) -> FallbackChain | None:
    """The chain stored as ``stored`` (None stays None); raises ``pydantic.ValidationError`` if malformed."""
    return None if stored is None else ChainSpec.model_validate(stored).to_chain()


@dataclass(frozen=True)
class StoredRule:
    """One ``routing_rules`` row as routing needs it."""

    did: str
    chain: Mapping
    source: str | None = None
    ivr: Mapping[str, Mapping] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleBook:
    """The DID rules and group chains of one moment, ready for ``routing.decide``."""

    did_rules: Mapping[str, DidRule]
    chains_of_groups: Mapping[str, FallbackChain]
    default_group: str

    problems: tuple[str, ...] = ()  # rows left out because they do not validate

    @classmethod
    def build(
        cls, rules: Sequence[StoredRule], group_chains: Mapping[str, Mapping | None], default_group: str
    ) -> RuleBook:
        """From stored rows. A malformed row (edited behind the API's back) is
        left out and logged: its DID or group is routed as if it had none."""
        did_rules: dict[str, DidRule] = {}
        chains: dict[str, FallbackChain] = {}
        problems: list[str] = []
        for rule in rules:
            try:
                did_rules[rule.did] = DidRule(
                    chain=parse_chain(rule.chain),
                    source=rule.source,
                    ivr={digit: parse_chain(chain) for digit, chain in rule.ivr.items()},
                )
            except ValidationError as error:
                problems.append(f"rule of DID {rule.did}: {error.error_count()} error(s)")
        for group, stored in group_chains.items():
            try:
                if (chain := parse_chain(stored)) is not None:
                    chains[group] = chain
            except ValidationError as error:
                problems.append(f"chain of group {group}: {error.error_count()} error(s)")
        for problem in problems:
            log.error("routing rules: %s left out", problem)
        return cls(did_rules, chains, default_group, problems=tuple(problems))

    def did_rule(self, did: str) -> DidRule:
        """The rule of ``did``: its own, the catch-all's, or the default group's chain."""
        rule = self.did_rules.get(did) or self.did_rules.get(CATCH_ALL_DID)
        if rule is not None:
            return rule
        return DidRule(chain=self.group_chains([self.default_group])[self.default_group])

    def uses_call_history(self) -> bool:
        """Whether a chain ranks a group by its managers' call history
        (``CallStats``: least recent, fewest calls); round robin and ring all do not."""
        chains = [*self.chains_of_groups.values()]
        for rule in self.did_rules.values():
            chains += [rule.chain, *rule.ivr.values()]
        return any(
            isinstance(step, GroupStep) and step.strategy in HISTORY_STRATEGIES for chain in chains for step in chain.steps
        )

    def group_chains(self, groups: Sequence[str]) -> dict[str, FallbackChain]:
        """The chain of each of ``groups``: its own, else its managers by round-robin."""
        return {
            group: self.chains_of_groups.get(group) or FallbackChain(steps=(GroupStep(group),))
            for group in groups
        }
