"""Users and their login sessions, in the database.

A session is a random token (``secrets.token_urlsafe``) given to the client
once; only its SHA-256 is stored, with an expiry ``session_hours`` ahead. A
token is good while it has not expired and its user is active; disabling a
user, changing their password or role also deletes their tokens.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from accounts.access import Principal, Role
from accounts.passwords import hash_password, needs_rehash, verify_password
from api.errors import Conflict, NotFound, Unprocessable
from api.validation import UNSET
from callcenter.clock import Clock
from crm.leads import utc
from crm.lookups import manager_id_by_extension
from crm.staff import require_manager
from storage.models import AuthToken, User


@dataclass(frozen=True)
class Session:
    token: str
    expires_at: datetime
    user: User


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AccountService:
    def __init__(self, sessions: async_sessionmaker, clock: Clock, session_hours: float) -> None:
        self._sessions = sessions
        self._clock = clock
        self._lifetime = timedelta(hours=session_hours)

    async def login(self, username: str, password: str) -> Session | None:
        """A new session, or None for an unknown user, a wrong password or a disabled user alike."""
        async with self._sessions() as session, session.begin():
            user = await session.scalar(select(User).where(User.username == username))
            if not verify_password(user.password_hash if user else None, password) or not user.active:
                return None
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            token = secrets.token_urlsafe(32)
            now = utc(self._clock.now())
            expires_at = now + self._lifetime
            session.add(AuthToken(token_hash=token_hash(token), user_id=user.id, created_at=now, expires_at=expires_at))
            return Session(token, expires_at, user)

    async def principal(self, token: str) -> Principal | None:
        """Who ``token`` logs in as, or None if it is unknown, expired, or its user disabled."""
        digest = token_hash(token)
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(User, AuthToken.expires_at)
                    .join(AuthToken, AuthToken.user_id == User.id)
                    .where(AuthToken.token_hash == digest)
                )
            ).first()
        if row is None:
            return None
        user, expires_at = row
        if not user.active or utc(expires_at) <= utc(self._clock.now()):
            return None
        return Principal(user.id, user.username, Role(user.role), user.manager_id, digest)

    async def logout(self, principal: Principal) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(delete(AuthToken).where(AuthToken.token_hash == principal.token_hash))

    async def users(self) -> list[User]:
        async with self._sessions() as session:
            return list(await session.scalars(select(User).order_by(User.username)))

    async def user(self, user_id: int) -> User:
        async with self._sessions() as session:
            return await _user(session, user_id)

    async def create_user(self, username: str, password: str, role: Role, manager_id: int | None) -> User:
        """A new active user; 409 if the username or the manager is taken, 422 if the manager does not exist."""
        async with self._sessions() as session:
            async with session.begin():
                await _check_link(session, role, manager_id)
                user = User(
                    username=username, password_hash=hash_password(password), role=role, manager_id=manager_id, active=True
                )
                session.add(user)
                await _flush(session)
            await session.refresh(user)
            return user

    async def update_user(
        self, user_id: int, *, password: str | None = None, role: Role | None = None, manager_id=UNSET, active: bool | None = None
    ) -> User:
        """Change what is given; a new password, a new role or disabling ends the user's sessions."""
        async with self._sessions() as session, session.begin():
            user = await _user(session, user_id)
            if manager_id is not UNSET:
                user.manager_id = manager_id
            if role is not None:
                user.role = role
            await _check_link(session, Role(user.role), user.manager_id)
            if active is not None:
                user.active = active
            if password is not None:
                user.password_hash = hash_password(password)
            if password is not None or role is not None or active is False:
                await session.execute(delete(AuthToken).where(AuthToken.user_id == user.id))
            await _flush(session)
            return user

    async def manager_id_by_extension(self, extension: str) -> int | None:
        async with self._sessions() as session:
            return await manager_id_by_extension(session, extension)


async def _user(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("no such user")
    return user


async def _check_link(session: AsyncSession, role: Role, manager_id: int | None) -> None:
    """A manager's login is linked to an existing manager (whose calls it sees)."""
    if manager_id is None and role is Role.MANAGER:
        raise Unprocessable.on_field("manager_id", "a manager's login needs a manager")
    await require_manager(session, manager_id)


async def _flush(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict("the username or the manager already has a login") from None
