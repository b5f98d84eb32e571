"""The owner index on SQLite/PostgreSQL and the embedded server and the real Redis: building it,
the marker, keeping it current from the bus, and rebuilding."""

from __future__ import annotations

import asyncio

from sqlalchemy import update

from callcenter.app import Services
from callcenter.bus import CALL_ENDED, DomainEvent, EventBus
from callcenter.clock import FakeClock
from crm.events import client_changed, lead_changed, managers_changed
from crm.leads import LEAD_CLOSED
from pbx.tracker.model import CallRecord, Direction, Disposition
from routing.owner_index import CHANGED_KEY, LOCK_KEY, OWNERS_KEY, READY_FIELD, OwnerIndex
from storage.models import Client, ClientPhone, Lead, Manager

ACME, ACME_OFFICE, GLOBEX, LEAD, CLIENT_AND_LEAD, OLD_LEAD = (
    "+79123456789", "+74951110000", "+79120000002", "+79160001122", "+79160003344", "+79160005566",
)


async def seed(sessions) -> dict[str, int]:
    """Managers 101, 102 and the inactive 109; ACME (two numbers) is 101's,
    GLOBEX the inactive 109's; open leads of 102; a closed one of 101."""
    async with sessions() as session, session.begin():
        managers = {ext: Manager(name=f"M{ext}", extension=ext, active=ext != "109") for ext in ("101", "102", "109")}
        session.add_all(managers.values())
        await session.flush()
        ids = {ext: manager.id for ext, manager in managers.items()}
        session.add_all([
            Client(name="ACME", responsible_manager_id=ids["101"],
                   phones=[ClientPhone(phone=ACME), ClientPhone(phone=ACME_OFFICE)]),
            Client(name="Globex", responsible_manager_id=ids["109"], phones=[ClientPhone(phone=GLOBEX)]),
            Client(name="Initech", responsible_manager_id=ids["101"], phones=[ClientPhone(phone=CLIENT_AND_LEAD)]),
            Lead(phone=LEAD, first_linkedid="l.1", owner_id=ids["102"]),
            Lead(phone=CLIENT_AND_LEAD, first_linkedid="l.2", owner_id=ids["102"]),
            Lead(phone=OLD_LEAD, first_linkedid="l.3", owner_id=ids["101"], status=LEAD_CLOSED),
        ])
    return ids


EXPECTED = {ACME: "101", ACME_OFFICE: "101", LEAD: "102", CLIENT_AND_LEAD: "101"}


class Refusing:
    """A database that is down."""

    def __call__(self):
        raise ConnectionRefusedError("database down")


def index(sessions, redis, clock=None, **options) -> OwnerIndex:
    return OwnerIndex(sessions, redis, clock or FakeClock(), **options)


async def lookup(owners: OwnerIndex, redis, phone: str) -> str | None:
    return await owners.owner(phone, await redis.hmget(OWNERS_KEY, phone, READY_FIELD))


async def indexed(redis) -> dict[str, str]:
    """The index's numbers and owners, without the marker."""
    owners = await redis.hgetall(OWNERS_KEY)
    assert READY_FIELD in owners
    return {phone: extension for phone, extension in owners.items() if phone != READY_FIELD}


async def execute(sessions, statement) -> None:
    async with sessions() as session, session.begin():
        await session.execute(statement)


async def test_a_build_indexes_every_owned_number_and_marks_the_index_complete(sessions, redis):
    await seed(sessions)
    clock = FakeClock()
    owners = index(sessions, redis, clock)
    assert await owners.state() is None
    state = await owners.build()
    assert (state.version, state.built_at, state.owners) == (1, clock.now(), 4)
    assert await redis.hgetall(OWNERS_KEY) == {**EXPECTED, READY_FIELD: state.dumps()}  # not 109's, no closed lead
    assert await owners.state() == state
    assert await redis.ttl(OWNERS_KEY) == -1  # the hash built expired with the lease; the index does not
    assert (await owners.build()).version == 2
    assert set(await redis.keys("routing:owners*")) == {OWNERS_KEY, "routing:owners:version"}


async def test_with_the_marker_the_index_alone_answers(sessions, redis):
    await seed(sessions)
    await index(sessions, redis).build()
    owners = index(Refusing(), redis)
    assert await lookup(owners, redis, ACME) == "101"
    assert await lookup(owners, redis, "+79169999999") is None  # a new caller, without asking the database


async def test_without_the_marker_the_database_answers(sessions, redis):
    await seed(sessions)
    owners = index(sessions, redis)
    await redis.hset(OWNERS_KEY, mapping={ACME: "102", GLOBEX: "102"})  # e.g. written before the first build
    assert await lookup(owners, redis, ACME) == "101"
    assert await lookup(owners, redis, GLOBEX) is None
    assert await lookup(owners, redis, CLIENT_AND_LEAD) == "101"  # the client's manager before the lead's owner
    assert await lookup(owners, redis, LEAD) == "102"


async def test_an_empty_database_gives_a_complete_empty_index(sessions, redis):
    await redis.hset(OWNERS_KEY, ACME, "101")
    owners = index(Refusing(), redis)
    assert (await index(sessions, redis).build()).owners == 0
    assert await lookup(owners, redis, ACME) is None
    assert await indexed(redis) == {}


async def test_losing_the_hash_loses_the_marker_with_it(sessions, redis):
    await seed(sessions)
    owners = index(sessions, redis)
    await owners.build()
    await redis.delete(OWNERS_KEY)  # evicted, flushed
    await redis.hset(OWNERS_KEY, ACME, "102")  # an update written since
    assert await owners.state() is None
    assert await lookup(owners, redis, ACME) == "101"


async def test_a_client_change_is_written_at_once(sessions, redis):
    ids = await seed(sessions)
    bus = EventBus()
    owners = index(sessions, redis)
    owners.subscribe(bus)
    await owners.build()
    await execute(sessions, update(Client).where(Client.name == "ACME").values(responsible_manager_id=ids["102"]))
    await execute(sessions, update(ClientPhone).where(ClientPhone.phone == ACME_OFFICE).values(phone="+74952220000"))
    await bus.publish(client_changed(1, {ACME, ACME_OFFICE, "+74952220000"}))
    expected = {**EXPECTED, ACME: "102", "+74952220000": "102"}
    del expected[ACME_OFFICE]
    assert await indexed(redis) == expected


async def test_a_lead_given_to_another_manager_or_closed_is_written_at_once(sessions, redis):
    ids = await seed(sessions)
    bus = EventBus()
    owners = index(sessions, redis)
    owners.subscribe(bus)
    await owners.build()
    await execute(sessions, update(Lead).where(Lead.phone == LEAD).values(owner_id=ids["101"]))
    await bus.publish(lead_changed(1, LEAD))
    assert await indexed(redis) == {**EXPECTED, LEAD: "101"}
    await execute(sessions, update(Lead).where(Lead.phone == LEAD).values(status=LEAD_CLOSED))
    await bus.publish(lead_changed(1, LEAD))
    assert LEAD not in await indexed(redis)


async def test_a_manager_switched_off_loses_their_numbers(sessions, redis):
    ids = await seed(sessions)
    bus = EventBus()
    owners = index(sessions, redis)
    owners.subscribe(bus)
    await owners.build()
    await execute(sessions, update(Manager).where(Manager.id == ids["101"]).values(active=False))
    await bus.publish(managers_changed({ids["101"]}, {ACME, ACME_OFFICE, CLIENT_AND_LEAD}))
    assert await indexed(redis) == {LEAD: "102", CLIENT_AND_LEAD: "102"}  # the lead's owner now


def ended(caller: str, answered_by: str | None = "102", direction: Direction = Direction.INBOUND) -> DomainEvent:
    return DomainEvent(CALL_ENDED, CallRecord(
        linkedid=f"e.{caller}", direction=direction, started_at=FakeClock().now(), caller_number=caller,
        answered_by=answered_by, disposition=Disposition.ANSWERED if answered_by else Disposition.MISSED,
    ))


async def test_an_ended_call_that_made_a_lead_gives_the_caller_an_owner(sessions, redis):
    ids = await seed(sessions)
    bus = EventBus()
    owners = index(sessions, redis)
    owners.subscribe(bus)
    await owners.build()
    caller = "+79167777777"
    assert await lookup(owners, redis, caller) is None
    async with sessions() as session, session.begin():  # what the lead service does first
        session.add(Lead(phone=caller, first_linkedid="e.1", owner_id=ids["102"]))
    await bus.publish(ended(caller))
    assert await lookup(owners, redis, caller) == "102"


async def test_calls_that_cannot_change_an_owner_do_not_ask_the_database(sessions, redis):
    await seed(sessions)
    counting = Counting(sessions)
    bus = EventBus()
    owners = index(counting, redis)
    owners.subscribe(bus)
    await owners.build()
    opened = counting.opened
    await bus.publish(ended(ACME))  # a client's: the call makes no lead
    await bus.publish(ended(LEAD))  # an open lead's with an owner: it keeps them
    await bus.publish(ended("+79167777777", answered_by=None))  # a lead without an owner, at most
    await bus.publish(ended("+79167777777", direction=Direction.OUTBOUND))
    assert counting.opened == opened


class Counting:
    """The real sessions, counting how many are opened."""

    def __init__(self, sessions) -> None:
        self.sessions = sessions
        self.opened = 0

    def __call__(self):
        self.opened += 1
        return self.sessions()


async def test_a_rebuild_heals_changes_made_behind_the_bus(sessions, redis):
    await seed(sessions)
    clock = FakeClock()
    owners = index(sessions, redis, clock, rebuild_seconds=600)
    first = await owners.build_if_stale()
    await execute(sessions, update(Lead).where(Lead.phone == LEAD).values(status=LEAD_CLOSED))
    clock.advance(599)
    assert await owners.build_if_stale() == first
    assert await lookup(owners, redis, LEAD) == "102"
    clock.advance(1)
    assert (await owners.build_if_stale()).version == first.version + 1
    assert await lookup(owners, redis, LEAD) is None


async def test_one_instance_builds_at_a_time(sessions, redis):
    await seed(sessions)
    await redis.set(LOCK_KEY, "another instance")
    owners = index(sessions, redis)
    assert await owners.build() is None
    assert await owners.build_if_stale() is None
    assert await lookup(owners, redis, ACME) == "101"  # from the database meanwhile
    await redis.delete(LOCK_KEY)
    assert (await owners.build_if_stale()).owners == 4


class ChangingDuringBuild(OwnerIndex):
    """Runs ``during`` after reading the database for a build, before the swap."""

    during = None

    async def _write_all_owners(self, building: str) -> int:
        owners = await super()._write_all_owners(building)
        await self.during()
        return owners


async def test_a_change_while_building_survives_the_swap(sessions, redis):
    ids = await seed(sessions)
    bus = EventBus()
    owners = ChangingDuringBuild(sessions, redis, FakeClock())
    owners.subscribe(bus)

    async def change() -> None:
        await execute(sessions, update(Client).where(Client.name == "ACME").values(responsible_manager_id=ids["102"]))
        await bus.publish(client_changed(1, {ACME, ACME_OFFICE}))

    owners.during = change
    await owners.build()
    assert await indexed(redis) == {**EXPECTED, ACME: "102", ACME_OFFICE: "102"}
    assert not await redis.exists(CHANGED_KEY)


async def test_the_hash_being_built_expires_with_the_lease(sessions, redis):
    await seed(sessions)
    owners = ChangingDuringBuild(sessions, redis, FakeClock(), lock_seconds=30)
    ttls = []

    async def look() -> None:
        ttls.extend([await redis.ttl(key) async for key in redis.scan_iter("routing:owners:building:*")])

    owners.during = look
    await owners.build()
    assert len(ttls) == 1 and 0 < ttls[0] <= 30


async def test_a_build_that_outlived_its_lease_is_not_swapped_in(sessions, redis):
    await seed(sessions)
    owners = ChangingDuringBuild(sessions, redis, FakeClock())

    async def expire_the_lease() -> None:
        await redis.delete(LOCK_KEY)

    owners.during = expire_the_lease
    assert await owners.build() is None
    assert await owners.state() is None
    assert set(await redis.keys("routing:owners*")) <= {"routing:owners:version"}


async def test_started_it_builds_in_the_background_until_stopped(sessions, redis):
    await seed(sessions)
    owners = index(sessions, redis, check_seconds=0.05)
    await owners.start()
    try:
        for _ in range(100):
            if await owners.state() is not None:
                break
            await asyncio.sleep(0.05)
        assert (await owners.state()).owners == 4
    finally:
        await owners.stop()
    assert owners._task is None


async def test_the_backend_keeps_the_index_from_start_to_stop(settings, sessions):
    await seed(sessions)
    services = await Services.create(settings.model_copy(update={"routing_owner_index_rebuild_seconds": 60}))
    try:
        await services.start_agi()
        assert services.routing.owners.rebuild_seconds == 60
        for _ in range(100):
            if (state := await services.routing.owners.state()) is not None:
                break
            await asyncio.sleep(0.05)
        assert state.owners == 4
    finally:
        await services.stop()
    assert services.routing.owners._task is None
