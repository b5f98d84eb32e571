"""The demo department file is valid and seeds an empty database once."""

from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from accounts.service import AccountService
from callcenter.clock import FakeClock
from callcenter.demo_department import Department, seed_department, shift_away_from
from routing.model import ManagerState
from routing.schedule import is_working
from storage.models import Client, Group, Manager, RoutingRule, QaScript

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("hours", [0, 5, 11, 13, 23])
def test_an_off_duty_shift_never_covers_now(hours):
    now = NOW + timedelta(hours=hours)
    manager = ManagerState("105", timezone="Europe/Moscow", working_hours=shift_away_from(now))
    assert not is_working(manager, now)
    assert is_working(manager, now + timedelta(hours=13))


async def test_the_department_is_seeded_into_an_empty_database_once(sessions, tmp_path):
    department = Department.load()
    logins = tmp_path / "data" / "demo-logins.txt"
    assert await seed_department(sessions, department, NOW, logins)
    written = logins.read_text()
    assert not await seed_department(sessions, department, NOW, tmp_path / "again.txt")
    assert logins.read_text() == written and not (tmp_path / "again.txt").exists()
    assert logins.stat().st_mode & 0o077 == 0  # the owner's only
    passwords = dict(line.split(": ") for line in written.splitlines())
    assert set(passwords) == {"sergey (manager)", "olga (manager)", "rop (rop)", "admin (admin)"}
    accounts = AccountService(sessions, FakeClock(NOW), session_hours=1)
    session = await accounts.login("sergey", passwords["sergey (manager)"])
    assert session is not None and (await accounts.principal(session.token)).manager_id is not None
    async with sessions() as session:
        managers = {m.extension: m for m in await session.scalars(select(Manager).options(selectinload(Manager.groups)))}
        groups = {g.name: g for g in await session.scalars(select(Group))}
        assert await session.scalar(select(func.count()).select_from(Client)) == len(department.clients)
        dids = set(await session.scalars(select(RoutingRule.did)))
        scripts = [(row.name, row.version, row.active) for row in await session.scalars(select(QaScript))]
        assert scripts == [("realty-inbound", 1, True)]  # the corpus calls' script, seeded once
    assert len(managers) == 6 and set(groups) == {"sales", "commercial"}
    assert managers["103"].absent and not managers["101"].absent
    assert [g.name for g in managers["104"].groups] == ["commercial"]
    assert groups["commercial"].default_manager_id == managers["104"].id
    assert groups["commercial"].chain["steps"][1]["strategy"] == "ring_all"
    assert "*" in dids


def test_a_mistake_in_the_department_is_named():
    with pytest.raises(ValidationError, match="ring_seconds"):
        Department.model_validate({"groups": [], "managers": [], "routing_rules": [
            {"did": "1", "chain": {"steps": [{"kind": "owner", "ring_seconds": 0}]}}]})
