"""Managers and groups for the API (configuration: admins and the ROP).

Every change publishes ``managers.changed`` after it is committed, with the
numbers of the changed managers' clients when whom those numbers ring may
have changed (a new extension, a manager switched off).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from api.errors import Conflict, NotFound, Unprocessable
from callcenter.bus import EventBus
from crm.events import managers_changed
from crm.leads import LEAD_OPEN
from storage.models import Client, ClientPhone, Group, Lead, Manager

OWNER_FIELDS = frozenset({"extension", "active"})  # changing these changes whom a client's number rings


async def require_manager(session: AsyncSession, manager_id: int | None, field: str = "manager_id") -> None:
    """422 unless ``manager_id`` is None or an existing manager."""
    if manager_id is not None and await session.get(Manager, manager_id) is None:
        raise Unprocessable.on_field(field, "no such manager")


async def all_of(session: AsyncSession, model: type, ids: list[int], field: str) -> list[Any]:
    """The rows of these ids; 422 on ``field`` if any does not exist."""
    rows = list(await session.scalars(select(model).where(model.id.in_(ids)))) if ids else []
    if len(rows) != len(set(ids)):
        raise Unprocessable.on_field(field, f"no such {model.__tablename__} among {sorted(set(ids))}")
    return rows


class StaffService:
    def __init__(self, sessions: async_sessionmaker, bus: EventBus) -> None:
        self._sessions = sessions
        self._bus = bus

    async def managers(self) -> list[Manager]:
        async with self._sessions() as session:
            return list(await session.scalars(select(Manager).options(selectinload(Manager.groups)).order_by(Manager.name, Manager.id)))

    async def manager(self, manager_id: int) -> Manager:
        async with self._sessions() as session:
            return await _manager(session, manager_id)

    async def save_manager(self, manager_id: int | None, changes: dict[str, Any]) -> Manager:
        """Create (``manager_id`` None) or change a manager; ``group_ids`` replaces their groups."""
        async with self._sessions() as session:
            async with session.begin():
                manager = Manager(groups=[]) if manager_id is None else await _manager(session, manager_id)
                group_ids = changes.pop("group_ids", None)
                for name, value in changes.items():
                    setattr(manager, name, value)
                if group_ids is not None:
                    manager.groups = await all_of(session, Group, group_ids, "group_ids")
                session.add(manager)
                await _flush(session, "the extension belongs to another manager")
                phones = await _owned_phones(session, manager.id) if OWNER_FIELDS & changes.keys() and manager_id else set()
            await self._bus.publish(managers_changed({manager.id}, phones))
            return await _manager(session, manager.id)

    async def groups(self) -> list[Group]:
        async with self._sessions() as session:
            return list(await session.scalars(select(Group).options(selectinload(Group.managers)).order_by(Group.name)))

    async def group(self, group_id: int) -> Group:
        async with self._sessions() as session:
            return await _group(session, group_id)

    async def save_group(self, group_id: int | None, changes: dict[str, Any]) -> Group:
        """Create (``group_id`` None) or change a group; ``manager_ids`` replaces its members."""
        async with self._sessions() as session:
            async with session.begin():
                group = Group(managers=[]) if group_id is None else await _group(session, group_id)
                members = {manager.id for manager in group.managers}
                manager_ids = changes.pop("manager_ids", None)
                await require_manager(session, changes.get("default_manager_id"), "default_manager_id")
                for name, value in changes.items():
                    setattr(group, name, value)
                if manager_ids is not None:
                    group.managers = await all_of(session, Manager, manager_ids, "manager_ids")
                    members |= set(manager_ids)
                session.add(group)
                await _flush(session, "another group has this name")
            await self._bus.publish(managers_changed(members))
            return await _group(session, group.id)


async def _manager(session: AsyncSession, manager_id: int) -> Manager:
    manager = await session.scalar(
        select(Manager)
        .where(Manager.id == manager_id)
        .options(selectinload(Manager.groups))
        .execution_options(populate_existing=True)
    )
    if manager is None:
        raise NotFound("no such manager")
    return manager


async def _group(session: AsyncSession, group_id: int) -> Group:
    group = await session.scalar(
        select(Group)
        .where(Group.id == group_id)
        .options(selectinload(Group.managers))
        .execution_options(populate_existing=True)
    )
    if group is None:
        raise NotFound("no such group")
    return group


async def _owned_phones(session: AsyncSession, manager_id: int) -> set[str]:
    """The numbers that ring this manager first: their clients' and their open leads'."""
    clients = await session.scalars(
        select(ClientPhone.phone).join(Client, Client.id == ClientPhone.client_id)
        .where(Client.responsible_manager_id == manager_id)
    )
    leads = await session.scalars(select(Lead.phone).where(Lead.owner_id == manager_id, Lead.status == LEAD_OPEN))
    return set(clients) | set(leads)


async def _flush(session: AsyncSession, conflict: str) -> None:
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(conflict) from None
