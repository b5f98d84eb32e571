"""Fixtures that give every storage test both databases and every Redis test
both Redis servers: the embedded defaults (an SQLite file; the valkey-server
the backend starts itself, started once for the run) and the servers of a
production install (PostgreSQL and Redis on 127.0.0.1). A production server
that cannot be reached is skipped on a laptop, and fails the run in CI
(``CI=true``)."""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator

import pytest
import uvloop
from sqlalchemy import text

from callcenter.config import Settings
from storage.cache import create_redis
from storage.db import create_engine, migrate, session_factory
from storage.embedded_redis import EmbeddedRedis
from tests.support.data import CORPUS

pytest_plugins = ["tests.support.corpus", "tests.support.watchdog"]

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")


def pytest_asyncio_loop_factories(config, item):
    """Async tests run on uvloop, the loop of every ``callcenter`` command, in the watchdog's sight."""
    from tests.support.watchdog import watched  # a plugin: imported by pytest_plugins first

    return {"uvloop": watched(uvloop.new_event_loop)}


# ``slow``: the real model, the browser, whole backends in their own processes. ``make test-fast`` leaves
# them out for the inner loop; ``make test`` runs everything.
SLOW_FIXTURES = {"transcriber", "corpus", "takeover", "browser"}
SLOW_MODULES = (
    "tests/web/", "tests/transcription/test_service.py", "tests/transcription/test_worker_killed.py",
    "tests/transcription/test_cli.py", "tests/qa/test_cli.py", "tests/recordings/test_end_to_end.py",
    "tests/test_demo_speaks.py", "tests/callcenter/test_embedded_redis_process.py",
)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: the real model, the browser or whole backends (make test-fast skips)")


def pytest_collection_modifyitems(items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())) or item.nodeid.startswith(SLOW_MODULES):
            item.add_marker(pytest.mark.slow)


def _reachable(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


def _require_server(name: str, host: str, port: int) -> None:
    if _reachable(host, port):
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{name} at {host}:{port} is unreachable, and CI must run the real-server tests")
    pytest.skip(f"{name} at {host}:{port} is unreachable")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    _require_server("PostgreSQL", "127.0.0.1", 5432)
    return POSTGRES_URL


@pytest.fixture
async def engine(database_url):
    engine = create_engine(database_url)
    if engine.dialect.name == "postgresql":
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    await migrate(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine):
    return session_factory(engine)


@pytest.fixture(scope="session")
def embedded_redis_url(tmp_path_factory) -> Iterator[str]:
    """The embedded server (``storage.embedded_redis``), one for the whole run, keeping nothing on disk."""
    server = EmbeddedRedis(tmp_path_factory.mktemp("valkey"), persist=False)
    server.start()
    yield server.url
    server.stop()


@pytest.fixture(params=["embedded", pytest.param("redis", marks=pytest.mark.redis_server)])
async def redis(request, embedded_redis_url):
    async with _flushed(create_redis(embedded_redis_url) if request.param == "embedded" else _real_redis()) as client:
        yield client


@pytest.fixture
async def real_redis():
    """Only the real Redis: for what a second process must share."""
    async with _flushed(_real_redis()) as client:
        yield client


def _real_redis():
    _require_server("Redis", "127.0.0.1", 6379)
    return create_redis(REDIS_URL)


@contextlib.asynccontextmanager
async def _flushed(client):
    await client.flushdb()
    try:
        yield client
    finally:
        await client.flushdb()
        await client.aclose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def settings(database_url, engine, tmp_path) -> Settings:
    """Backend settings on a migrated test database, free ports, a short CDR wait, and routing
    deadlines long enough for a busy CI machine (the deadlines have tests of their own)."""
    return Settings(
        database_url=database_url,
        data_dir=tmp_path,
        http_port=free_port(),
        agi_port=0,
        agi_answer_seconds=3.0,
        routing_deadline_seconds=2.5,
        simulator_audio_dir=CORPUS,
        cdr_linger_seconds=1.0,
        transcription_workers_in_backend=0,  # the transcription and scoring tests run their own
        qa_workers_in_backend=0,
    )
