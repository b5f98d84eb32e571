"""``/api/users``: login accounts, managed by admins and the ROP (not admins' accounts)."""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from accounts.access import CONFIGURE, Principal, Role, may_manage_user
from accounts.service import AccountService
from api.app import context
from api.errors import Conflict, Forbidden
from api.registry import Routes
from api.validation import Patch, Schema, Timestamp, sent

Username = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._@-]{2,80}$")]
Password = Annotated[str, Field(min_length=8, max_length=256)]

routes = Routes("users")


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    role: Role
    manager_id: int | None
    active: bool
    created_at: Timestamp


class UserList(BaseModel):
    items: list[UserOut]


class UserCreate(Schema):
    username: Username
    password: Password
    role: Role
    manager_id: int | None = Field(default=None, description="Required for role manager: whose calls the login sees.")


class UserUpdate(Patch):
    nullable = frozenset({"manager_id"})

    password: Password | None = None
    role: Role | None = None
    manager_id: int | None = None
    active: bool | None = None


def accounts(request: web.Request) -> AccountService:
    ctx = context(request)
    return AccountService(ctx.sessions, ctx.clock, ctx.settings.session_hours)


def _may_manage(principal: Principal, *roles: Role) -> None:
    if not all(may_manage_user(principal.role, role) for role in roles):
        raise Forbidden("only an admin manages admins' accounts")


@routes.get("/users", roles=CONFIGURE, response=UserList)
async def list_users(request: web.Request, principal: Principal) -> UserList:
    """Every login account, by username."""
    return UserList(items=[UserOut.model_validate(user) for user in await accounts(request).users()])


@routes.post("/users", roles=CONFIGURE, body=UserCreate, response=UserOut, status=201, errors=(409,))
async def create_user(request: web.Request, principal: Principal, body: UserCreate) -> UserOut:
    """Create a login account."""
    _may_manage(principal, body.role)
    user = await accounts(request).create_user(body.username, body.password, body.role, body.manager_id)
    return UserOut.model_validate(user)


@routes.get("/users/{user_id}", roles=CONFIGURE, response=UserOut)
async def get_user(request: web.Request, principal: Principal, user_id: int) -> UserOut:
    """One login account."""
    return UserOut.model_validate(await accounts(request).user(user_id))


@routes.patch("/users/{user_id}", roles=CONFIGURE, body=UserUpdate, response=UserOut, errors=(409,))
async def update_user(request: web.Request, principal: Principal, user_id: int, body: UserUpdate) -> UserOut:
    """Change a password, role, linked manager, or disable an account (its sessions end)."""
    service = accounts(request)
    target = await service.user(user_id)
    _may_manage(principal, Role(target.role), *([body.role] if body.role else []))
    if user_id == principal.user_id and (body.active is False or body.role not in (None, principal.role)):
        raise Conflict("you cannot disable or demote your own account")
    user = await service.update_user(
        user_id,
        password=body.password,
        role=body.role,
        manager_id=sent(body, "manager_id"),
        active=body.active,
    )
    return UserOut.model_validate(user)
