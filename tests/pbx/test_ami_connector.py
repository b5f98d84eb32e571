"""AmiConnector against a real AmiServer on 127.0.0.1.

Tests whose names end in ``__panoramisk_...`` guard against the panoramisk 1.4
behaviour they name; each would fail on plain panoramisk.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

import pytest
from panoramisk.message import Message

from pbx.ami.connector import AmiConnector
from pbx.ami.framing import AmiFrameDecoder, header
from pbx.simulator.ami_server import AmiServer, AmiSession
from tests.support.ami import SECRET, USER
from tests.support.data import CAPTURES

WAIT = 2.0
FAST = dict(
    ping_interval=5.0,  # no Pings unless a test wants them: they would interleave with raw injections
    ping_timeout=0.2,
    backoff_initial=0.01,
    backoff_max=0.05,
    action_timeout=0.5,
    connect_timeout=0.5,
)


class ChannelTable:
    """CoreShowChannels in the Asterisk 22 format, over a list tests can change."""

    def __init__(self, server: AmiServer) -> None:
        self.server = server
        self.channels: list[dict[str, str]] = []
        self.before_reply: dict[str, str] | None = None  # an event to emit while answering

    def add(self, name: str, uniqueid: str) -> None:
        self.channels.append(
            {
                "Channel": name,
                "ChannelState": "6",
                "ChannelStateDesc": "Up",
                "CallerIDNum": "79161234567",
                "CallerIDName": "Мария",
                "Context": "from-pstn",
                "Exten": "79161234567",
                "Priority": "8",
                "Uniqueid": uniqueid,
                "Linkedid": uniqueid.split(".")[0] + ".0",
                "Application": "Dial",
                "ApplicationData": "Local/101@sim-agent,20",
                "Duration": "00:00:07",
                "BridgeId": "",
            }
        )

    async def __call__(self, session: AmiSession, headers: dict[str, str]) -> list[dict[str, str]]:
        if self.before_reply:
            self.server.emit(self.before_reply)
        return [
            {"Response": "Success", "EventList": "start", "Message": "Channels will follow"},
            *({"Event": "CoreShowChannel", **channel} for channel in self.channels),
            {"Event": "CoreShowChannelsComplete", "EventList": "Complete", "ListItems": str(len(self.channels))},
        ]


class Recorder:
    """Collects what the connector delivers, in order."""

    def __init__(self) -> None:
        self.log: list[tuple[str, object]] = []
        self.events: asyncio.Queue[Message] = asyncio.Queue()
        self.resyncs: asyncio.Queue[list[Message]] = asyncio.Queue()

    async def on_event(self, event: Message) -> None:
        self.log.append(("event", event.get("UserEvent") or event["Event"]))
        self.events.put_nowait(event)

    async def on_connected(self, channels: list[Message]) -> None:
        self.log.append(("resync", [channel["Channel"] for channel in channels]))
        self.resyncs.put_nowait(channels)

    async def event(self) -> Message:
        """The next event other than the FullyBooted every login brings."""
        while True:
            event = await asyncio.wait_for(self.events.get(), WAIT)
            if event["Event"] != "FullyBooted":
                return event

    async def resync(self) -> list[Message]:
        return await asyncio.wait_for(self.resyncs.get(), WAIT)



@pytest.fixture
def table(server):
    table = ChannelTable(server)
    server.register_action("CoreShowChannels", table)
    return table


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
async def connect(server, table, recorder):
    """Start a connector with fast timings; stopped at teardown."""
    connectors: list[AmiConnector] = []

    async def start(**options) -> AmiConnector:
        settings = dict(on_event=recorder.on_event, on_connected=recorder.on_connected, **FAST)
        settings.update(options)
        connector = AmiConnector("127.0.0.1", server.port, USER, settings.pop("secret", SECRET), **settings)
        connectors.append(connector)
        await connector.start()
        return connector

    yield start
    for connector in connectors:
        await connector.stop()


def recording_sleep(delays: list[float]) -> Callable[[float], asyncio.Future]:
    async def sleep(delay: float) -> None:
        delays.append(delay)
        await asyncio.sleep(0)

    return sleep


async def wait_until(condition: Callable[[], bool], timeout: float = WAIT) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


def user_event(name: str) -> dict[str, str]:
    return {"Event": "UserEvent", "Privilege": "user,all", "UserEvent": name}


async def test_logs_in_and_hands_the_channel_list_to_on_connected(connect, server, table, recorder):
    table.add("Local/79161234567@from-pstn-00000000;2", "1795429694.1")
    connector = await connect()
    channels = await recorder.resync()
    assert connector.connected.is_set()
    assert [session.username for session in server.sessions] == [USER]
    assert [dict(channel) for channel in channels] == [
        {"Event": "CoreShowChannel", "ActionID": channels[0]["ActionID"], **table.channels[0]}
    ]
    assert channels[0]["CallerIDName"] == "Мария"


async def test_send_action_returns_every_message_of_a_list_action(connect, table, recorder):
    table.add("Local/1@from-pstn-00000001;2", "1.1")
    table.add("Local/2@from-pstn-00000002;2", "2.1")
    connector = await connect()
    await recorder.resync()
    reply = await connector.send_action({"Action": "CoreShowChannels"})
    assert [message.get("Event") or message["Response"] for message in reply] == [
        "Success",
        "CoreShowChannel",
        "CoreShowChannel",
        "CoreShowChannelsComplete",
    ]
    assert len({message["ActionID"] for message in reply}) == 1
    assert [message["Channel"] for message in reply[1:3]] == ["Local/1@from-pstn-00000001;2", "Local/2@from-pstn-00000002;2"]
    pong = await connector.send_action({"Action": "Ping"})
    assert isinstance(pong, Message) and pong["Ping"] == "Pong"


@pytest.mark.parametrize("auth", ["md5", "plain"])
async def test_logs_in_by_challenge_unless_told_to_send_the_secret(connect, server, recorder, auth):
    """md5, the default: Asterisk's Challenge, then a Login with MD5(challenge + secret); the secret itself
    never crosses the wire. plain: the secret in the Login."""
    logins: list[dict[str, str]] = []
    login = server._handlers["login"]

    async def recorded(session: AmiSession, headers: dict[str, str]) -> list[dict[str, str]]:
        logins.append(dict(headers))
        return await login(session, headers)

    server.register_action("Login", recorded)
    await connect(**({} if auth == "md5" else {"auth": "plain"}))
    await recorder.resync()
    [sent] = logins
    if auth == "md5":
        assert (header(sent, "AuthType"), len(header(sent, "Key")), header(sent, "Secret")) == ("MD5", 32, "")
    else:
        assert (header(sent, "Secret"), header(sent, "Key")) == (SECRET, "")


async def test_failed_login_is_reported_and_retried__panoramisk_ignores_a_failed_login(
    connect, server, recorder, caplog
):
    server.secret = "rotated"
    delays: list[float] = []
    connector = await connect(sleep=recording_sleep(delays))
    await wait_until(lambda: len(delays) >= 3)
    assert not connector.connected.is_set()
    assert recorder.resyncs.empty()
    assert "refused: Authentication failed" in caplog.text
    server.secret = SECRET
    await recorder.resync()
    assert connector.connected.is_set()


async def test_reconnect_delays_grow_exponentially_with_jitter_and_a_cap__panoramisk_fixed_reconnect_timeout(
    connect, server, recorder
):
    server.secret = "rotated"
    delays: list[float] = []
    await connect(sleep=recording_sleep(delays), backoff_initial=0.1, backoff_max=0.8, rng=random.Random(3))
    await wait_until(lambda: len(delays) >= 6)
    for attempt, delay in enumerate(delays[:6]):
        ceiling = min(0.8, 0.1 * 2**attempt)
        assert ceiling / 2 <= delay <= ceiling
    assert len(set(delays[:6])) == 6  # jittered, not one fixed delay

    server.secret = SECRET
    await recorder.resync()
    delays.clear()
    await server.drop_connections()
    await wait_until(lambda: len(delays) >= 1)
    assert 0.05 <= delays[0] <= 0.1  # a good login resets the backoff


async def test_reconnects_after_a_drop_and_resyncs_with_the_current_channels(connect, server, table, recorder):
    table.add("Local/1@from-pstn-00000001;2", "1.1")
    await connect()
    assert [c["Channel"] for c in await recorder.resync()] == ["Local/1@from-pstn-00000001;2"]
    table.channels.clear()
    table.add("Local/2@from-pstn-00000002;2", "2.1")
    await server.drop_connections()
    assert [c["Channel"] for c in await recorder.resync()] == ["Local/2@from-pstn-00000002;2"]
    server.emit(user_event("after-reconnect"))
    assert (await recorder.event())["UserEvent"] == "after-reconnect"


async def test_on_connected_runs_before_events_received_since_the_connect(connect, server, table, recorder):
    table.before_reply = user_event("during-resync")  # reaches the client before the channel list
    await connect()
    await recorder.resync()
    await server.drop_connections()
    await recorder.resync()
    await recorder.event()
    resyncs_and_user_events = [entry for entry in recorder.log if entry[1] != "FullyBooted"]
    assert resyncs_and_user_events == [("resync", []), ("event", "during-resync")] * 2


async def test_unanswered_ping_drops_and_reconnects__panoramisk_never_checks_for_a_pong(
    connect, server, recorder, caplog
):
    await connect(ping_interval=0.05, ping_timeout=0.1, action_timeout=0.2)
    await recorder.resync()
    first = server.sessions[0]
    server.stall()
    await wait_until(lambda: first not in server.sessions)
    assert "no Pong within" in caplog.text
    server.unstall()
    await recorder.resync()
    server.emit(user_event("alive"))
    assert (await recorder.event())["UserEvent"] == "alive"


async def test_a_slow_handler_does_not_reorder_events__panoramisk_dispatch_uses_ensure_future(connect, server, recorder):
    delivered: list[str] = []
    in_flight = 0
    most_in_flight = 0

    async def slow_on_event(event: Message) -> None:
        nonlocal in_flight, most_in_flight
        in_flight += 1
        most_in_flight = max(most_in_flight, in_flight)
        if event.get("UserEvent") == "0":
            await asyncio.sleep(0.05)
        await asyncio.sleep(0)
        delivered.append(event.get("UserEvent"))
        in_flight -= 1

    await connect(on_event=slow_on_event)
    await recorder.resync()
    for number in range(20):
        server.emit(user_event(str(number)))
    await wait_until(lambda: len(delivered) >= 21)  # FullyBooted first
    assert delivered[1:] == [str(number) for number in range(20)]
    assert most_in_flight == 1


async def test_a_handler_exception_is_logged_and_the_stream_continues__panoramisk_loses_task_exceptions(
    connect, server, recorder, caplog
):
    async def fragile_on_event(event: Message) -> None:
        if event.get("UserEvent") == "boom":
            raise RuntimeError("tracker bug")
        await recorder.on_event(event)

    await connect(on_event=fragile_on_event)
    await recorder.resync()
    server.emit(user_event("boom"))
    server.emit(user_event("next"))
    assert (await recorder.event())["UserEvent"] == "next"
    failure = next(record for record in caplog.records if record.exc_info)
    assert "UserEvent" in failure.getMessage() and "tracker bug" in str(failure.exc_info[1])


def capture_block_with(text: str) -> bytes:
    stream = (CAPTURES / "away-to-queue.ami").read_bytes()
    block = next(block for block in stream.split(b"\r\n\r\n") if text.encode() in block and b"Event:" in block)
    return block + b"\r\n\r\n"


async def test_cyrillic_split_at_every_byte_survives__panoramisk_decodes_each_chunk_with_errors_ignore(
    connect, server, recorder
):
    raw = capture_block_with("CallerIDName: Мария")
    whole = dict(AmiFrameDecoder().feed(raw)[0])
    await connect()
    await recorder.resync()
    for split in range(1, len(raw)):
        server.send_raw(raw[:split])
        await asyncio.sleep(0.001)  # let the client read the first part on its own
        server.send_raw(raw[split:])
        event = await recorder.event()
        assert dict(event) == whole, f"split at byte {split}"
    assert whole["CallerIDName"] == "Мария"


async def test_garbage_oversized_and_headless_input_is_skipped__panoramisk_buffers_and_parses_without_limit(
    connect, server, recorder
):
    await connect()
    await recorder.resync()
    server.send_raw(b"\x00\x01\xff garbage without headers\r\n\r\n")
    server.send_raw(b"Event: Huge\r\nData: " + b"x" * (70 * 1024) + b"\r\n\r\n")
    server.send_raw(b"Foo: neither Event nor Response\r\n\r\n")
    server.emit(user_event("after"))
    server.emit({"Event": "BrandNewEvent"})  # unknown events are passed on
    assert (await recorder.event())["UserEvent"] == "after"
    assert (await recorder.event())["Event"] == "BrandNewEvent"
    assert recorder.resyncs.empty()  # the connection survived


async def test_a_reply_with_two_action_ids_reaches_its_action_and_the_connection_stays(connect, server, recorder):
    """Two ``ActionID`` headers once raised ``TypeError: unhashable type: 'list'`` out of data_received:
    the connection dropped and the call's remaining events were lost."""

    async def doubled(session: AmiSession, headers: dict[str, str]) -> list[dict[str, str]]:
        server.send_raw(
            f"Response: Success\r\nActionID: {header(headers, 'ActionID')}\r\nActionID: forged\r\n"
            "Message: Pong\r\n\r\n".encode()
        )
        return []

    server.register_action("Ping", doubled)
    connector = await connect()
    await recorder.resync()
    reply = await connector.send_action({"Action": "Ping"})
    assert reply["Message"] == "Pong"
    server.send_raw(b"Event: Hangup\r\nUniqueid: 1.1\r\nUniqueid: 1.2\r\n\r\n")
    server.emit(user_event("after"))
    assert (await recorder.event())["Uniqueid"] == "1.1"
    assert (await recorder.event())["UserEvent"] == "after"
    assert recorder.resyncs.empty()  # the connection survived


@pytest.fixture
async def refusing_port(server) -> int:
    """A port where nothing listens any more."""
    await server.stop()
    return server.port


def connector_to(port: int, recorder: Recorder, delays: list[float]) -> AmiConnector:
    return AmiConnector("127.0.0.1", port, USER, SECRET, on_event=recorder.on_event, sleep=recording_sleep(delays), **FAST)


async def test_send_action_without_a_connection_raises_connection_error__panoramisk_ping_hits_none_protocol(
    refusing_port, recorder
):
    delays: list[float] = []
    connector = connector_to(refusing_port, recorder, delays)
    with pytest.raises(ConnectionError):
        await connector.send_action({"Action": "Ping"})
    await connector.start()
    try:
        await wait_until(lambda: len(delays) >= 3)  # keeps retrying; the supervisor does not die
        with pytest.raises(ConnectionError):
            await connector.send_action({"Action": "Ping"})
    finally:
        await connector.stop()


async def test_stop_ends_the_supervisor_even_when_cancelled_as_a_connect_fails(refusing_port, recorder):
    # Python 3.11's wait_for turned such a cancel into the connect's OSError; the retry loop then never ended
    for _ in range(20):
        delays: list[float] = []
        connector = connector_to(refusing_port, recorder, delays)
        await connector.start()
        await wait_until(lambda: delays)
        await asyncio.wait_for(connector.stop(), WAIT)


async def test_originate_response_after_the_ack_is_an_event__panoramisk_folds_it_into_the_action_result(
    connect, server, recorder
):
    async def originate(session: AmiSession, headers: dict[str, str]) -> list[dict[str, str]]:
        session.after_reply(
            {
                "Event": "OriginateResponse",
                "Privilege": "call,all",
                "ActionID": header(headers, "ActionID"),
                "Response": "Success",
                "Channel": f"{headers['Channel']}-00000000;1",
            }
        )
        return [{"Response": "Success", "Message": "Originate successfully queued"}]

    server.register_action("Originate", originate)
    connector = await connect()
    await recorder.resync()
    ack = await connector.send_action(
        {"Action": "Originate", "Channel": "Local/79161234567@from-pstn", "Context": "sim-caller", "Exten": "s"}
    )
    assert isinstance(ack, Message) and ack["Message"] == "Originate successfully queued"
    event = await recorder.event()
    assert (event["Event"], event["ActionID"]) == ("OriginateResponse", ack["ActionID"])


async def test_an_unanswered_action_fails_on_disconnect_and_is_not_resent__panoramisk_awaiting_actions(
    connect, server, recorder
):
    received: list[dict[str, str]] = []

    async def never_answer(session: AmiSession, headers: dict[str, str]) -> list[dict[str, str]]:
        received.append(headers)
        await asyncio.Event().wait()
        return []

    server.register_action("Originate", never_answer)
    connector = await connect()
    await recorder.resync()
    pending = asyncio.create_task(connector.send_action({"Action": "Originate", "Channel": "Local/1@x"}))
    await wait_until(lambda: received)
    await server.drop_connections()
    with pytest.raises(ConnectionError):
        await pending
    await recorder.resync()
    await connector.send_action({"Action": "Ping"})
    assert len(received) == 1


async def test_line_breaks_in_header_values_are_refused__panoramisk_writes_them_verbatim(connect, server, recorder):
    hangups: list[dict[str, str]] = []

    async def hangup(session: AmiSession, headers: dict[str, str]) -> list[dict[str, str]]:
        hangups.append(headers)
        return [{"Response": "Success"}]

    server.register_action("Hangup", hangup)
    connector = await connect()
    await recorder.resync()
    injected = {"Action": "Setvar", "Variable": "NOTE", "Value": "hi\r\n\r\nAction: Hangup\r\nChannel: all"}
    with pytest.raises(ValueError):
        await connector.send_action(injected)
    await connector.send_action({"Action": "Ping"})
    assert hangups == []


async def test_stop_ends_the_session_and_both_tasks(connect, server, recorder):
    connector = await connect()
    await recorder.resync()
    await connector.stop()
    assert not connector.connected.is_set()
    await wait_until(lambda: not server.sessions)
    assert all(task.done() for task in asyncio.all_tasks() if task.get_name().startswith("ami-"))
