"""``/api/managers``: the sales managers, their extensions, hours and availability."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from zoneinfo import available_timezones

from aiohttp import web
from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from accounts.access import CONFIGURE, Principal
from api.app import context
from api.registry import Routes
from api.validation import Patch, Schema
from crm.staff import StaffService
from storage.models import Manager

routes = Routes("managers")

ClockTime = Annotated[str, StringConstraints(pattern=r"^([01]?\d|2[0-3]):[0-5]\d$|^24:00$")]
Shift = tuple[ClockTime, ClockTime]
Extension = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z*#+_-]{1,40}$")]
ManagerName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def _known_zone(name: str) -> str:
    if name not in available_timezones():
        raise ValueError("not a known time zone")
    return name


TimeZone = Annotated[str, AfterValidator(_known_zone)]


class WorkingHours(Schema):
    """Shifts per weekday (a shift may pass midnight); no weekdays at all: around the clock."""

    mon: list[Shift] | None = None
    tue: list[Shift] | None = None
    wed: list[Shift] | None = None
    thu: list[Shift] | None = None
    fri: list[Shift] | None = None
    sat: list[Shift] | None = None
    sun: list[Shift] | None = None
    holidays: list[date] | None = None


class ManagerOut(BaseModel):
    id: int
    name: str
    extension: str
    timezone: str
    working_hours: dict
    active: bool
    do_not_disturb: bool
    absent: bool
    group_ids: list[int]


class ManagerList(BaseModel):
    items: list[ManagerOut]


class ManagerCreate(Schema):
    name: ManagerName
    extension: Extension
    timezone: TimeZone = "Europe/Moscow"
    working_hours: WorkingHours = Field(default_factory=WorkingHours)
    active: bool = True
    do_not_disturb: bool = False
    absent: bool = Field(default=False, description="Away: sick, on leave, out of the office.")
    group_ids: list[int] = Field(default_factory=list)


class ManagerUpdate(Patch):
    name: ManagerName | None = None
    extension: Extension | None = None
    timezone: TimeZone | None = None
    working_hours: WorkingHours | None = None
    active: bool | None = None
    do_not_disturb: bool | None = None
    absent: bool | None = None
    group_ids: list[int] | None = None


def _changes(body: Schema, changes: dict) -> dict:
    """The columns to write: working hours as stored (only the days given, dates as text)."""
    if "working_hours" in changes:
        changes["working_hours"] = body.working_hours.model_dump(mode="json", exclude_none=True)
    return changes


def _staff(request: web.Request) -> StaffService:
    ctx = context(request)
    return StaffService(ctx.sessions, ctx.bus)


def _out(manager: Manager) -> ManagerOut:
    return ManagerOut(
        id=manager.id,
        name=manager.name,
        extension=manager.extension,
        timezone=manager.timezone,
        working_hours=manager.working_hours,
        active=manager.active,
        do_not_disturb=manager.do_not_disturb,
        absent=manager.absent,
        group_ids=sorted(group.id for group in manager.groups),
    )


@routes.get("/managers", roles=CONFIGURE, response=ManagerList)
async def list_managers(request: web.Request, principal: Principal) -> ManagerList:
    """Every manager, by name."""
    return ManagerList(items=[_out(manager) for manager in await _staff(request).managers()])


@routes.get("/managers/{manager_id}", roles=CONFIGURE, response=ManagerOut)
async def get_manager(request: web.Request, principal: Principal, manager_id: int) -> ManagerOut:
    """One manager."""
    return _out(await _staff(request).manager(manager_id))


@routes.post("/managers", roles=CONFIGURE, body=ManagerCreate, response=ManagerOut, status=201, errors=(409,))
async def create_manager(request: web.Request, principal: Principal, body: ManagerCreate) -> ManagerOut:
    """Add a manager; an extension another manager has is a 409."""
    return _out(await _staff(request).save_manager(None, _changes(body, body.model_dump())))


@routes.patch("/managers/{manager_id}", roles=CONFIGURE, body=ManagerUpdate, response=ManagerOut, errors=(409,))
async def update_manager(request: web.Request, principal: Principal, manager_id: int, body: ManagerUpdate) -> ManagerOut:
    """Change a manager: extension, hours, do-not-disturb, absence, active, groups."""
    return _out(await _staff(request).save_manager(manager_id, _changes(body, body.changes())))
