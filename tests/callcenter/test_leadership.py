"""The AMI leader lease: its semantics on the embedded server and the real Redis, the
leadership loop, and a takeover between two backends over real sockets."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import aiohttp
import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from callcenter.app import Services
from callcenter.leadership import Leadership, RedisLease, instance_id
from pbx.simulator.ami_server import AmiServer
from pbx.simulator.call import OriginateRequest
from pbx.simulator.playback import PROMPT_SECONDS
from pbx.simulator.scenario import CallSpec
from pbx.simulator.simulator import Simulator
from storage.models import Call, CallbackTask, Manager
from tests.conftest import REDIS_URL, free_port
from tests.support.ami import no_channels
from tests.support.data import CORPUS

KEY = "test:lease"
SPEED = 20.0
DID = "74951234567"


def lease(redis, ttl: float = 5.0) -> RedisLease:
    return RedisLease(redis, KEY, instance_id(), ttl)


# -- the lease ------------------------------------------------------------------


async def test_only_one_owner_acquires(redis):
    first, second = lease(redis), lease(redis)
    assert await first.acquire()
    assert not await second.acquire()
    assert not await first.acquire()  # not re-entrant either: the holder renews
    assert await second.holder() == first.owner


async def test_only_the_owner_renews(redis):
    first, second = lease(redis, ttl=5.0), lease(redis, ttl=60.0)
    await first.acquire()
    assert not await second.renew()
    assert 0 < await redis.pttl(KEY) <= 5000  # the stranger's 60 s were not applied
    await redis.pexpire(KEY, 1000)
    assert await first.renew()
    assert 4000 < await redis.pttl(KEY) <= 5000


async def test_only_the_owner_releases(redis):
    first, second = lease(redis), lease(redis)
    await first.acquire()
    assert not await second.release()
    assert await first.holder() == first.owner
    assert await first.release()
    assert await first.holder() is None
    assert await second.acquire()


async def test_an_expired_lease_goes_to_another_owner_and_stays_theirs(redis):
    first, second = lease(redis, ttl=0.1), lease(redis)
    await first.acquire()
    await asyncio.sleep(0.2)
    assert await second.acquire()
    assert not await first.renew()
    assert not await first.release()
    assert await second.holder() == second.owner


def test_instance_ids_differ_per_start():
    assert instance_id() != instance_id()
    assert f":{os.getpid()}:" in instance_id()


# -- the leadership loop ------------------------------------------------------------


class Callbacks:
    """Records what a Leadership told its owner, in order."""

    def __init__(self) -> None:
        self.log: list[str] = []

    async def gained(self) -> None:
        self.log.append("gained")

    async def lost(self) -> None:
        self.log.append("lost")


def leadership(redis, ttl: float = 0.3) -> tuple[Leadership, list[str]]:
    """A Leadership on a short lease, and the log of its callbacks."""
    callbacks = Callbacks()
    return Leadership(lease(redis, ttl), callbacks.gained, callbacks.lost), callbacks.log


async def until(condition, timeout: float) -> float:
    """Seconds until ``condition()`` held; TimeoutError past ``timeout``."""
    began = time.monotonic()
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)
    return time.monotonic() - began

async def until_async(probe, condition, timeout: float) -> None:
    """Poll ``probe()`` until ``condition`` holds of its result."""
    async with asyncio.timeout(timeout):
        while not condition(await probe()):
            await asyncio.sleep(0.1)


async def test_one_leads_keeps_leading_and_hands_over_on_stop(redis):
    (first, first_log), (second, second_log) = leadership(redis), leadership(redis)
    await first.start()
    await second.start()
    try:
        assert (first.is_leader, second.is_leader) == (True, False)
        await asyncio.sleep(1.0)  # over three times the ttl: the renewals kept it
        assert (first.is_leader, second.is_leader) == (True, False)
        await first.stop()
        assert first_log == ["gained", "lost"]
        assert await redis.get(KEY) in (None, second.lease.owner)  # released, not left to expire
        await until(lambda: second.is_leader, timeout=second.interval + 0.2)
        assert second_log == ["gained"]
    finally:
        await first.stop()
        await second.stop()


async def test_a_redis_failure_steps_down_without_waiting_for_the_lease(redis, monkeypatch):
    first, first_log = leadership(redis)
    await first.start()

    async def broken() -> bool:
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(first.lease, "renew", broken)
    try:
        await until(lambda: not first.is_leader, timeout=first.interval * 2)
        assert first_log == ["gained", "lost"]
    finally:
        await first.stop()
    assert first_log == ["gained", "lost"]  # stopping a follower does not report another loss


async def test_a_lease_taken_over_after_expiry_steps_the_old_leader_down(redis):
    first, first_log = leadership(redis)
    await first.start()
    try:
        await redis.set(KEY, "somebody else")  # as if ours expired while we were stalled, and another took it
        await until(lambda: not first.is_leader, timeout=first.interval * 2)
        assert first_log == ["gained", "lost"]
        assert await redis.get(KEY) == "somebody else"
    finally:
        await first.stop()


async def test_a_leader_that_fails_to_start_steps_down_and_releases(redis):
    async def fails() -> None:
        raise RuntimeError("cannot start")

    callbacks = Callbacks()
    first = Leadership(lease(redis), fails, callbacks.lost)
    await first.start()
    try:
        assert not first.is_leader and callbacks.log == ["lost"]
        assert await redis.get(KEY) is None
    finally:
        await first.stop()


# -- two backends over real sockets ---------------------------------------------------

SECRET = "s3cret"
TTL = 3.0  # 1.5 s lost the lease now and then beside two CPU hogs: both instances run in one loop here
BEFORE, ACROSS, AFTER = "79160000001", "79160000002", "79160000003"  # callers around A's death
ACROSS_TALK = 160  # the manager's Wait() after the greeting: 8 s at SPEED, past B's takeover


@pytest.fixture
def cluster_settings(settings, tmp_path):
    """Backend settings for instances that share the database and the real Redis."""
    return settings.model_copy(update={
        "redis_url": REDIS_URL, "ami_secret": SECRET, "ami_lease_seconds": TTL,
        "ami_reconnect_initial": 0.1, "ami_reconnect_max": 0.5,
    })


@pytest.fixture
async def pbx(tmp_path):
    """The simulated Asterisk's AMI server; the simulator behind it is made per test."""
    ami = AmiServer(username="callcenter", secret=SECRET)
    port = await ami.start()
    yield ami, port
    await ami.stop()


async def start_instance(settings) -> Services:
    services = await Services.create(settings.model_copy(update={"http_port": free_port()}))
    await services.start()
    return services


async def start_process(settings, tmp_path) -> tuple[asyncio.subprocess.Process, str]:
    """``callcenter serve`` in its own process; returns it and its health URL."""
    http_port = free_port()
    env = {
        **os.environ,
        "CALLCENTER_CONFIG": str(tmp_path / "none.toml"),
        "DATABASE_URL": settings.effective_database_url,
        "REDIS_URL": settings.redis_url,
        "CALLCENTER_DATA_DIR": str(tmp_path / "process"),
        "CALLCENTER_HTTP_PORT": str(http_port),
        "CALLCENTER_AGI_PORT": "0",
        "CALLCENTER_AMI_PORT": str(settings.ami_port),
        "CALLCENTER_AMI_SECRET": settings.ami_secret,
        "CALLCENTER_AMI_LEASE_SECONDS": str(settings.ami_lease_seconds),
        "CALLCENTER_CDR_LINGER_SECONDS": str(settings.cdr_linger_seconds),
        "CALLCENTER_TRANSCRIPTION_WORKERS_IN_BACKEND": "0",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from callcenter.cli import main; main()", "serve", env=env
    )
    return process, f"http://127.0.0.1:{http_port}/health"


async def health(url: str) -> dict | None:
    try:
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            return await response.json()
    except aiohttp.ClientError:
        return None


async def cards_by_caller(sessions) -> dict[str, list[Call]]:
    async with sessions() as session:
        rows = await session.scalars(select(Call).options(selectinload(Call.legs)))
        found: dict[str, list[Call]] = {}
        for card in rows:
            found.setdefault(card.caller_raw, []).append(card)
        return found


async def stored(sessions, callers: set[str], timeout: float = 10.0) -> dict[str, list[Call]]:
    async with asyncio.timeout(timeout):
        while not callers <= set(cards := await cards_by_caller(sessions)):
            await asyncio.sleep(0.1)
    return cards


def staying(request: OriginateRequest) -> OriginateRequest:
    """The caller stays on the line ([sim-caller]'s Wait(CALLER_DELAY)) until the manager hangs up."""
    request.variables.append(("CALLER_DELAY", "1000"))
    return request


@dataclass
class Takeover:
    cards: dict[str, list[Call]]  # by caller
    took: float  # seconds from A's death until B leads and is connected
    lease_seconds: float
    renew_interval: float


@pytest.fixture
async def takeover(cluster_settings, sessions, redis, pbx, tmp_path) -> Takeover:
    """A (its own process) leads and records a call; it is killed while a
    second call is being talked; B takes over; a third call follows. Returns
    the call cards once all three are over."""
    ami, ami_port = pbx
    settings = cluster_settings.model_copy(update={"ami_port": ami_port})
    follower = await Services.create(settings.model_copy(update={"http_port": free_port()}))
    await follower.start_agi()  # the simulated dialplan asks B for routes throughout
    simulator = Simulator(ami, "127.0.0.1", follower.agi_port, tmp_path / "spool", CORPUS, SPEED)
    process, health_url = await start_process(settings, tmp_path)
    try:
        async with asyncio.timeout(120):  # a lost call fails here, with where it was stuck
            return await _take_over(settings, sessions, follower, simulator, process, health_url)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await simulator.close()
        await follower.stop()


async def _take_over(settings, sessions, follower, simulator, process, health_url) -> Takeover:
    """A leads and records a call, dies during the second; B takes over and records the third."""
    await until_async(lambda: health(health_url), lambda body: body and body["ami_connected"], timeout=20)
    await follower.start_ami()
    assert not follower.ami_leader and not follower.ami_connected

    before = await simulator.place_call(CallSpec(did=DID, caller_number=BEFORE))
    await simulator.wait_call(before)
    await stored(sessions, {BEFORE})  # recorded by A: B does not consume AMI

    across = simulator.originate(staying(simulator.request_for(
        CallSpec(did=DID, caller_number=ACROSS, agent_talk_seconds=ACROSS_TALK)))).linkedid
    await until(lambda: simulator.calls[across].talking is not None, timeout=5)
    process.send_signal(signal.SIGKILL)  # no release: the lease has to expire
    await process.wait()
    took = await until(lambda: follower.ami_leader and follower.ami_connected, timeout=2 * TTL + 1)

    await simulator.wait_call(across)
    after = await simulator.place_call(CallSpec(did=DID, caller_number=AFTER))
    await simulator.wait_call(after)
    await stored(sessions, {AFTER})
    await asyncio.sleep(settings.cdr_linger_seconds + 0.5)  # any straggling card of the call across
    assert follower.leadership is not None
    return Takeover(await cards_by_caller(sessions), took, TTL, follower.leadership.interval)


@pytest.mark.redis_server
@pytest.mark.parametrize("redis", ["redis"], indirect=True)
async def test_a_crashed_leader_is_replaced_within_the_lease(takeover):
    assert takeover.took <= takeover.lease_seconds + takeover.renew_interval + 0.5
    assert len(takeover.cards[BEFORE]) == len(takeover.cards[AFTER]) == 1
    assert len(takeover.cards.get(ACROSS, [])) <= 1
    assert (takeover.cards[AFTER][0].disposition, takeover.cards[AFTER][0].answered_by_extension) == ("answered", "101")


@pytest.mark.redis_server
@pytest.mark.parametrize("redis", ["redis"], indirect=True)
async def test_a_call_across_the_takeover_gets_one_correct_card(takeover):
    [card] = takeover.cards.get(ACROSS, [])  # B adopted it from CoreShowChannels, the events ended it
    assert (card.disposition, card.answered_by_extension, card.caller_number) == ("answered", "101", f"+{ACROSS}")
    assert [(leg.extension, leg.result) for leg in card.legs] == [("101", "answered")]
    # the greeting (a stock prompt) and the Wait, by the inbound channel's CDR
    assert card.talk_seconds == pytest.approx(PROMPT_SECONDS + ACROSS_TALK, abs=1.5)
    assert card.wait_seconds == pytest.approx(2, abs=1.5)  # AGENT_RING_SECONDS


@pytest.mark.redis_server
@pytest.mark.parametrize("redis", ["redis"], indirect=True)
async def test_a_stopping_leader_hands_over_at_once(cluster_settings, redis, pbx):
    ami, ami_port = pbx
    ami.register_action("CoreShowChannels", no_channels)
    settings = cluster_settings.model_copy(update={"ami_port": ami_port, "ami_lease_seconds": 3.0})
    first = await start_instance(settings)
    second = await start_instance(settings)
    try:
        await until(lambda: first.ami_connected, timeout=5)
        assert (first.ami_leader, second.ami_leader, second.ami_connected) == (True, False, False)
        would_live = await redis.pttl(settings.ami_lease_key) / 1000  # renewed at most 1 s ago: 2 s and more
        stopping = time.monotonic()
        await first.stop()
        assert not first.ami_leader and not first.ami_connected
        await until(lambda: second.ami_leader and second.ami_connected, timeout=3)
        assert time.monotonic() - stopping < would_live  # released: taken over before it would have expired
    finally:
        await first.stop()
        await second.stop()


@pytest.mark.redis_server
@pytest.mark.parametrize("redis", ["redis"], indirect=True)
async def test_a_follower_s_click_to_call_is_originated_by_the_leader(cluster_settings, redis, pbx, sessions):
    ami, ami_port = pbx
    ami.register_action("CoreShowChannels", no_channels)
    originated: list[dict[str, str]] = []

    async def originate(_session, headers):
        originated.append(headers)
        return [{"Response": "Success", "Message": "Originate successfully queued"}]

    ami.register_action("Originate", originate)
    async with sessions() as session, session.begin():
        manager = Manager(name="Иван", extension="101")
        session.add(manager)
        await session.flush()
        now = datetime.now(timezone.utc)
        task = CallbackTask(phone="+79161112233", manager_id=manager.id, status="open", first_linkedid="m.1",
                            missed_count=1, first_missed_at=now, last_missed_at=now,
                            deadline_at=now + timedelta(minutes=15), created_at=now)
        session.add(task)
        await session.flush()
        task_id, manager_id = task.id, manager.id
    settings = cluster_settings.model_copy(update={"ami_port": ami_port})
    leader = await start_instance(settings)
    follower = await start_instance(settings)
    try:
        await until(lambda: leader.ami_connected, timeout=5)
        assert (leader.ami_leader, follower.ami_leader, follower.ami_connected) == (True, False, False)
        callback = await follower.click_to_call.call_back(task_id, manager_id)
        [action] = originated
        assert (action["Channel"], action["Exten"], action["ActionID"]) == ("Local/101@agents", "79161112233",
                                                                            callback.action_id)
    finally:
        await leader.stop()
        await follower.stop()
