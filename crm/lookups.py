"""SQL lookups the crm services share: one query each, so the rules that use
them (a card's client, a lead's owner, a task's owner chain) agree."""

from __future__ import annotations

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from routing.rules import CATCH_ALL_DID
from storage.models import Call, Client, ClientPhone, Manager, RoutingRule


def insert_ignoring_conflicts(session: AsyncSession, table: Table):
    """``INSERT ... ON CONFLICT DO NOTHING`` in the session's dialect."""
    return _insert(session, table).on_conflict_do_nothing()


def insert_or_update(
    session: AsyncSession, table: Table, values: dict, keys: list[str], update: list[str], where=None
):
    """``INSERT values ... ON CONFLICT (keys) DO UPDATE`` of the ``update`` columns with the new values,
    only where the existing row meets ``where`` (if given), in the session's dialect."""
    insert = _insert(session, table).values(**values)
    return insert.on_conflict_do_update(
        index_elements=keys, set_={column: insert.excluded[column] for column in update}, where=where
    )


def _insert(session: AsyncSession, table: Table):
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


async def manager_id_by_extension(session: AsyncSession, extension: str | None) -> int | None:
    if not extension:
        return None
    return await session.scalar(select(Manager.id).where(Manager.extension == extension))


async def call_id_by_linkedid(session: AsyncSession, linkedid: str) -> int | None:
    """The call card's id (CallCardStore stores it before the other services), or None."""
    return await session.scalar(select(Call.id).where(Call.linkedid == linkedid))


async def client_of_phone(session: AsyncSession, phone: str | None) -> tuple[int | None, int | None]:
    """The client owning ``phone`` and their responsible manager; (None, None) if no client has it."""
    if phone is None:
        return None, None
    row = (
        await session.execute(
            select(Client.id, Client.responsible_manager_id)
            .join(ClientPhone, ClientPhone.client_id == Client.id)
            .where(ClientPhone.phone == phone)
        )
    ).first()
    return (None, None) if row is None else (row[0], row[1])


async def source_of_did(session: AsyncSession, did: str | None) -> str | None:
    """The marketing source of the dialled number: its routing rule's, else the catch-all rule's."""
    if not did:
        return None
    rows = await session.execute(
        select(RoutingRule.did, RoutingRule.source).where(
            RoutingRule.did.in_((did, CATCH_ALL_DID)), RoutingRule.active.is_(True)
        )
    )
    sources = {rule_did: source for rule_did, source in rows}
    return sources.get(did, sources.get(CATCH_ALL_DID))
