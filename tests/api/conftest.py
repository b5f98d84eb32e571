"""A real HTTP server with the whole API on a test database, a department in
it (two managers, a ROP, an admin, their logins) and helpers to call it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest
from aiohttp import web
from sqlalchemy import select
from argon2 import PasswordHasher
from aiohttp.test_utils import TestClient, TestServer

from accounts import passwords
from accounts.access import Role
from accounts.service import AccountService
from api.app import ApiContext
from callcenter.bus import DomainEvent, EventBus
from callcenter.clock import FakeClock
from crm.click_to_call import ClickToCall
from server import mount_api
from storage.cache import create_redis
from jobs.queue import JobQueue
from recordings.store import LocalStore
from qa.library import ScriptLibrary
from qa.service import QaService
from callcenter.demo_department import EXAMPLE_SCRIPT
from transcription.service import TranscriptionService
from webhooks.service import WebhookService
from storage.models import Call, CallbackTask, CallLeg, CallScore, Client, ClientPhone, Lead, Manager, QaScript, Recording

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
PASSWORD = "correct horse battery"


@dataclass
class RecordingPbx:
    """Stands in for the AMI connection behind click-to-call: keeps the actions
    and answers like Asterisk queueing an Originate, or refuses, or is down."""

    actions: list[dict[str, str]] = field(default_factory=list)
    answer: str = "Success"  # or "Error", or "down"

    async def send_action(self, action: dict[str, str]) -> dict[str, str]:
        if self.answer == "down":
            raise ConnectionError("AMI is not connected")
        self.actions.append(dict(action))
        return {"Response": self.answer, "Message": "Originate successfully queued" if self.answer == "Success"
                else "Originate failed"}


@dataclass
class Department:
    """Ids of what the fixture made, and a token per login."""

    ivan: int  # manager 101
    olga: int  # manager 102
    tokens: dict[str, str] = field(default_factory=dict)
    events: list[DomainEvent] = field(default_factory=list)
    pbx: RecordingPbx = field(default_factory=RecordingPbx)


class Api:
    """A test client that logs in as one of the department's users."""

    def __init__(self, client: TestClient, department: Department) -> None:
        self.client = client
        self.department = department

    def headers(self, user: str | None) -> dict[str, str]:
        return {} if user is None else {"Authorization": f"Bearer {self.department.tokens[user]}"}

    async def call(self, method: str, path: str, user: str | None = None, **kwargs):
        headers = {**self.headers(user), **kwargs.pop("headers", {})}
        return await self.client.request(method, f"/api{path}", headers=headers, **kwargs)

    async def json(self, method: str, path: str, user: str | None = None, status: int = 200, **kwargs):
        response = await self.call(method, path, user, **kwargs)
        body = await response.json()
        assert response.status == status, body
        return body

    async def all_pages(self, path: str, user: str, **params) -> list[dict]:
        """Every item of a list, following ``next_cursor`` page by page."""
        items, cursor = [], None
        while True:
            page = await self.json("GET", path, user, params={**params, **({"cursor": cursor} if cursor else {})})
            items += page["items"]
            if (cursor := page["next_cursor"]) is None:
                return items


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch):
    """Argon2 at its lowest cost: the tests hash many passwords, the parameters are not under test."""
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
async def department(sessions, clock, settings) -> Department:
    async with sessions() as session, session.begin():
        ivan = Manager(name="Иван Петров", extension="101")
        olga = Manager(name="Ольга Смирнова", extension="102")
        session.add_all([ivan, olga])
        await session.flush()
        dept = Department(ivan=ivan.id, olga=olga.id)
    accounts = AccountService(sessions, clock, settings.session_hours)
    for username, role, manager_id in (
        ("ivan", Role.MANAGER, dept.ivan),
        ("olga", Role.MANAGER, dept.olga),
        ("rop", Role.ROP, None),
        ("admin", Role.ADMIN, None),
    ):
        await accounts.create_user(username, PASSWORD, role, manager_id)
        dept.tokens[username] = (await accounts.login(username, PASSWORD)).token
    return dept


@pytest.fixture
async def api_redis(embedded_redis_url):
    """The API's Redis: the embedded server, emptied (tests/live puts both Redis fixtures here)."""
    redis = create_redis(embedded_redis_url)
    await redis.flushdb()
    yield redis
    await redis.aclose()


@pytest.fixture
async def api(sessions, settings, clock, department, api_redis) -> Api:
    bus = EventBus()
    for name in ("client.changed", "lead.changed", "managers.changed", "routing.changed"):
        bus.subscribe(name, _recorder(department.events))
    app = web.Application()
    click_to_call = ClickToCall(sessions, department.pbx.send_action)
    transcription = TranscriptionService(
        sessions, JobQueue(api_redis, settings.transcription_stream), LocalStore(settings.effective_recordings_dir), clock
    )
    qa = QaService(sessions, JobQueue(api_redis, settings.qa_stream), clock)
    context = ApiContext(
        sessions, settings, bus, clock, api_redis, click_to_call, WebhookService(sessions, clock), transcription, qa
    )
    mount_api(app, context)
    client = TestClient(TestServer(app))
    await client.start_server()
    yield Api(client, department)
    await client.close()


def _recorder(events: list[DomainEvent]):
    async def record(event: DomainEvent) -> None:
        events.append(event)

    return record


async def add_call(sessions, linkedid: str, *, started_at: datetime = NOW, answered_by: int | None = None,
                   rang: tuple[int, ...] = (), caller: str = "+79161112233", client_id: int | None = None,
                   talk: float = 60.0, wait: float | None = 5.0, direction: str = "inbound",
                   disposition: str = "answered", recording: str | None = None) -> int:
    """A stored call card; ``rang``: managers whose legs rang (no answer), ``answered_by`` the answering leg."""
    legs = [
        CallLeg(position=i, extension=f"ext{manager}", manager_id=manager, rang_at=started_at,
                ended_at=started_at + timedelta(seconds=10), result="noanswer")
        for i, manager in enumerate(rang)
    ]
    if answered_by is not None:
        legs.append(CallLeg(position=len(legs), extension=f"ext{answered_by}", manager_id=answered_by,
                            rang_at=started_at, answered_at=started_at + timedelta(seconds=4),
                            ended_at=started_at + timedelta(seconds=talk), result="answered"))
    async with sessions() as session, session.begin():
        call = Call(
            linkedid=linkedid, direction=direction, caller_raw=caller, caller_number=caller, did="74951234567",
            started_at=started_at, wait_seconds=wait, talk_seconds=talk, answered_by_id=answered_by,
            disposition=disposition, client_id=client_id, legs=legs,
            recording=None if recording is None else Recording(path=recording, status="ok"),
        )
        session.add(call)
        await session.flush()
        return call.id


async def add_client(sessions, name: str, manager_id: int | None, *phones: str) -> int:
    async with sessions() as session, session.begin():
        client = Client(name=name, responsible_manager_id=manager_id, phones=[ClientPhone(phone=p) for p in phones])
        session.add(client)
        await session.flush()
        return client.id


async def add_lead(sessions, phone: str, owner_id: int | None, linkedid: str, created_at: datetime = NOW) -> int:
    async with sessions() as session, session.begin():
        lead = Lead(phone=phone, owner_id=owner_id, first_linkedid=linkedid, status="open", created_at=created_at)
        session.add(lead)
        await session.flush()
        return lead.id


async def add_task(sessions, phone: str, manager_id: int | None, deadline: datetime, linkedid: str) -> int:
    async with sessions() as session, session.begin():
        task = CallbackTask(
            phone=phone, manager_id=manager_id, status="open", first_linkedid=linkedid, missed_count=1,
            first_missed_at=deadline - timedelta(minutes=15), last_missed_at=deadline - timedelta(minutes=15),
            deadline_at=deadline, created_at=deadline - timedelta(minutes=15),
        )
        session.add(task)
        await session.flush()
        return task.id


async def add_score(sessions, call_id: int, total: float, items: list[dict]) -> None:
    """A score of the call by the example script (``items``: ``id``, ``title``, ``met``)."""
    async with sessions() as session:
        script_id = await session.scalar(select(QaScript.id))
    if script_id is None:
        script_id = (await ScriptLibrary(sessions).save(EXAMPLE_SCRIPT.read_text(encoding="utf-8"))).id
    missed_ids = [item["id"] for item in items if item["met"] is False]
    missed = f" {' '.join(missed_ids)} " if missed_ids else ""
    async with sessions() as session, session.begin():
        session.add(CallScore(call_id=call_id, script_id=script_id, total=total, passed=total >= 70, items=items,
                              missed=missed, created_at=NOW))
