"""The demo's department: groups, managers, clients, routing rules and logins
read from ``demo_department.yaml`` and put into an empty database.

A manager marked ``off_duty`` gets an eight-hour shift every day starting
twelve hours from now in their time zone, so they are out of hours whenever
the demo runs; ``absent`` managers are on leave. Each login gets a random
password when seeded, written to ``demo-logins.txt`` in the data folder
(readable by its owner only) for the demo to print. The example sales script
(``qa/scripts/realty-inbound.yaml``, for the corpus calls the simulator
plays) is stored too, so the demo's calls get scores.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

import qa
from accounts.access import Role
from accounts.service import AccountService
from callcenter.clock import SystemClock
from qa.library import ScriptLibrary
from routing.rules import ChainSpec
from routing.schedule import WEEKDAYS
from storage.models import Client, ClientPhone, Group, Manager, RoutingRule

DEPARTMENT_FILE = Path(__file__).with_name("demo_department.yaml")
TIMEZONE = "Europe/Moscow"


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GroupSpec(_Spec):
    name: str
    chain: ChainSpec | None = None
    default_manager: str | None = None


class ManagerSpec(_Spec):
    extension: str
    name: str
    groups: list[str] = []
    absent: bool = False
    off_duty: bool = False


class ClientSpec(_Spec):
    name: str
    phone: str  # E.164
    manager: str  # extension


class RuleSpec(_Spec):
    did: str
    name: str = ""
    source: str | None = None
    chain: ChainSpec


class UserSpec(_Spec):
    username: str
    role: Role
    extension: str | None = None  # a manager's login is linked to their phone


class Department(_Spec):
    groups: list[GroupSpec]
    managers: list[ManagerSpec]
    clients: list[ClientSpec] = []
    routing_rules: list[RuleSpec] = []
    users: list[UserSpec] = []

    @classmethod
    def load(cls, path: Path = DEPARTMENT_FILE) -> Department:
        return cls.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def shift_away_from(now: datetime, timezone: str = TIMEZONE) -> dict[str, list[list[str]]]:
    """Working hours every day from twelve to twenty hours after ``now``: off duty at ``now``."""
    start = now.astimezone(ZoneInfo(timezone)) + timedelta(hours=12)
    shift = [[start.strftime("%H:%M"), (start + timedelta(hours=8)).strftime("%H:%M")]]
    return {day: shift for day in WEEKDAYS}


EXAMPLE_SCRIPT = Path(qa.__file__).parent / "scripts" / "realty-inbound.yaml"


async def seed_department(
    sessions: async_sessionmaker, department: Department, now: datetime, logins: Path
) -> bool:
    """Put ``department`` into the database unless it has managers already; True if it did.
    The logins' passwords are written to ``logins``."""
    async with sessions() as session, session.begin():
        if await session.scalar(select(func.count()).select_from(Manager)):
            return False
        groups = {spec.name: Group(name=spec.name, chain=_stored(spec.chain)) for spec in department.groups}
        managers = {
            spec.extension: Manager(
                extension=spec.extension,
                name=spec.name,
                timezone=TIMEZONE,
                working_hours=shift_away_from(now) if spec.off_duty else {},
                absent=spec.absent,
                groups=[groups[name] for name in spec.groups],
            )
            for spec in department.managers
        }
        session.add_all([*groups.values(), *managers.values()])
        await session.flush()
        for spec in department.groups:
            if spec.default_manager:
                groups[spec.name].default_manager_id = managers[spec.default_manager].id
        session.add_all(
            Client(name=spec.name, responsible_manager_id=managers[spec.manager].id, phones=[ClientPhone(phone=spec.phone)])
            for spec in department.clients
        )
        session.add_all(
            RoutingRule(did=spec.did, name=spec.name, source=spec.source, chain=_stored(spec.chain))
            for spec in department.routing_rules
        )
        manager_ids = {extension: manager.id for extension, manager in managers.items()}
    accounts = AccountService(sessions, SystemClock(), session_hours=1)
    passwords = {spec.username: secrets.token_urlsafe(9) for spec in department.users}
    for spec in department.users:
        await accounts.create_user(spec.username, passwords[spec.username], spec.role, manager_ids.get(spec.extension))
    # the corpus calls the simulator plays are this script's department's: their calls get scores
    await ScriptLibrary(sessions).save(EXAMPLE_SCRIPT.read_text(encoding="utf-8"))
    logins.parent.mkdir(parents=True, exist_ok=True)
    logins.touch(mode=0o600)
    logins.write_text("".join(f"{spec.username} ({spec.role}): {passwords[spec.username]}\n" for spec in department.users))
    return True


def _stored(chain: ChainSpec | None) -> dict | None:
    return None if chain is None else chain.model_dump(mode="json")
