"""Routing rules and group chains as the API changes them: validated against
the department (a chain may only name groups that exist) and announced with
``routing.changed`` once committed, so every routing cache reloads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.errors import Conflict, NotFound, Unprocessable
from callcenter.bus import ROUTING_CHANGED, DomainEvent, EventBus
from routing.rules import ChainSpec, GroupStepSpec
from storage.models import Group, RoutingRule


def named_groups(chains: Iterable[ChainSpec]) -> set[str]:
    """The groups the steps of ``chains`` ring."""
    return {step.group for chain in chains for step in chain.steps if isinstance(step, GroupStepSpec)}


class RuleStore:
    def __init__(self, sessions: async_sessionmaker, bus: EventBus) -> None:
        self._sessions = sessions
        self._bus = bus

    async def rules(self) -> list[RoutingRule]:
        async with self._sessions() as session:
            return list(await session.scalars(select(RoutingRule).order_by(RoutingRule.did)))

    async def rule(self, rule_id: int) -> RoutingRule:
        async with self._sessions() as session:
            return await _rule(session, rule_id)

    async def save_rule(self, rule_id: int | None, changes: dict[str, Any]) -> RoutingRule:
        """Create (``rule_id`` None) or change a rule; chains come as ``ChainSpec``s."""
        async with self._sessions() as session:
            async with session.begin():
                rule = RoutingRule(ivr={}) if rule_id is None else await _rule(session, rule_id)
                chains = [changes["chain"]] if "chain" in changes else []
                chains += changes.get("ivr", {}).values()
                await _require_groups(session, named_groups(chains))
                for name, value in changes.items():
                    setattr(rule, name, _stored(value))
                session.add(rule)
                try:
                    await session.flush()
                except IntegrityError:
                    raise Conflict(f"another rule has DID {rule.did}") from None
                await session.refresh(rule)  # the database's updated_at
            await self._changed()
            return rule

    async def delete_rule(self, rule_id: int) -> None:
        async with self._sessions() as session:
            async with session.begin():
                await session.delete(await _rule(session, rule_id))
            await self._changed()

    async def group_chain(self, group_id: int) -> Group:
        async with self._sessions() as session:
            return await _group(session, group_id)

    async def set_group_chain(self, group_id: int, chain: ChainSpec | None) -> Group:
        """Give a group its own chain; None: ring its managers by round-robin."""
        async with self._sessions() as session:
            async with session.begin():
                group = await _group(session, group_id)
                await _require_groups(session, named_groups([chain] if chain else []))
                group.chain = _stored(chain)
            await self._changed()
            return group

    async def _changed(self) -> None:
        await self._bus.publish(DomainEvent(ROUTING_CHANGED, None))


def _stored(value: Any) -> Any:
    """A chain, or a digit -> chain menu, in its stored JSON form; anything else as is."""
    if isinstance(value, ChainSpec):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {key: _stored(item) for key, item in value.items()}
    return value


async def _require_groups(session: AsyncSession, names: set[str]) -> None:
    known = set(await session.scalars(select(Group.name).where(Group.name.in_(names)))) if names else set()
    if missing := sorted(names - known):
        raise Unprocessable.on_field("chain", f"no such group: {', '.join(missing)}")


async def _rule(session: AsyncSession, rule_id: int) -> RoutingRule:
    rule = await session.get(RoutingRule, rule_id)
    if rule is None:
        raise NotFound("no such routing rule")
    return rule


async def _group(session: AsyncSession, group_id: int) -> Group:
    group = await session.get(Group, group_id)
    if group is None:
        raise NotFound("no such group")
    return group
