"""Fixtures shared by the crm tests."""

import pytest

from storage.models import Client, ClientPhone, Manager
from tests.crm.test_tasks import CLIENT


@pytest.fixture
async def people(sessions) -> dict[str, int]:
    async with sessions() as session, session.begin():
        sergey, anna, oleg = Manager(name="Сергей", extension="101"), Manager(name="Анна", extension="103"), Manager(
            name="Олег", extension="105")
        session.add_all([sergey, anna, oleg])
        await session.flush()
        session.add(Client(name="Елена", responsible_manager_id=sergey.id, phones=[ClientPhone(phone=CLIENT)]))
        session.add(Client(name="Без менеджера", phones=[ClientPhone(phone="+79160000000")]))
        return {"101": sergey.id, "103": anna.id, "105": oleg.id}
