"""The FastAGI ``decide``: looks up what ``routing.decide`` needs and answers
with channel variables.

The hot path is one Redis round trip: the caller's owner
(``routing:owner:<e164>``, filled from the database on a miss and kept for
``owner_ttl`` seconds, an unknown number cached as empty), who is on a call and
who talked when (``routing.presence``), and the round-robin positions (hash
``routing:round_robin``, written back after a decision that moved them).
Managers, DID rules and group chains (the "directory") come from the database
and are kept in process for ``directory_ttl`` seconds; when reloading them
fails, the last directory goes on serving.

The owner of a number is the responsible manager of the client with that
phone, else the owner of the open lead for it. The IVR choice, if the dialplan
asked the caller, is the AGI's first argument: ``AGI(agi://host/route,2)``.

Any failure, or taking longer than ``deadline``, answers with the fallback plan
(straight to the default queue) encoded the same way; the call is never held up.
Each decision is reported to ``on_decision`` (metrics) with its outcome.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from redis.asyncio import Redis
from sqlalchemy import Select, bindparam, literal, select, union_all
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import selectinload

from callcenter.bus import CALL_ENDED, CLIENT_CHANGED, MANAGERS_CHANGED, ROUTING_CHANGED, DomainEvent, EventBus
from callcenter.clock import Clock
from callcenter.phones import DEFAULT_REGION, normalize_phone
from crm.events import ClientChanged, ManagersChanged
from crm.leads import LEAD_OPEN
from pbx.agi.server import AgiRequest
from pbx.tracker.model import CallRecord
from routing.channel_vars import plan_variables
from routing.decide import decide, fallback_plan
from routing.model import CallStats, IncomingCall, ManagerState, RoutePlan
from routing.presence import Presence
from routing.rules import RuleBook, StoredRule
from storage.models import Client, ClientPhone, Group, Lead, Manager, RoutingRule

log = logging.getLogger(__name__)

OWNER_KEY = "routing:owner:{phone}"
ROUND_ROBIN_KEY = "routing:round_robin"
NO_OWNER = ""  # cached for a number with no client or no responsible manager
IVR_CHOICE = re.compile(r"[0-9*#]{1,4}")

ROUTED, FALLBACK_TIMEOUT, FALLBACK_ERROR = "routed", "timeout", "error"
OWNER_UNAVAILABLE, NOBODY_TO_RING = "owner unavailable", "nobody to ring"
DecisionObserver = Callable[[str, float, RoutePlan], None]
"""Told each decision's outcome (``ROUTED`` or a fallback's cause), its seconds and plan."""


@dataclass(frozen=True)
class Directory:
    """The slowly changing part of routing: active managers and the rules."""

    managers: tuple[ManagerState, ...]
    rules: RuleBook
    loaded_at: datetime


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
        owner_ttl: int = 60,
        directory_ttl: float = 5.0,
        on_decision: DecisionObserver | None = None,
    ) -> None:
        self._sessions = sessions
        self._redis = redis
        self._presence = Presence(redis)
        self._clock = clock
        self.default_queue = default_queue
        self.deadline = deadline
        self._region = region
        self._owner_ttl = owner_ttl
        self._directory_ttl = timedelta(seconds=directory_ttl)
        self._directory: Directory | None = None
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
        async with self._redis.pipeline(transaction=False) as pipe:
            if caller:
                pipe.get(OWNER_KEY.format(phone=caller))
            pipe.hgetall(ROUND_ROBIN_KEY)
            self._presence.add_view(pipe, now)
            results = await pipe.execute()
        owner = None
        if caller:
            cached_owner = results.pop(0)
            owner = await self._owner_from_database(caller) if cached_owner is None else cached_owner or None
        round_robin, *presence_results = results
        view = Presence.view(presence_results)
        managers = [replace(m, on_call=True) if m.extension in view.on_call else m for m in directory.managers]
        groups = sorted({group for manager in managers for group in manager.groups})
        rule = directory.rules.did_rule(call.did)
        plan = decide(
            call,
            owner=owner,
            managers=managers,
            group_chains=directory.rules.group_chains(groups),
            did_rules={call.did: rule},
            stats=CallStats(last_call_ended=view.last_call_ended, calls_today=view.calls_today),
            round_robin=round_robin,
            default_queue=self.default_queue,
        )
        if plan.round_robin:
            await self._redis.hset(ROUND_ROBIN_KEY, mapping=dict(plan.round_robin))
        return plan

    def subscribe(self, bus: EventBus) -> None:
        """Drop what changed from the caches: a caller's owner when their call
        ends (subscribe after the lead service: the call may have made a lead
        with an owner) or their client changes; the directory when managers,
        groups or rules change."""
        bus.subscribe(CALL_ENDED, self._on_call_ended)
        bus.subscribe(CLIENT_CHANGED, self._on_phones_changed)
        bus.subscribe(MANAGERS_CHANGED, self._on_managers_changed)
        bus.subscribe(ROUTING_CHANGED, self._on_routing_changed)

    async def _on_call_ended(self, event: DomainEvent) -> None:
        record: CallRecord = event.payload
        await self._forget_owners({record.caller_number, record.callee_number} - {None})

    async def _on_phones_changed(self, event: DomainEvent) -> None:
        changed: ClientChanged | ManagersChanged = event.payload
        await self._forget_owners(changed.phones)

    async def _on_managers_changed(self, event: DomainEvent) -> None:
        self.forget_directory()
        await self._on_phones_changed(event)

    async def _on_routing_changed(self, _event: DomainEvent) -> None:
        self.forget_directory()

    async def _forget_owners(self, phones: Iterable[str]) -> None:
        for phone in phones:
            await self.forget_owner(phone)

    async def _owner_from_database(self, phone: str) -> str | None:
        async with self._sessions() as session:
            connection = await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            extension = await connection.scalar(OWNER_QUERY, {"phone": phone})  # one statement, no BEGIN/ROLLBACK
        await self._redis.set(OWNER_KEY.format(phone=phone), extension or NO_OWNER, ex=self._owner_ttl)
        return extension

    async def forget_owner(self, phone: str) -> None:
        """Drop the cached owner of ``phone`` (after a client, a lead or its manager changes)."""
        await self._redis.delete(OWNER_KEY.format(phone=phone))

    async def directory(self) -> Directory:
        """Managers and rules, reloaded every ``directory_ttl``; the last ones if reloading fails."""
        now = self._clock.now()
        current = self._directory
        if current is not None and now - current.loaded_at < self._directory_ttl:
            return current
        try:
            self._directory = await self._load_directory(now)
        except Exception:
            if current is None:
                raise
            log.exception("reloading managers and routing rules failed; serving those of %s", current.loaded_at)
        return self._directory

    def forget_directory(self) -> None:
        """Reload managers and rules on the next call (after they change)."""
        self._directory = None

    async def _load_directory(self, now: datetime) -> Directory:
        async with self._sessions() as session:
            managers = await session.scalars(
                select(Manager).where(Manager.active.is_(True)).options(selectinload(Manager.groups))
            )
            states = tuple(_manager_state(row) for row in managers)
            rules = await session.scalars(select(RoutingRule).where(RoutingRule.active.is_(True)))
            stored = [StoredRule(rule.did, rule.chain, rule.source, rule.ivr or {}) for rule in rules]
            group_chains = {name: chain for name, chain in await session.execute(select(Group.name, Group.chain))}
        return Directory(states, RuleBook.build(stored, group_chains, self.default_queue), now)


def _owner_query() -> Select:
    """The extension responsible for ``:phone``: its client's manager, else its open lead's owner."""
    phone = bindparam("phone")
    client_owner = (
        select(Manager.extension, literal(0).label("rank"))
        .join(Client, Client.responsible_manager_id == Manager.id)
        .join(ClientPhone, ClientPhone.client_id == Client.id)
        .where(ClientPhone.phone == phone, Manager.active.is_(True))
    )
    lead_owner = (
        select(Manager.extension, literal(1).label("rank"))
        .join(Lead, Lead.owner_id == Manager.id)
        .where(Lead.phone == phone, Lead.status == LEAD_OPEN, Manager.active.is_(True))
    )
    owners = union_all(client_owner, lead_owner).subquery()
    return select(owners.c.extension).order_by(owners.c.rank).limit(1)


OWNER_QUERY = _owner_query()  # built once: the hot path only binds the phone


def _manager_state(row: Manager) -> ManagerState:
    hours = dict(row.working_hours or {})
    holidays = hours.pop("holidays", ()) or ()
    return ManagerState(
        extension=row.extension,
        name=row.name,
        groups=tuple(sorted(group.name for group in row.groups)),
        timezone=row.timezone or "Europe/Moscow",
        working_hours=hours,
        holidays=frozenset(str(day) for day in holidays),
        do_not_disturb=row.do_not_disturb,
        absent=row.absent,
    )
