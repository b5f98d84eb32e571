"""``/api/leads``: callers not yet clients, and converting them into clients."""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from accounts.access import ASSIGN, CALL_DATA, Principal, data_scope, may
from api.app import context
from api.errors import Forbidden
from api.pagination import Page, PageQuery
from api.registry import Routes
from api.validation import UNSET, Patch, Schema, Timestamp, sent
from crm.clients import ClientService
from crm.http.clients import ClientOut, Name, client_out, responsible_for
from crm.http.fields import Phone
from crm.lead_queries import LEAD_SORTS, LeadFilters, LeadQueries
from crm.leads import LEAD_CLOSED, LEAD_CONVERTED, LEAD_OPEN

routes = Routes("leads")

FACT_FIELD = r"[a-z][a-z0-9_]{0,39}"  # name, source, or an interest the script names

LeadStatus = Literal[LEAD_OPEN, LEAD_CONVERTED, LEAD_CLOSED]  # type: ignore[valid-type]


class LeadFactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    field: str = Field(description="name, source, or an interest the script names (e.g. rooms).")
    value: str
    set_by: Literal["conversation", "manager"] = Field(description="Heard in a call, or typed by a manager (kept).")
    quote: str = Field(description="The client's words it was taken from.")
    second: float | None = Field(description="Where in that call's recording.")
    call_id: int | None
    updated_at: Timestamp


class LeadOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    phone: str
    source: str | None = Field(description="How they heard of us: the marketing source of the number they first called, else that number.")
    first_call_id: int | None
    owner_id: int | None
    status: LeadStatus
    created_at: Timestamp
    facts: list[LeadFactOut] = Field(description="The lead card: what the calls and the managers filled in.")


class LeadQuery(PageQuery):
    sort: LEAD_SORTS.choices() = LEAD_SORTS.default  # type: ignore[valid-type]
    status: LeadStatus | None = None
    owner: int | None = None
    phone: Phone | None = None


class LeadUpdate(Patch):
    nullable = frozenset({"owner_id"})

    status: LeadStatus | None = None
    owner_id: int | None = Field(default=None, description="Only the head of sales gives leads to other managers.")


class LeadFactUpdate(Schema):
    value: str = Field(min_length=1, max_length=200)


class LeadConversion(Schema):
    name: Name
    responsible_manager_id: int | None = Field(default=None, description="A manager's own clients default to them.")


def _leads(request: web.Request) -> LeadQueries:
    ctx = context(request)
    return LeadQueries(ctx.sessions, ctx.clock, ctx.bus)


@routes.get("/leads", roles=CALL_DATA, query=LeadQuery, response=Page[LeadOut])
async def list_leads(request: web.Request, principal: Principal, query: LeadQuery) -> Page[LeadOut]:
    """Leads, newest first by default."""
    filters = LeadFilters(status=query.status, owner_id=query.owner, phone=query.phone)
    leads, cursor = await _leads(request).page(data_scope(principal), filters, LEAD_SORTS.request(query, query.sort))
    return Page[LeadOut](items=[LeadOut.model_validate(lead) for lead in leads], next_cursor=cursor)


@routes.get("/leads/{lead_id}", roles=CALL_DATA, response=LeadOut)
async def get_lead(request: web.Request, principal: Principal, lead_id: int) -> LeadOut:
    """One lead."""
    return LeadOut.model_validate(await _leads(request).get(data_scope(principal), lead_id))


@routes.patch("/leads/{lead_id}", roles=CALL_DATA, body=LeadUpdate, response=LeadOut, errors=(409,))
async def update_lead(request: web.Request, principal: Principal, lead_id: int, body: LeadUpdate) -> LeadOut:
    """Close or reopen a lead, or (the head of sales) give it to another manager."""
    owner_id = sent(body, "owner_id")
    if owner_id is not UNSET and not may(principal, ASSIGN):
        raise Forbidden("only the head of sales gives leads to other managers")
    lead = await _leads(request).update(data_scope(principal), lead_id, status=body.status, owner_id=owner_id)
    return LeadOut.model_validate(lead)


@routes.put("/leads/{lead_id}/facts/{field}", roles=CALL_DATA, body=LeadFactUpdate, response=LeadOut,
            text_params={"field": FACT_FIELD})
async def set_lead_fact(
    request: web.Request, principal: Principal, lead_id: int, field: str, body: LeadFactUpdate
) -> LeadOut:
    """Correct the lead card (name, source, an interest): a manager's entry is never overwritten by a call."""
    lead = await _leads(request).set_fact(data_scope(principal), lead_id, field, body.value, principal.user_id)
    return LeadOut.model_validate(lead)


@routes.post("/leads/{lead_id}/convert", roles=CALL_DATA, body=LeadConversion, response=ClientOut, status=201, errors=(409,))
async def convert_lead(request: web.Request, principal: Principal, lead_id: int, body: LeadConversion) -> ClientOut:
    """Make an open lead a client: the lead's number becomes the client's."""
    ctx = context(request)
    responsible = responsible_for(principal, sent(body, "responsible_manager_id"))
    client = await ClientService(ctx.sessions, ctx.bus).from_lead(data_scope(principal), lead_id, body.name, responsible)
    return client_out(client)
