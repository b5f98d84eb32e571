"""Clients for the API: lists, reads, creating, changing, and converting a
lead into a client, always within the caller's scope.

A number (E.164) belongs to one client: giving a client a number another
client has is a ``Conflict``. Every change of a client's numbers or
responsible manager publishes ``client.changed`` after it is committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from accounts.access import Scope
from api.errors import Conflict, NotFound
from api.pagination import PageRequest, SortField, Sorting
from api.validation import UNSET
from callcenter.bus import EventBus
from crm.events import client_changed
from crm.leads import LEAD_CONVERTED, LEAD_OPEN
from crm.staff import require_manager
from crm.tasks import TASK_OPEN
from crm.visibility import visible_clients, visible_leads
from storage.models import CallbackTask, Client, ClientPhone, Lead

CLIENT_SORTS = Sorting(
    id_column=Client.id,
    fields={"name": SortField(Client.name, str), "id": SortField(Client.id, int)},  # id: in order of creation
    default="name",
)


@dataclass(frozen=True)
class PhoneEntry:
    phone: str  # E.164
    label: str = ""


@dataclass(frozen=True)
class ClientFilters:
    name: str | None = None  # a part of the name, any case
    phone: str | None = None  # E.164
    manager_id: int | None = None  # responsible

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions = []
        if self.name:
            conditions.append(Client.name.ilike(f"%{_escape_like(self.name)}%", escape="\\"))
        if self.phone is not None:
            conditions.append(exists().where(ClientPhone.client_id == Client.id, ClientPhone.phone == self.phone))
        if self.manager_id is not None:
            conditions.append(Client.responsible_manager_id == self.manager_id)
        return conditions


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class ClientService:
    def __init__(self, sessions: async_sessionmaker, bus: EventBus) -> None:
        self._sessions = sessions
        self._bus = bus

    async def page(self, scope: Scope, filters: ClientFilters, page: PageRequest) -> tuple[list[Client], str | None]:
        query = select(Client).where(visible_clients(scope), *filters.conditions()).options(selectinload(Client.phones))
        async with self._sessions() as session:
            return await CLIENT_SORTS.fetch(session, query, page)

    async def get(self, scope: Scope, client_id: int) -> Client:
        async with self._sessions() as session:
            return await _client(session, scope, client_id)

    async def create(self, name: str, phones: Sequence[PhoneEntry], responsible_manager_id: int | None) -> Client:
        async with self._sessions() as session:
            async with session.begin():
                client = await _add_client(session, name, phones, responsible_manager_id)
            await self._bus.publish(client_changed(client.id, {entry.phone for entry in phones}))
            return await _client(session, None, client.id)

    async def update(
        self, scope: Scope, client_id: int, *, name: str | None = None, phones: Sequence[PhoneEntry] | None = None,
        responsible_manager_id=UNSET,
    ) -> Client:
        """Change what is given; ``phones`` replaces the client's numbers."""
        async with self._sessions() as session:
            async with session.begin():
                client = await _client(session, scope, client_id)
                touched = {row.phone for row in client.phones}
                if name is not None:
                    client.name = name
                if responsible_manager_id is not UNSET:
                    await require_manager(session, responsible_manager_id, "responsible_manager_id")
                    client.responsible_manager_id = responsible_manager_id
                if phones is not None:
                    await _check_phones_free(session, phones, client.id)
                    _replace_phones(client, phones)
                    touched |= {entry.phone for entry in phones}
                await _flush(session)
            await self._bus.publish(client_changed(client.id, touched))
            return await _client(session, None, client.id)

    async def from_lead(self, scope: Scope, lead_id: int, name: str, responsible_manager_id: int | None) -> Client:
        """Make the open lead's number a client's: the lead becomes converted and
        the number's open callback task is tied to the client."""
        async with self._sessions() as session:
            async with session.begin():
                lead = await session.scalar(select(Lead).where(Lead.id == lead_id, visible_leads(scope)))
                if lead is None:
                    raise NotFound("no such lead")
                if lead.status != LEAD_OPEN:
                    raise Conflict(f"the lead is {lead.status}, not open")
                client = await _add_client(session, name, [PhoneEntry(lead.phone)], responsible_manager_id)
                lead.status = LEAD_CONVERTED
                await session.execute(
                    update(CallbackTask)
                    .where(CallbackTask.phone == lead.phone, CallbackTask.status == TASK_OPEN)
                    .values(client_id=client.id)
                )
            await self._bus.publish(client_changed(client.id, {lead.phone}))
            return await _client(session, None, client.id)


async def _client(session: AsyncSession, scope: Scope | None, client_id: int) -> Client:
    """The client with its phones; ``scope`` None: no limit (for a client just written)."""
    query = select(Client).where(Client.id == client_id).options(selectinload(Client.phones))
    if scope is not None:
        query = query.where(visible_clients(scope))
    client = await session.scalar(query.execution_options(populate_existing=True))
    if client is None:
        raise NotFound("no such client")
    return client


async def _add_client(
    session: AsyncSession, name: str, phones: Sequence[PhoneEntry], responsible_manager_id: int | None
) -> Client:
    await require_manager(session, responsible_manager_id, "responsible_manager_id")
    await _check_phones_free(session, phones, None)
    client = Client(name=name, responsible_manager_id=responsible_manager_id, phones=[])
    _replace_phones(client, phones)
    session.add(client)
    await _flush(session)
    return client


async def _check_phones_free(session: AsyncSession, phones: Sequence[PhoneEntry], client_id: int | None) -> None:
    query = select(ClientPhone.phone).where(ClientPhone.phone.in_([entry.phone for entry in phones]))
    if client_id is not None:
        query = query.where(ClientPhone.client_id != client_id)
    taken = sorted(await session.scalars(query))
    if taken:
        raise Conflict("a number belongs to another client", {"phones": taken}, code="phone_taken")


def _replace_phones(client: Client, phones: Sequence[PhoneEntry]) -> None:
    """Keep the rows of numbers that stay (a delete and re-insert of one number
    in one flush would break its uniqueness), drop the others, add the new."""
    wanted = {}
    for entry in phones:
        wanted.setdefault(entry.phone, entry.label)
    kept = [row for row in client.phones if row.phone in wanted]
    for row in kept:
        row.label = wanted.pop(row.phone)
    client.phones = kept + [ClientPhone(phone=phone, label=label) for phone, label in wanted.items()]


async def _flush(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict("a number belongs to another client", code="phone_taken") from None
