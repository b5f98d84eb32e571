"""The FastAGI ``decide``: looks up what ``routing.decide`` needs and answers
with channel variables.

The hot path is one Redis round trip (``routing.snapshot``): the caller's
owner (``OwnerIndex``: every known number's owner, built from the database and
kept current), who is on a call and who talked when (``routing.presence``),
and the round-robin positions (hash ``routing:round_robin``). A decision that
moves a round robin claims the turn in one atomic step (``routing.snapshot``'s
``advance``: only if nobody moved it since the read), and decides again on the
new positions when another decision got there first: two callers at once never
ring the same manager first. Managers, DID rules and group chains (the "directory") come from
the database and are kept in process: reloaded in the background every
``directory_ttl`` seconds (one load at a time), and on the next call after a
change made through the API; when reloading fails, the last directory goes on
serving.

The IVR choice, if the dialplan asked the caller, is the AGI's first argument:
``AGI(agi://host/route,2)``.

Any failure, or taking longer than ``deadline``, answers with the fallback plan
(straight to the default queue) encoded the same way; the call is never held up.
Each decision is reported to ``on_decision`` (metrics) with its outcome.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import selectinload

from callcenter.bus import MANAGERS_CHANGED, ROUTING_CHANGED, DomainEvent, EventBus
from callcenter.clock import Clock
from callcenter.phones import DEFAULT_REGION, normalize_phone
from pbx.agi.server import AgiRequest
from routing.channel_vars import plan_variables
from routing.decide import decide, fallback_plan
from routing.model import CallStats, DidRule, FallbackChain, IncomingCall, ManagerState, RoutePlan
from routing.owner_index import OwnerIndex
from routing.presence import Presence, PresenceView
from routing.rules import RuleBook, StoredRule
from routing.schedule import split_holidays
from routing.snapshot import SnapshotReader
from storage.models import Group, Manager, RoutingRule

log = logging.getLogger(__name__)

IVR_CHOICE = re.compile(r"[0-9*#]{1,4}")

ROUTED, FALLBACK_TIMEOUT, FALLBACK_ERROR = "routed", "timeout", "error"
OWNER_UNAVAILABLE, NOBODY_TO_RING = "owner unavailable", "nobody to ring"
ROUND_ROBIN_TRIES = 5  # decisions in a row that may find their round robin moved by another
DecisionObserver = Callable[[str, float, RoutePlan], None]
"""Told each decision's outcome (``ROUTED`` or a fallback's cause), its seconds and plan."""


@dataclass(frozen=True)
class Directory:
    """The slowly changing part of routing: active managers and the rules,
    with what every decision derives from them worked out once."""

    managers: tuple[ManagerState, ...]
    rules: RuleBook
    loaded_at: datetime
    group_chains: Mapping[str, FallbackChain]  # of the managers' groups that have a chain of their own
    uses_call_history: bool  # some chain's strategy ranks managers by their call history
    _did_rules: dict[str, DidRule] = field(default_factory=dict)
    _marked_managers: dict[tuple[str, bool, bool], ManagerState] = field(default_factory=dict)

    @classmethod
    def build(cls, managers: tuple[ManagerState, ...], rules: RuleBook, loaded_at: datetime) -> Directory:
        groups = {group for manager in managers for group in manager.groups}
        own = {group: chain for group, chain in rules.chains_of_groups.items() if group in groups}
        return cls(managers, rules, loaded_at, own, rules.uses_call_history())

    def managers_now(self, presence: PresenceView) -> list[ManagerState]:
        """The managers, marked on a call or paused as ``presence`` says."""
        busy = presence.on_call | presence.paused
        return [
            self._marked(manager, manager.extension in presence.on_call, manager.extension in presence.paused)
            if manager.extension in busy else manager
            for manager in self.managers
        ]

    def _marked(self, manager: ManagerState, on_call: bool, paused: bool) -> ManagerState:
        """``manager`` on a call and/or paused, made once per directory."""
        key = (manager.extension, on_call, paused)
        marked = self._marked_managers.get(key)
        if marked is None:
            marked = self._marked_managers[key] = replace(manager, on_call=on_call, paused=paused)
        return marked

    def did_rule(self, did: str) -> DidRule:
        """``RuleBook.did_rule``, remembered per DID."""
        rule = self._did_rules.get(did)
        if rule is None:
            rule = self._did_rules[did] = self.rules.did_rule(did)
        return rule


def fallback_reason(outcome: str, plan: RoutePlan) -> str | None:
    """Why a decision did not ring the caller's first choice: the lookups failed
    or were late, the owner could not take the call, or there was nobody to ring."""
    if outcome != ROUTED:
        return outcome
    if not plan.attempts:
        return NOBODY_TO_RING
    if plan.owner is not None and plan.attempts[0].targets != (plan.owner,):
        return OWNER_UNAVAILABLE
    return None


def ivr_choice(request: AgiRequest) -> str | None:
    """The caller's IVR choice, passed as the AGI's first argument; None if there is none."""
    choice = request.env.get("agi_arg_1", "").strip()
    return choice if IVR_CHOICE.fullmatch(choice) else None


class RoutingService:
    """``decide`` for ``FastAgiServer``: the route of one incoming call as channel variables."""

    def __init__(
        self,
        sessions: async_sessionmaker,
        redis: Redis,
        clock: Clock,
        *,
        default_queue: str = "sales",
        deadline: float = 0.25,
        region: str = DEFAULT_REGION,
        directory_ttl: float = 5.0,
        owners: OwnerIndex | None = None,
        on_decision: DecisionObserver | None = None,
    ) -> None:
        """``owners``: the owner index (by default one on ``sessions`` and ``redis``)."""
        self._sessions = sessions
        self._redis = redis
        self._snapshots = SnapshotReader(redis, Presence(redis))
        self._clock = clock
        self.owners = owners or OwnerIndex(sessions, redis, clock)
        self.default_queue = default_queue
        self.deadline = deadline
        self._region = region
        self._directory_ttl = timedelta(seconds=directory_ttl)
        self._directory: Directory | None = None
        self._loading: asyncio.Task[Directory | None] | None = None
        self._generation = 0  # counts forget_directory calls: a load started before one is not kept
        self._on_decision = on_decision

    async def decide(self, request: AgiRequest) -> dict[str, str]:
        """The channel variables for ``request``; the fallback plan's on any failure or past the deadline."""
        started = time.perf_counter()
        outcome = ROUTED
        try:
            async with asyncio.timeout(self.deadline):
                plan = await self.plan(request)
        except TimeoutError:
            log.warning("routing %s took over %.2f s; default queue", request.channel, self.deadline)
            outcome, plan = FALLBACK_TIMEOUT, fallback_plan(self.default_queue)
        except Exception:
            log.exception("routing %s failed; default queue", request.channel)
            outcome, plan = FALLBACK_ERROR, fallback_plan(self.default_queue)
        if self._on_decision is not None:
            self._on_decision(outcome, time.perf_counter() - started, plan)
        return plan_variables(plan)

    async def plan(self, request: AgiRequest) -> RoutePlan:
        """The plan for ``request``; raises when a lookup fails (``decide`` falls back)."""
        now = self._clock.now()
        caller = normalize_phone(request.callerid, self._region)
        call = IncomingCall(caller=caller, did=request.extension, at=now, ivr_choice=ivr_choice(request))
        directory = await self.directory()
        for _ in range(ROUND_ROBIN_TRIES):
            snapshot = await self._snapshots.read(now, caller, call_history=directory.uses_call_history)
            view = snapshot.presence
            owner = await self.owners.owner(caller, snapshot.owner) if caller else None
            plan = decide(
                call,
                owner=owner,
                managers=directory.managers_now(view),
                group_chains=directory.group_chains,
                did_rules={call.did: directory.did_rule(call.did)},
                stats=CallStats(last_call_ended=view.last_call_ended, calls_today=view.calls_today),
                round_robin=snapshot.round_robin,
                default_queue=self.default_queue,
            )
            if not plan.round_robin or await self._snapshots.advance(snapshot.round_robin, plan.round_robin):
                return plan
        log.warning("routing %s: the round robin moved under %d decisions in a row; ringing as planned",
                    request.channel, ROUND_ROBIN_TRIES)
        return plan

    async def stop(self) -> None:
        """Stop keeping the owner index."""
        await self.owners.stop()

    def subscribe(self, bus: EventBus) -> None:
        """Keep the owner index current (subscribe after the lead service: an
        ended call may have made a lead with an owner); drop the directory when
        managers, groups or rules change."""
        self.owners.subscribe(bus)
        bus.subscribe(MANAGERS_CHANGED, self._on_directory_changed)
        bus.subscribe(ROUTING_CHANGED, self._on_directory_changed)

    async def _on_directory_changed(self, _event: DomainEvent) -> None:
        self.forget_directory()

    async def directory(self) -> Directory:
        """Managers and rules. Loaded on first use and after ``forget_directory``;
        once older than ``directory_ttl``, reloaded in the background while
        calls go on with the last one (as they do while reloading fails)."""
        current = self._directory
        if current is None:
            loaded = await asyncio.shield(self._reload())
            if loaded is None:
                raise RuntimeError("managers and routing rules could not be loaded")
            return loaded
        if self._clock.now() - current.loaded_at >= self._directory_ttl:
            self._reload()
        return current

    def forget_directory(self) -> None:
        """Reload managers and rules on the next call (after they change)."""
        self._directory = None
        self._loading = None
        self._generation += 1

    def _reload(self) -> asyncio.Task[Directory | None]:
        """The load in flight, else a new one: one at a time, however many calls ask."""
        if self._loading is None:
            self._loading = asyncio.create_task(self._load(self._generation), name="routing-directory")
        return self._loading

    async def _load(self, generation: int) -> Directory | None:
        """Load the directory and keep it, unless it was forgotten meanwhile; None if loading fails."""
        try:
            directory = await self._load_directory(self._clock.now())
        except Exception:
            log.exception("loading managers and routing rules failed; serving the last ones, if any")
            return None
        finally:
            if self._loading is asyncio.current_task():
                self._loading = None
        if generation == self._generation:
            self._directory = directory
        return directory

    async def _load_directory(self, now: datetime) -> Directory:
        async with self._sessions() as session:
            managers = await session.scalars(
                select(Manager).where(Manager.active.is_(True)).options(selectinload(Manager.groups))
            )
            states = tuple(_manager_state(row) for row in managers)
            rules = await session.scalars(select(RoutingRule).where(RoutingRule.active.is_(True)))
            stored = [StoredRule(rule.did, rule.chain, rule.source, rule.ivr or {}) for rule in rules]
            group_chains = {name: chain for name, chain in await session.execute(select(Group.name, Group.chain))}
        return Directory.build(states, RuleBook.build(stored, group_chains, self.default_queue), now)


def _manager_state(row: Manager) -> ManagerState:
    hours, holidays = split_holidays(row.working_hours or {})
    return ManagerState(
        extension=row.extension,
        name=row.name,
        groups=tuple(sorted(group.name for group in row.groups)),
        timezone=row.timezone or "Europe/Moscow",
        working_hours=hours,
        holidays=holidays,
        do_not_disturb=row.do_not_disturb,
        absent=row.absent,
    )
