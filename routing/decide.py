"""The routing decision for one incoming call, from values looked up beforehand.

- A known caller (a number and an ``owner``) rings the owner first, unless the
  chain places an ``OwnerStep`` itself; the chain is that of the owner's first
  group that has one, else the DID's. A new or anonymous caller follows the
  DID's chain, or the chain of their IVR choice. The DID's source is recorded.
- A round robin's turn moves only when its group rings first (nobody is planned
  before it, so its first manager is rung at once); a group reached after the
  owner or another attempt rings in turn but leaves the turn where it was.
- Each manager is judged once: absent, holiday, outside working hours, do not
  disturb, paused or on a call skips them with a reason; nobody rings twice.
- With nobody to ring the call goes to the chain's voicemail when the chain has
  one and none of the managers it judged is in working hours, else to the
  chain's queue. An unknown DID has an empty chain: the default queue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from routing.model import (
    CallStats,
    Destination,
    DestinationKind,
    DidRule,
    ExtensionStep,
    FallbackChain,
    GroupStep,
    IncomingCall,
    ManagerState,
    OwnerStep,
    RingAttempt,
    RoundRobinState,
    RoutePlan,
    Step,
)
from routing.schedule import off_duty_reason
from routing.strategies import ring_group


def decide(
    call: IncomingCall,
    *,
    owner: str | None,
    managers: Iterable[ManagerState],
    group_chains: Mapping[str, FallbackChain],
    did_rules: Mapping[str, DidRule],
    stats: CallStats,
    round_robin: RoundRobinState,
    default_queue: str,
) -> RoutePlan:
    """Plan the call; ``owner`` is the caller's responsible manager's extension, if any."""
    roster = {manager.extension: manager for manager in managers}
    owner = owner if call.caller is not None else None
    rule = did_rules.get(call.did)
    planner = _Planner(call.at, roster, stats, round_robin)
    if rule is None:
        planner.reasons.append(f"DID {call.did} has no rule")
    elif call.ivr_choice is not None and call.ivr_choice not in rule.ivr:
        planner.reasons.append(f"IVR choice {call.ivr_choice} has no chain")
    chain = _chain(call, roster.get(owner) if owner else None, rule, group_chains)
    steps = chain.steps
    if owner is not None and not any(isinstance(step, OwnerStep) for step in steps):
        steps = (OwnerStep(), *steps)
    for step in steps:
        planner.follow(step, owner)
    return RoutePlan(
        attempts=tuple(planner.attempts),
        destination=planner.destination(chain, default_queue),
        owner=owner,
        is_new_caller=owner is None,
        source=rule.source if rule else None,
        reasons=tuple(planner.reasons),
        round_robin=planner.round_robin_updates,
    )


def fallback_plan(default_queue: str) -> RoutePlan:
    """The plan when the lookups fail or are too slow: straight to the default queue."""
    return RoutePlan(
        attempts=(),
        destination=Destination(DestinationKind.QUEUE, default_queue),
        reasons=("routing data unavailable",),
    )


def _chain(
    call: IncomingCall,
    owner: ManagerState | None,
    rule: DidRule | None,
    group_chains: Mapping[str, FallbackChain],
) -> FallbackChain:
    if owner is not None:
        for group in owner.groups:
            if group in group_chains:
                return group_chains[group]
    if rule is None:
        return FallbackChain()
    return rule.ivr.get(call.ivr_choice, rule.chain) if call.ivr_choice else rule.chain


def _unavailability(manager: ManagerState, off_duty: str | None) -> str | None:
    """Why ``manager`` cannot take a call now, most lasting cause first."""
    causes = (
        (manager.absent, "absent"),
        (off_duty is not None, off_duty),
        (manager.do_not_disturb, "do not disturb"),
        (manager.paused, "paused"),
        (manager.on_call, "on a call"),
    )
    return next((cause for applies, cause in causes if applies), None)


class _Planner:
    """Collects one plan's attempts and reasons, judging each manager once."""

    def __init__(
        self, at: datetime, roster: Mapping[str, ManagerState], stats: CallStats, round_robin: RoundRobinState
    ) -> None:
        self._at = at
        self._roster = roster
        self._stats = stats
        self._round_robin = round_robin
        self._judged: dict[str, bool] = {}  # extension -> available
        self._in_hours: set[str] = set()
        self._rung: set[str] = set()
        self.attempts: list[RingAttempt] = []
        self.reasons: list[str] = []
        self.round_robin_updates: dict[str, str] = {}

    def follow(self, step: Step, owner: str | None) -> None:
        match step:
            case OwnerStep() if owner is not None:
                self._ring_owner(owner, step.ring_seconds)
            case ExtensionStep():
                if self._may_ring(step.extension):
                    self._add(RingAttempt((step.extension,), step.ring_seconds))
            case GroupStep():
                self._ring_group(step)

    def destination(self, chain: FallbackChain, default_queue: str) -> Destination:
        if self.attempts:
            return Destination(DestinationKind.QUEUE, chain.queue or default_queue)
        if chain.voicemail and self._judged and not self._in_hours:
            self.reasons.append("nobody in working hours: voicemail")
            return Destination(DestinationKind.VOICEMAIL, chain.voicemail)
        self.reasons.append("nobody to ring: straight to the queue")
        return Destination(DestinationKind.QUEUE, chain.queue or default_queue)

    def _ring_owner(self, owner: str, ring_seconds: int) -> None:
        if owner not in self._roster:
            self.reasons.append(f"owner {owner} skipped: not an active manager")
        elif self._may_ring(owner):
            self._add(RingAttempt((owner,), ring_seconds))

    def _ring_group(self, step: GroupStep) -> None:
        members = [extension for extension, manager in self._roster.items() if step.group in manager.groups]
        if not members:
            self.reasons.append(f"group {step.group} skipped: no managers")
            return
        previous = self.round_robin_updates.get(step.group, self._round_robin.get(step.group))
        available = [extension for extension in members if self._may_ring(extension)]
        attempts, last_served = ring_group(step, available, self._stats, previous)
        if not attempts:
            self.reasons.append(f"group {step.group} skipped: nobody left to ring")
        if last_served is not None and last_served != previous and not self.attempts:
            self.round_robin_updates[step.group] = last_served
        for attempt in attempts:
            self._add(attempt)

    def _may_ring(self, extension: str) -> bool:
        """Not rung yet, and available; an extension that is no manager (a reception phone) always is."""
        if extension in self._rung:
            return False
        manager = self._roster.get(extension)
        return manager is None or self._judge(manager)

    def _judge(self, manager: ManagerState) -> bool:
        if manager.extension not in self._judged:
            try:
                off_duty = off_duty_reason(manager, self._at)
            except ValueError as error:
                off_duty = f"invalid working hours ({error})"
            if off_duty is None:
                self._in_hours.add(manager.extension)
            reason = _unavailability(manager, off_duty)
            if reason:
                self.reasons.append(f"{manager.extension} skipped: {reason}")
            self._judged[manager.extension] = reason is None
        return self._judged[manager.extension]

    def _add(self, attempt: RingAttempt) -> None:
        self.attempts.append(attempt)
        self._rung.update(attempt.targets)
