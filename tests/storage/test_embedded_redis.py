"""The embedded Redis-compatible server (``storage.embedded_redis``): where it
listens, what it keeps across a restart, what a second backend on the same
folder gets, and the Redis behaviours the product relies on, on this real
server (the same tests run on the production Redis through the ``redis``
fixture elsewhere)."""

from __future__ import annotations

import asyncio
import contextlib
import stat

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from storage.cache import create_redis
from storage.embedded_redis import MAX_SOCKET_PATH, EmbeddedRedis, EmbeddedRedisError


@pytest.fixture
def server(tmp_path):
    embedded = EmbeddedRedis(tmp_path / "redis", persist=False)
    embedded.start()
    yield embedded
    embedded.stop()


async def test_it_listens_on_a_private_unix_socket_in_its_folder(server, tmp_path):
    assert server.url == f"unix://{tmp_path / 'redis' / 'valkey.sock'}"
    assert stat.S_IMODE(server.socket.stat().st_mode) == 0o700
    redis = create_redis(server.url)
    assert (await redis.info("server"))["tcp_port"] == 0  # no TCP listener at all
    await redis.aclose()


async def test_stop_ends_the_process_and_a_stopped_server_is_unreachable(server):
    process = server.process
    server.stop()
    assert process.returncode is not None
    redis = create_redis(server.url)
    with pytest.raises(RedisConnectionError):
        await redis.ping()
    await redis.aclose()


async def test_with_persistence_queued_jobs_survive_a_restart(tmp_path):
    server = EmbeddedRedis(tmp_path / "redis", persist=True)
    server.start()
    redis = create_redis(server.url)
    await redis.xadd("jobs:transcription", {"payload": '{"call_id": 1}'})
    await redis.aclose()
    server.stop()  # SIGTERM: the append-only file is written out
    server.start()
    redis = create_redis(server.url)
    assert await redis.xlen("jobs:transcription") == 1
    await redis.aclose()
    server.stop()


async def test_without_persistence_a_restart_starts_empty(server):
    redis = create_redis(server.url)
    await redis.set("k", "v")
    await redis.aclose()
    server.stop()
    server.start()
    redis = create_redis(server.url)
    assert await redis.get("k") is None
    await redis.aclose()


def test_a_second_backend_on_the_same_folder_is_refused_while_the_first_runs(server, tmp_path):
    with pytest.raises(EmbeddedRedisError, match="another embedded Redis already serves"):
        EmbeddedRedis(tmp_path / "redis", persist=False).start()


def test_a_socket_left_by_a_killed_server_is_replaced(tmp_path):
    first = EmbeddedRedis(tmp_path / "redis", persist=False)
    first.start()
    first.process.kill()
    first.process.wait()
    assert first.socket.exists()  # killed: no chance to remove it
    second = EmbeddedRedis(tmp_path / "redis", persist=False)
    second.start()
    second.stop()
    first.stop()


async def test_a_folder_too_deep_for_a_socket_path_gets_a_short_one(tmp_path):
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    server = EmbeddedRedis(deep, persist=False)
    server.start()
    try:
        assert len(str(server.socket)) <= MAX_SOCKET_PATH
        redis = create_redis(server.url)
        assert await redis.ping()
        await redis.aclose()
    finally:
        server.stop()
    assert not server.socket.parent.exists() or server.socket.parent == deep


def test_a_server_that_cannot_start_is_a_clear_error_with_its_log(tmp_path, monkeypatch):
    server = EmbeddedRedis(tmp_path / "redis", persist=False)
    monkeypatch.setattr(server, "_arguments", lambda: ["--no-such-option", "yes"])
    with pytest.raises(EmbeddedRedisError, match="did not start") as error:
        server.start(timeout=5)
    assert "no-such-option" in str(error.value)
    assert server.process is None


# -- what the product relies on, on this server ---------------------------------------------------


async def test_a_command_cancelled_halfway_leaves_the_client_usable(server):
    """A routing deadline or a stopping worker cancels a command mid-flight; the next command must get its
    own reply (the in-process test double that used to stand in here hung for good instead). On Python
    3.11 a cancellation that meets the reply is now and then swallowed (``callcenter.stopping``): then that
    command simply completes."""
    redis = create_redis(server.url)
    cancelled = 0
    for _ in range(20):
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(0.01):
                await redis.blpop(["nothing"], timeout=1)
            continue
        cancelled += 1
    assert cancelled >= 10
    async with asyncio.timeout(2):
        assert await redis.echo("after") == "after"
        assert await redis.set("after", "1") and await redis.get("after") == "1"
    await redis.aclose()


async def test_streams_lua_and_pub_sub(server):
    redis = create_redis(server.url)
    await redis.xgroup_create("s", "g", mkstream=True)
    await redis.xadd("s", {"n": "1"})
    [[_, [(entry_id, fields)]]] = await redis.xreadgroup("g", "c", {"s": ">"}, count=1, block=100)
    assert fields == {"n": "1"} and await redis.xack("s", "g", entry_id) == 1
    assert await redis.xreadgroup("g", "c", {"s": ">"}, count=1, block=50) == []  # blocked, then timed out
    assert await redis.eval("return redis.call('incrby', KEYS[1], ARGV[1])", 1, "n", 5) == 5
    pubsub = redis.pubsub()
    await pubsub.subscribe("live:1")
    await redis.publish("live:1", "ring")
    async with asyncio.timeout(2):
        while (message := await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)) is None:
            pass
    assert message["data"] == "ring"
    await pubsub.aclose()
    await redis.aclose()
