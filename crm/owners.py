"""Who owns a phone number: the one rule that routing's owner index, the
owner's notifications, the caller's card and a callback task's owner chain
share.

The owner of a number (E.164) is the responsible manager of the client with
that number, else the owner of the number's open lead. A manager who is
switched off owns nothing: their callers are routed, and their missed calls
given, as if nobody owned them (until the head of sales hands their clients
over).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sqlalchemy import Row, Select, bindparam, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from crm.leads import LEAD_OPEN
from storage.models import Client, ClientPhone, Lead, Manager

CLIENT_RANK, LEAD_RANK = 0, 1  # a client's manager wins over a lead's owner


@dataclass(frozen=True)
class Owner:
    manager_id: int
    extension: str


def _owned_numbers(some: bool) -> tuple[Select, Select]:
    """(phone, manager id, extension, rank) of open leads and client numbers
    with an active owner; ``some``: only the numbers bound to ``:phones``."""
    leads = (
        select(Lead.phone, Manager.id, Manager.extension, literal(LEAD_RANK).label("rank"))
        .join(Manager, Lead.owner_id == Manager.id)
        .where(Lead.status == LEAD_OPEN, Manager.active.is_(True))
    )
    clients = (
        select(ClientPhone.phone, Manager.id, Manager.extension, literal(CLIENT_RANK).label("rank"))
        .join(Client, ClientPhone.client_id == Client.id)
        .join(Manager, Client.responsible_manager_id == Manager.id)
        .where(Manager.active.is_(True))
    )
    if some:
        phones = bindparam("phones", expanding=True)
        leads, clients = leads.where(Lead.phone.in_(phones)), clients.where(ClientPhone.phone.in_(phones))
    return leads, clients


ALL_OWNED_NUMBERS = _owned_numbers(False)
"""Every owned number: the leads' query, then the clients'; reading them in this
order and keeping the last owner of each number applies the rule."""
SOME_OWNED_NUMBERS = union_all(*_owned_numbers(True))


def owners_by_phone(rows: Iterable[Row]) -> dict[str, Owner]:
    """Each number's owner from rows of the queries above, in any order."""
    owners: dict[str, Owner] = {}
    for phone, manager_id, extension, rank in rows:
        if rank == CLIENT_RANK or phone not in owners:
            owners[phone] = Owner(manager_id, extension)
    return owners


async def owners_of(connection: AsyncConnection | AsyncSession, phones: Collection[str]) -> dict[str, Owner]:
    """The owner of each of ``phones`` that has one, in one statement."""
    if not phones:
        return {}
    return owners_by_phone(await connection.execute(SOME_OWNED_NUMBERS, {"phones": list(phones)}))


async def owner_of(connection: AsyncConnection | AsyncSession, phone: str | None) -> Owner | None:
    """The owner of ``phone``; None for a number nobody owns, or no number."""
    return None if phone is None else (await owners_of(connection, [phone])).get(phone)
