"""AMI actions from an instance without the AMI connection are sent by the
leader's (``pbx.ami.relay``), over a real TCP connection to the simulator's
AMI server, through the embedded server and the real Redis."""

import asyncio
import time

import pytest

from callcenter.stopping import stop_tasks
from pbx.ami.connector import AmiConnector
from pbx.ami.relay import REQUESTS_KEY, ActionRelay
from pbx.simulator.ami_server import AmiServer
from tests.support.ami import no_channels

SECRET = "s3cret"
ORIGINATE = {"Action": "Originate", "Channel": "Local/101@agents", "Exten": "79161112233", "Context": "outbound"}


async def ignore(_message) -> None:
    pass


@pytest.fixture
async def asterisk():
    """The simulated AMI server, recording the Originates it is asked for."""
    ami = AmiServer(username="callcenter", secret=SECRET)
    ami.originated = []

    async def originate(_session, headers):
        ami.originated.append(headers)
        if headers.get("Exten") == "000":
            return [{"Response": "Error", "Message": "Originate failed"}]
        return [{"Response": "Success", "Message": "Originate successfully queued"}]

    ami.register_action("Originate", originate)
    ami.register_action("CoreShowChannels", no_channels)
    port = await ami.start()
    yield ami, port
    await ami.stop()


@pytest.fixture
async def leader(asterisk, redis):
    """An instance connected to Asterisk, serving the relay."""
    _, port = asterisk
    connector = AmiConnector("127.0.0.1", port, "callcenter", SECRET, on_event=ignore, action_timeout=2.0)
    await connector.start()
    await asyncio.wait_for(connector.connected.wait(), 5)
    relay = ActionRelay(redis, connector)
    serving = asyncio.create_task(relay.serve())
    yield relay
    await stop_tasks([serving])
    await connector.stop()


def follower(redis, timeout: float = 3.0) -> ActionRelay:
    """An instance that never connects to Asterisk."""
    return ActionRelay(redis, AmiConnector("127.0.0.1", 1, "callcenter", SECRET, on_event=ignore), timeout=timeout)


async def test_a_follower_s_action_is_sent_by_the_leader_and_its_reply_comes_back(asterisk, leader, redis):
    ami, _ = asterisk
    reply = await follower(redis).send_action(ORIGINATE)
    assert reply["Response"] == "Success" and reply["Message"] == "Originate successfully queued"
    refused = await follower(redis).send_action({**ORIGINATE, "Exten": "000"})
    assert (refused["Response"], refused["Message"]) == ("Error", "Originate failed")
    assert [headers["Exten"] for headers in ami.originated] == ["79161112233", "000"]


async def test_the_leader_sends_its_own_actions_directly(asterisk, leader, redis):
    ami, _ = asterisk
    await asyncio.sleep(0.05)  # the serving task has started
    assert leader.serving
    assert (await leader.send_action(ORIGINATE))["Response"] == "Success"
    assert await redis.llen(REQUESTS_KEY) == 0 and len(ami.originated) == 1


async def test_without_a_leader_the_caller_times_out_and_a_late_leader_sends_nothing(asterisk, redis):
    ami, port = asterisk
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="no AMI leader"):
        await follower(redis, timeout=1.5).send_action(ORIGINATE)
    assert time.monotonic() - started == pytest.approx(1.5, abs=0.5)
    connector = AmiConnector("127.0.0.1", port, "callcenter", SECRET, on_event=ignore)
    await connector.start()
    relay = ActionRelay(redis, connector)
    serving = asyncio.create_task(relay.serve())
    try:
        for _ in range(50):
            if await redis.llen(REQUESTS_KEY) == 0:
                break
            await asyncio.sleep(0.05)
        assert await redis.llen(REQUESTS_KEY) == 0  # taken, and dropped: its caller gave up
        assert ami.originated == []
    finally:
        await stop_tasks([serving])
        await connector.stop()


async def test_a_leader_cut_off_from_asterisk_answers_with_a_connection_error(redis):
    relay = follower(redis)  # never connected: it serves, but cannot reach Asterisk
    serving = asyncio.create_task(relay.serve())
    try:
        with pytest.raises(ConnectionError, match="not connected"):
            await follower(redis).send_action(ORIGINATE)
    finally:
        await stop_tasks([serving])
