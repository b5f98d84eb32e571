"""``/api/groups``: groups of managers, their members and default manager.
(A group's fallback chain is routing's configuration, not here.)"""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, Field, StringConstraints

from accounts.access import CONFIGURE, Principal
from api.app import context
from api.registry import Routes
from api.validation import Patch, Schema
from crm.staff import StaffService
from storage.models import Group

routes = Routes("groups")

GroupName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
DEFAULT_MANAGER = "Takes a missed call's task when the caller has no owner and nobody rang."


class GroupOut(BaseModel):
    id: int
    name: str
    default_manager_id: int | None
    manager_ids: list[int]


class GroupList(BaseModel):
    items: list[GroupOut]


class GroupCreate(Schema):
    name: GroupName
    default_manager_id: int | None = Field(default=None, description=DEFAULT_MANAGER)
    manager_ids: list[int] = Field(default_factory=list)


class GroupUpdate(Patch):
    nullable = frozenset({"default_manager_id"})

    name: GroupName | None = None
    default_manager_id: int | None = Field(default=None, description=DEFAULT_MANAGER)
    manager_ids: list[int] | None = None


def _staff(request: web.Request) -> StaffService:
    ctx = context(request)
    return StaffService(ctx.sessions, ctx.bus)


def _out(group: Group) -> GroupOut:
    return GroupOut(
        id=group.id,
        name=group.name,
        default_manager_id=group.default_manager_id,
        manager_ids=sorted(manager.id for manager in group.managers),
    )


@routes.get("/groups", roles=CONFIGURE, response=GroupList)
async def list_groups(request: web.Request, principal: Principal) -> GroupList:
    """Every group, by name."""
    return GroupList(items=[_out(group) for group in await _staff(request).groups()])


@routes.get("/groups/{group_id}", roles=CONFIGURE, response=GroupOut)
async def get_group(request: web.Request, principal: Principal, group_id: int) -> GroupOut:
    """One group."""
    return _out(await _staff(request).group(group_id))


@routes.post("/groups", roles=CONFIGURE, body=GroupCreate, response=GroupOut, status=201, errors=(409,))
async def create_group(request: web.Request, principal: Principal, body: GroupCreate) -> GroupOut:
    """Add a group; a name another group has is a 409."""
    return _out(await _staff(request).save_group(None, body.model_dump()))


@routes.patch("/groups/{group_id}", roles=CONFIGURE, body=GroupUpdate, response=GroupOut, errors=(409,))
async def update_group(request: web.Request, principal: Principal, group_id: int, body: GroupUpdate) -> GroupOut:
    """Rename a group, set its default manager, or replace its members."""
    return _out(await _staff(request).save_group(group_id, body.changes()))
