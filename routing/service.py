"""The FastAGI ``decide``: looks up what ``routing.decide`` needs and answers
with channel variables.

The hot path reads Redis: the caller's owner (``routing:owner:<e164>``, filled
from the database on a miss and kept for ``owner_ttl`` seconds, an unknown
number cached as empty), who is on a call (``routing.presence``) and the
round-robin positions (hash ``routing:round_robin``, written back after each
decision). Active managers come from the database and are kept in process for
``managers_ttl`` seconds.

DID rules and group chains have no tables yet: ``RoutingRules`` is the hook
for them. ``DefaultRules`` gives every DID the same chain: a known caller's
owner, then the owner's group by round-robin (the default group for a new
caller), then the default queue.

Any failure, or taking longer than ``deadline``, answers with the fallback plan
(straight to the default queue) encoded the same way; the call is never held up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import selectinload

from callcenter.clock import Clock
from callcenter.phones import DEFAULT_REGION, normalize_phone
from pbx.agi.server import AgiRequest
from routing.channel_vars import plan_variables
from routing.decide import decide, fallback_plan
from routing.model import (
    CallStats,
    DidRule,
    FallbackChain,
    GroupStep,
    IncomingCall,
    ManagerState,
    RoutePlan,
    Strategy,
)
from routing.presence import Presence
from storage.models import Client, ClientPhone, Manager

log = logging.getLogger(__name__)

OWNER_KEY = "routing:owner:{phone}"
ROUND_ROBIN_KEY = "routing:round_robin"
NO_OWNER = ""  # cached for a number with no client or no responsible manager


class RoutingRules(Protocol):
    """Where DID rules and group chains come from (configuration hook)."""

    def did_rule(self, did: str) -> DidRule | None:
        """The rule for a dialled number; None: the default queue."""

    def group_chains(self, groups: Sequence[str]) -> Mapping[str, FallbackChain]:
        """The chain of each group (``groups``: every group that has an active manager)."""


@dataclass(frozen=True)
class DefaultRules:
    """Until there are tables: every group rings its managers by round-robin,
    and every DID rings ``default_group`` that way; then the default queue."""

    default_group: str
    strategy: Strategy = Strategy.ROUND_ROBIN

    def did_rule(self, did: str) -> DidRule | None:
        return DidRule(chain=FallbackChain(steps=(GroupStep(self.default_group, self.strategy),)))

    def group_chains(self, groups: Sequence[str]) -> Mapping[str, FallbackChain]:
        return {group: FallbackChain(steps=(GroupStep(group, self.strategy),)) for group in groups}


class RoutingService:
    """``decide`` for ``FastAgiServer``: the route of one incoming call as channel variables."""

    def __init__(
        self,
        sessions: async_sessionmaker,
        redis: Redis,
        clock: Clock,
        *,
        default_queue: str = "sales",
        deadline: float = 0.3,
        rules: RoutingRules | None = None,
        region: str = DEFAULT_REGION,
        owner_ttl: int = 60,
        managers_ttl: float = 5.0,
    ) -> None:
        self._sessions = sessions
        self._redis = redis
        self._presence = Presence(redis)
        self._clock = clock
        self.default_queue = default_queue
        self.deadline = deadline
        self.rules: RoutingRules = rules or DefaultRules(default_group=default_queue)
        self._region = region
        self._owner_ttl = owner_ttl
        self._managers_ttl = timedelta(seconds=managers_ttl)
        self._managers: tuple[ManagerState, ...] | None = None
        self._managers_loaded_at: datetime | None = None

    async def decide(self, request: AgiRequest) -> dict[str, str]:
        """The channel variables for ``request``; the fallback plan's on any failure or past the deadline."""
        try:
            async with asyncio.timeout(self.deadline):
                plan = await self.plan(request)
        except TimeoutError:
            log.warning("routing %s took over %.2f s; default queue", request.channel, self.deadline)
            plan = fallback_plan(self.default_queue)
        except Exception:
            log.exception("routing %s failed; default queue", request.channel)
            plan = fallback_plan(self.default_queue)
        return plan_variables(plan)

    async def plan(self, request: AgiRequest) -> RoutePlan:
        """The plan for ``request``; raises when a lookup fails (``decide`` falls back)."""
        caller = normalize_phone(request.callerid, self._region)
        call = IncomingCall(caller=caller, did=request.extension, at=self._clock.now())
        owner = await self.owner_of(caller) if caller else None
        managers = await self._with_presence(await self.active_managers())
        round_robin = await self._redis.hgetall(ROUND_ROBIN_KEY)
        groups = sorted({group for manager in managers for group in manager.groups})
        rule = self.rules.did_rule(call.did)
        plan = decide(
            call,
            owner=owner,
            managers=managers,
            group_chains=self.rules.group_chains(groups),
            did_rules={call.did: rule} if rule is not None else {},
            stats=CallStats(),
            round_robin=round_robin,
            default_queue=self.default_queue,
        )
        if plan.round_robin:
            await self._redis.hset(ROUND_ROBIN_KEY, mapping=dict(plan.round_robin))
        return plan

    async def owner_of(self, phone: str) -> str | None:
        """The extension of the responsible manager of the client with ``phone`` (E.164), cached in Redis."""
        key = OWNER_KEY.format(phone=phone)
        cached = await self._redis.get(key)
        if cached is not None:
            return cached or None
        async with self._sessions() as session:
            extension = await session.scalar(
                select(Manager.extension)
                .join(Client, Client.responsible_manager_id == Manager.id)
                .join(ClientPhone, ClientPhone.client_id == Client.id)
                .where(ClientPhone.phone == phone)
            )
        await self._redis.set(key, extension or NO_OWNER, ex=self._owner_ttl)
        return extension

    async def forget_owner(self, phone: str) -> None:
        """Drop the cached owner of ``phone`` (after a client or its manager changes)."""
        await self._redis.delete(OWNER_KEY.format(phone=phone))

    async def active_managers(self) -> tuple[ManagerState, ...]:
        """Active managers with their schedules (not presence), cached in process for a few seconds."""
        now = self._clock.now()
        if (
            self._managers is not None
            and self._managers_loaded_at is not None
            and now - self._managers_loaded_at < self._managers_ttl
        ):
            return self._managers
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Manager).where(Manager.active.is_(True)).options(selectinload(Manager.groups))
            )
            managers = tuple(_manager_state(row) for row in rows)
        self._managers, self._managers_loaded_at = managers, now
        return managers

    def forget_managers(self) -> None:
        """Reload the managers on the next call."""
        self._managers = None

    async def _with_presence(self, managers: Sequence[ManagerState]) -> list[ManagerState]:
        busy = await self._presence.on_call_among([manager.extension for manager in managers])
        return [replace(manager, on_call=True) if manager.extension in busy else manager for manager in managers]


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
    )
