"""The simulator's AMI server against a raw TCP client speaking AMI by hand."""

from __future__ import annotations

import asyncio
import hashlib
import re

import pytest

from pbx.simulator.ami_server import AmiSession
from tests.support.ami import SECRET, USER

TIMEOUT = 1.0


class RawClient:
    """An AMI client with no library in between: bytes out, header blocks in."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, port: int) -> RawClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def banner(self) -> bytes:
        return await asyncio.wait_for(self.reader.readline(), TIMEOUT)

    def send(self, **headers: str) -> None:
        self.writer.write("".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode() + b"\r\n")

    async def raw_message(self, timeout: float = TIMEOUT) -> bytes:
        return await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), timeout)

    async def message(self, timeout: float = TIMEOUT) -> list[tuple[str, str]]:
        """The next block as ordered (key, value) pairs."""
        text = (await self.raw_message(timeout)).decode()
        return [tuple(line.split(": ", 1)) for line in text.split("\r\n") if line]

    async def assert_closed(self) -> None:
        assert await asyncio.wait_for(self.reader.read(), TIMEOUT) == b""

    async def login(self, **extra: str) -> list[tuple[str, str]]:
        await self.banner()
        self.send(Action="Login", Username=USER, Secret=SECRET, **extra)
        return await self.message()

    def close(self) -> None:
        self.writer.close()



@pytest.fixture
async def client(server):
    client = await RawClient.connect(server.port)
    yield client
    client.close()


async def test_banner_is_the_asterisk_22_greeting(client):
    assert await client.banner() == b"Asterisk Call Manager/11.0.0\r\n"


async def test_plain_login_is_accepted_then_fully_booted(client):
    await client.banner()
    client.send(Action="Login", ActionID="login-1", Username=USER, Secret=SECRET)
    assert await client.message() == [
        ("Response", "Success"),
        ("ActionID", "login-1"),
        ("Message", "Authentication accepted"),
    ]
    booted = await client.message()
    assert [key for key, _ in booted] == ["Event", "Privilege", "Uptime", "LastReload", "Status"]
    assert dict(booted)["Event"] == "FullyBooted"
    assert dict(booted)["Status"] == "Fully Booted"


async def test_md5_challenge_login(client):
    await client.banner()
    client.send(Action="Challenge", ActionID="c1", AuthType="MD5")
    reply = dict(await client.message())
    assert reply["Response"] == "Success" and reply["ActionID"] == "c1"
    assert reply["Challenge"].isdigit()
    key = hashlib.md5((reply["Challenge"] + SECRET).encode()).hexdigest()
    client.send(Action="Login", AuthType="MD5", Username=USER, Key=key)
    assert dict(await client.message())["Message"] == "Authentication accepted"


async def test_md5_login_with_a_wrong_key_fails(client):
    await client.banner()
    client.send(Action="Challenge", AuthType="MD5")
    challenge = dict(await client.message())["Challenge"]
    key = hashlib.md5((challenge + "wrong").encode()).hexdigest()
    client.send(Action="Login", AuthType="MD5", Username=USER, Key=key)
    assert dict(await client.message())["Message"] == "Authentication failed"
    await client.assert_closed()


async def test_wrong_secret_fails_and_closes_the_connection(client):
    await client.banner()
    client.send(Action="Login", ActionID="l", Username=USER, Secret="nope")
    assert await client.message() == [
        ("Response", "Error"),
        ("ActionID", "l"),
        ("Message", "Authentication failed"),
    ]
    await client.assert_closed()


async def test_actions_before_login_are_denied_and_the_session_stays(client, server):
    server.register_action("CoreShowChannels", fail_if_called)
    await client.banner()
    client.send(Action="CoreShowChannels", ActionID="x")
    assert dict(await client.message()) == {"Response": "Error", "ActionID": "x", "Message": "Permission denied"}
    client.send(Action="Login", Username=USER, Secret=SECRET)
    assert dict(await client.message())["Response"] == "Success"


async def fail_if_called(session: AmiSession, headers: dict[str, str]) -> list[dict[str, str]]:
    raise AssertionError("handler must not run")


async def test_ping_answers_pong_with_a_timestamp(client):
    await client.login()
    await client.message()  # FullyBooted
    client.send(Action="Ping", ActionID="p")
    reply = await client.message()
    assert reply[:3] == [("Response", "Success"), ("ActionID", "p"), ("Ping", "Pong")]
    assert reply[3][0] == "Timestamp" and re.fullmatch(r"\d+\.\d{6}", reply[3][1])


async def test_unknown_action_is_an_error(client):
    await client.login()
    await client.message()
    client.send(Action="NoSuchThing")
    assert dict(await client.message()) == {"Response": "Error", "Message": "Invalid/unknown command"}


async def test_logoff_says_goodbye_and_closes(client):
    await client.login()
    await client.message()
    client.send(Action="Logoff")
    assert dict(await client.message()) == {"Response": "Goodbye", "Message": "Thanks for all the fish."}
    await client.assert_closed()


async def test_events_follow_the_login_flag_and_the_events_action(client, server):
    await client.login(Events="off")
    server.emit({"Event": "Hidden"})
    client.send(Action="Events", ActionID="e", EventMask="on")
    assert await client.message() == [("Response", "Success"), ("ActionID", "e"), ("Events", "On")]
    server.emit({"Event": "Newchannel", "Privilege": "call,all", "Channel": "Local/1@x-1;1", "Uniqueid": "1.0"})
    raw = await client.raw_message()
    assert raw == b"Event: Newchannel\r\nPrivilege: call,all\r\nChannel: Local/1@x-1;1\r\nUniqueid: 1.0\r\n\r\n"


async def test_events_are_not_sent_before_login(client, server):
    await client.banner()
    server.emit({"Event": "Secret"})
    client.send(Action="Ping")
    assert dict(await client.message())["Message"] == "Permission denied"


async def test_registered_list_action_gets_action_id_on_every_message(client, server):
    async def list_action(session: AmiSession, headers: dict[str, str]) -> list[dict[str, str]]:
        assert headers["Filter"] == "a,b"  # repeated headers are joined, as Asterisk reads them
        return [
            {"Response": "Success", "EventList": "start", "Message": "Items will follow"},
            {"Event": "Item", "N": "1"},
            {"Event": "ItemsComplete", "EventList": "Complete", "ListItems": "1"},
        ]

    server.register_action("ListThings", list_action)
    await client.login(Events="off")
    client.writer.write(b"Action: ListThings\r\nActionID: L\r\nFilter: a\r\nFilter: b\r\n\r\n")
    assert (await client.message())[:2] == [("Response", "Success"), ("ActionID", "L")]
    assert await client.message() == [("Event", "Item"), ("ActionID", "L"), ("N", "1")]
    assert (await client.message())[:2] == [("Event", "ItemsComplete"), ("ActionID", "L")]


async def test_a_failing_handler_answers_an_error_and_the_session_survives(client, server):
    server.register_action("Boom", fail_if_called)
    await client.login(Events="off")
    client.send(Action="Boom")
    assert dict(await client.message())["Response"] == "Error"
    client.send(Action="Ping")
    assert dict(await client.message())["Ping"] == "Pong"


async def test_garbage_and_huge_input_do_not_kill_the_session(client, server):
    await client.login(Events="off")
    client.writer.write(b"\x00\xff\xfe not a header \r\n\r\n")
    client.writer.write(b"Action: Ping\r\nX: " + b"y" * 70_000 + b"\r\n\r\n")
    client.writer.write(b"Foo: bar\r\n\r\n")
    client.send(Action="Ping", ActionID="after")
    assert dict(await client.message()) == {"Response": "Error", "Message": "Missing action in request"}
    reply = dict(await client.message())
    assert (reply["ActionID"], reply["Ping"]) == ("after", "Pong")  # the oversized Ping got no answer
    stats = server.sessions[0].decoder.stats
    assert (stats.malformed, stats.oversized) == (1, 1)


async def test_stalled_server_does_not_answer_until_unstalled(client, server):
    await client.login(Events="off")
    server.stall()
    client.send(Action="Ping", ActionID="lost")
    with pytest.raises(TimeoutError):
        await client.message(timeout=0.1)
    server.unstall()
    client.send(Action="Ping", ActionID="kept")
    assert dict(await client.message())["ActionID"] == "kept"


async def test_send_raw_reaches_clients_byte_for_byte(client, server):
    await client.banner()
    server.send_raw(b"\xd0")
    server.send_raw(b"\x9c\r\n")
    assert await asyncio.wait_for(client.reader.readexactly(4), TIMEOUT) == b"\xd0\x9c\r\n"


async def test_drop_connections_closes_every_client(server):
    clients = [await RawClient.connect(server.port) for _ in range(2)]
    for c in clients:
        await c.login()
    await server.drop_connections()
    assert server.sessions == []
    for c in clients:
        with pytest.raises((ConnectionError, asyncio.IncompleteReadError)):
            while True:
                await c.raw_message()
        c.close()


async def test_stop_releases_the_port(server):
    await server.stop()
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", server.port)
