"""FastAgiServer against a TCP client that plays Asterisk's side of FastAGI."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from pbx.agi.server import MAX_COMMAND_BYTES, AgiRequest, FastAgiServer
from tests.support.data import CAPTURES

WAIT = 1.0
CAPTURED = [json.loads(line) for line in (CAPTURES / "agi-requests.jsonl").read_text().splitlines()]
ENV = CAPTURED[0]["env"]


def env_block(env: dict[str, str]) -> bytes:
    return "".join(f"{key}: {value}\n" for key, value in env.items()).encode() + b"\n"


def asterisk_args(line: str) -> list[str]:
    """Split a command the way res_agi's parse_args does (quotes, backslash escapes)."""
    args: list[str] = []
    current: list[str] | None = None
    quoted = escaped = False
    for char in line:
        if escaped or (char not in '"\\' and (quoted or char not in " \t")):
            current = current if current is not None else []
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
            current = current if current is not None else []
        elif current is not None:
            args.append("".join(current))
            current = None
    if current is not None:
        args.append("".join(current))
    return args


def assignments(commands: list[str]) -> dict[str, str]:
    """The variables the commands set, read as Asterisk would: ``SET VARIABLE``
    and ``EXEC MSet`` (comma-separated ``NAME=value`` pairs)."""
    variables: dict[str, str] = {}
    for command in commands:
        args = asterisk_args(command)
        if args[:2] == ["SET", "VARIABLE"]:
            variables[args[2]] = args[3]
        else:
            assert args[:2] == ["EXEC", "MSet"] and len(args) == 3, command
            variables.update(pair.split("=", 1) for pair in args[2].split(","))
    return variables


class AsteriskSide:
    """The AGI client: sends the environment, answers each command."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, port: int) -> AsteriskSide:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def command(self) -> str | None:
        """The next command line, or None once the server hangs up."""
        try:
            line = await asyncio.wait_for(self.reader.readline(), WAIT)
        except ConnectionResetError:
            return None
        return line.decode().rstrip("\n") if line else None

    async def route(self, env: dict[str, str], reply: str = "200 result=1") -> list[str]:
        self.writer.write(env_block(env))
        commands = []
        while (command := await self.command()) is not None:
            commands.append(command)
            self.writer.write(f"{reply}\n".encode())
        return commands

    def close(self) -> None:
        self.writer.close()


@pytest.fixture
async def serve():
    servers: list[FastAgiServer] = []

    async def start(decide, **options) -> int:
        server = FastAgiServer(decide, **options)
        servers.append(server)
        return await server.start()

    yield start
    for server in servers:
        await server.stop()


@pytest.fixture
async def connect():
    clients: list[AsteriskSide] = []

    async def open_client(port: int) -> AsteriskSide:
        client = await AsteriskSide.connect(port)
        clients.append(client)
        return client

    yield open_client
    for client in clients:
        client.close()


def route_to(target: str):
    requests: list[AgiRequest] = []

    async def decide(request: AgiRequest) -> dict[str, str]:
        requests.append(request)
        return {"ROUTE_TARGET": target}

    decide.requests = requests
    return decide


async def test_answers_each_captured_request_like_the_reference_server(serve, connect):
    targets = {record["env"]["agi_uniqueid"]: asterisk_args(record["replies"][0]["cmd"])[3] for record in CAPTURED}
    seen: list[AgiRequest] = []

    async def decide(request: AgiRequest) -> dict[str, str]:
        seen.append(request)
        return {"ROUTE_TARGET": targets[request.uniqueid]}

    port = await serve(decide)
    for record in CAPTURED:
        commands = await (await connect(port)).route(record["env"], reply="200 result=0")
        assert len(commands) == 1  # one round trip for every variable
        captured = assignments([record["replies"][0]["cmd"]])
        assert assignments(commands) == {**captured, "ROUTE_DECIDED_BY": "callcenter"}
    for request, record in zip(seen, CAPTURED, strict=True):
        env = record["env"]
        assert request.env == env
        assert (request.script, request.channel, request.uniqueid, request.context) == (
            "route",
            env["agi_channel"],
            env["agi_uniqueid"],
            "from-pstn",
        )
        assert (request.callerid, request.calleridname, request.extension) == (
            env["agi_callerid"],
            env["agi_calleridname"],
            env["agi_extension"],
        )
    assert "Мария" in {request.calleridname for request in seen}


async def test_values_are_escaped_and_cannot_inject_commands(serve, connect):
    value = 'Иван "Ivan" \\ Петров\nHANGUP\r\n\x00'

    async def decide(request: AgiRequest) -> dict[str, str]:
        return {"CRM_NAME": value, "ROUTE_TARGET": "", "NOTE": "a,b", "EXPR": "${SHELL(rm)}"}

    port = await serve(decide)
    commands = await (await connect(port)).route(ENV)
    assert commands[0] == 'EXEC MSet "ROUTE_TARGET=,ROUTE_DECIDED_BY=callcenter"'
    assert [asterisk_args(command) for command in commands[1:]] == [
        ["SET", "VARIABLE", "CRM_NAME", 'Иван "Ivan" \\ ПетровHANGUP'],  # quotes and backslash kept, no new line
        ["SET", "VARIABLE", "NOTE", "a,b"],  # a comma would split MSet's pairs
        ["SET", "VARIABLE", "EXPR", "${SHELL(rm)}"],  # SET VARIABLE does not evaluate it
    ]


async def test_a_long_answer_takes_several_commands_each_under_the_limit(serve, connect):
    variables = {f"ROUTE_TARGETS_{n}": "&".join(str(100 + k) for k in range(30)) for n in range(2, 12)}

    async def decide(request: AgiRequest) -> dict[str, str]:
        return variables

    port = await serve(decide)
    commands = await (await connect(port)).route(ENV, reply="200 result=0")
    assert len(commands) > 1 and all(len(command.encode()) < MAX_COMMAND_BYTES + 20 for command in commands)
    assert assignments(commands) == {**variables, "ROUTE_DECIDED_BY": "callcenter"}


@pytest.mark.parametrize(
    "decision",
    [
        pytest.param(RuntimeError("CRM down"), id="raises"),
        pytest.param({"ROUTE TARGET": "101"}, id="bad-variable-name"),
        pytest.param({"ROUTE_TARGET": 101}, id="not-a-string"),
    ],
)
async def test_a_failed_decision_sends_no_command(serve, connect, caplog, decision):
    async def decide(request: AgiRequest) -> dict[str, str]:
        if isinstance(decision, Exception):
            raise decision
        return decision

    port = await serve(decide)
    assert await (await connect(port)).route(ENV) == []
    assert "routing Local/79161234567@from-pstn-00000000;2 failed" in caplog.text


async def test_a_late_decision_sends_no_command_and_does_not_hold_the_call(serve, connect, caplog):
    async def decide(request: AgiRequest) -> dict[str, str]:
        await asyncio.sleep(10)
        return {"ROUTE_TARGET": "101"}

    port = await serve(decide, decide_timeout=0.05)
    started = asyncio.get_running_loop().time()
    assert await (await connect(port)).route(ENV) == []
    assert asyncio.get_running_loop().time() - started < 0.5
    assert "took over 0.05 s" in caplog.text


@pytest.mark.parametrize(
    "reply", ["HANGUP", "510 Invalid or unknown command", "520-Invalid command syntax.", "200 result=-2"]
)
async def test_hangup_error_or_a_missing_application_ends_the_session(serve, connect, reply, caplog):
    caplog.set_level(logging.INFO)
    port = await serve(route_to("101"), decide_timeout=5)
    commands = await (await connect(port)).route(ENV, reply=reply)
    assert commands == ['EXEC MSet "ROUTE_TARGET=101,ROUTE_DECIDED_BY=callcenter"']
    assert "ending the session" in caplog.text


async def test_an_unanswered_command_times_out(serve, connect, caplog):
    port = await serve(route_to("101"), read_timeout=0.1)
    client = await connect(port)
    client.writer.write(env_block(ENV))
    assert await client.command() == 'EXEC MSet "ROUTE_TARGET=101,ROUTE_DECIDED_BY=callcenter"'
    assert await client.command() is None  # closed without waiting for us any longer
    assert "nothing within 0.1 s" in caplog.text


def oversized_headers() -> bytes:
    return b"".join(f"agi_arg_{n}: {'x' * 100}\n".encode() for n in range(20)) + b"\n"


BAD_PEERS = {
    "closes-early": (b"agi_network: yes\nagi_chan", True, "closed before the end of the headers"),
    "garbage": (b"\x00\xff\xfe\x16\x03\x01 TLS hello?\n\n", False, "not an AGI header"),
    "blank-first": (b"\n", False, "no AGI headers"),
    "oversized-block": (oversized_headers(), False, "headers over 1024 bytes"),
    "endless-line": (b"agi_network: " + b"y" * 5000, False, "line too long"),
    "never-finishes": (b"agi_network: yes\n", False, "nothing within 0.1 s"),
}


@pytest.mark.parametrize("name", BAD_PEERS)
async def test_a_bad_peer_is_dropped_and_the_server_keeps_serving(serve, connect, caplog, name):
    data, close_write, logged = BAD_PEERS[name]
    decide = route_to("102")
    port = await serve(decide, read_timeout=0.1, max_header_bytes=1024)
    bad = await connect(port)
    bad.writer.write(data)
    if close_write:
        bad.writer.write_eof()
    assert await bad.command() is None
    assert logged in caplog.text
    assert decide.requests == []
    assert await (await connect(port)).route(ENV) == ['EXEC MSet "ROUTE_TARGET=102,ROUTE_DECIDED_BY=callcenter"']


async def test_stop_ends_sessions_in_progress(connect):
    server = FastAgiServer(route_to("101"), read_timeout=30)
    port = await server.start()
    client = await connect(port)
    client.writer.write(b"agi_network: yes\n")
    await asyncio.sleep(0.01)
    await asyncio.wait_for(server.stop(), WAIT)
    assert await client.command() is None
