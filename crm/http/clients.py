"""``/api/clients``: the department's clients and their numbers."""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from accounts.access import ASSIGN, CALL_DATA, Principal, data_scope, may
from api.app import context
from api.errors import Forbidden
from api.pagination import Page, PageQuery
from api.registry import Routes
from api.validation import UNSET, Patch, Schema, Timestamp, sent
from crm.clients import CLIENT_SORTS, ClientFilters, ClientService, PhoneEntry
from crm.http.fields import Phone
from storage.models import Client

routes = Routes("clients")

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class PhoneIn(Schema):
    phone: Phone
    label: str = Field(default="", max_length=40)


class PhoneOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    phone: str
    label: str


class ClientOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    responsible_manager_id: int | None
    created_at: Timestamp
    phones: list[PhoneOut]


class ClientQuery(PageQuery):
    sort: CLIENT_SORTS.choices() = CLIENT_SORTS.default  # type: ignore[valid-type]
    name: str | None = Field(default=None, max_length=200, description="A part of the name, any case.")
    phone: Phone | None = None
    manager: int | None = Field(default=None, description="The responsible manager.")


class ClientCreate(Schema):
    name: Name
    phones: list[PhoneIn] = Field(min_length=1, max_length=20)
    responsible_manager_id: int | None = Field(default=None, description="A manager's own clients default to them.")


class ClientUpdate(Patch):
    nullable = frozenset({"responsible_manager_id"})

    name: Name | None = None
    phones: list[PhoneIn] | None = Field(default=None, min_length=1, max_length=20, description="Replaces the numbers.")
    responsible_manager_id: int | None = None


def _entries(phones: list[PhoneIn] | None) -> list[PhoneEntry] | None:
    return None if phones is None else [PhoneEntry(entry.phone, entry.label) for entry in phones]


def responsible_for(principal: Principal, wanted) -> int | None:
    """Whom a client may be given: anyone by the ROP; a manager keeps their clients to themselves."""
    if may(principal, ASSIGN):
        return None if wanted is UNSET else wanted
    if wanted not in (UNSET, principal.manager_id):
        raise Forbidden("only the head of sales gives clients to other managers")
    return principal.manager_id


def _clients(request: web.Request) -> ClientService:
    ctx = context(request)
    return ClientService(ctx.sessions, ctx.bus)


def client_out(client: Client) -> ClientOut:
    return ClientOut.model_validate(client)


@routes.get("/clients", roles=CALL_DATA, query=ClientQuery, response=Page[ClientOut])
async def list_clients(request: web.Request, principal: Principal, query: ClientQuery) -> Page[ClientOut]:
    """Clients, by name by default."""
    filters = ClientFilters(name=query.name, phone=query.phone, manager_id=query.manager)
    clients, cursor = await _clients(request).page(data_scope(principal), filters, CLIENT_SORTS.request(query, query.sort))
    return Page[ClientOut](items=[client_out(client) for client in clients], next_cursor=cursor)


@routes.get("/clients/{client_id}", roles=CALL_DATA, response=ClientOut)
async def get_client(request: web.Request, principal: Principal, client_id: int) -> ClientOut:
    """One client with their numbers."""
    return client_out(await _clients(request).get(data_scope(principal), client_id))


@routes.post("/clients", roles=CALL_DATA, body=ClientCreate, response=ClientOut, status=201, errors=(409,))
async def create_client(request: web.Request, principal: Principal, body: ClientCreate) -> ClientOut:
    """Create a client; a number another client has is a 409."""
    wanted = sent(body, "responsible_manager_id")
    client = await _clients(request).create(body.name, _entries(body.phones), responsible_for(principal, wanted))
    return client_out(client)


@routes.patch("/clients/{client_id}", roles=CALL_DATA, body=ClientUpdate, response=ClientOut, errors=(409,))
async def update_client(request: web.Request, principal: Principal, client_id: int, body: ClientUpdate) -> ClientOut:
    """Rename a client, replace their numbers, or (the ROP) give them to another manager."""
    wanted = sent(body, "responsible_manager_id")
    client = await _clients(request).update(
        data_scope(principal),
        client_id,
        name=body.name,
        phones=_entries(body.phones),
        responsible_manager_id=UNSET if wanted is UNSET else responsible_for(principal, wanted),
    )
    return client_out(client)
