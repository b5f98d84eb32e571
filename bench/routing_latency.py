"""Routing latency: FastAGI route decisions at rising load, beside a bare Redis GET.

    python -m bench.routing_latency [--rates 50,200,500] [--seconds 5] [--clients 100000]
                                    [--database URL|sqlite] [--redis URL|embedded] [--profile FILE]
                                    [--transport-only] [--workers N] [--no-gc-freeze] [--loop uvloop|asyncio]

The backend's FastAGI server with ``RoutingService.decide`` runs in its own
process (or ``--workers`` processes sharing the port), as it would beside
Asterisk; this process is the PBX: a FastAGI client as light as Asterisk's
sends the simulator's ``agi_*`` block and acknowledges each command, at each
rate (open loop, new calls per second), timing each AGI session from connect
to close. The server runs as the backend does (``gc.freeze()`` after start-up,
on the backend's event loop: uvloop) and times ``decide`` itself. The bare
Redis ``GET`` is timed by the server's own Redis client over the same loopback
twice: before each level, back to back (the floor: everything hot), and during
the level, one ``GET`` paced like the calls (as a decision meets the machine:
the loop busy with other sessions, the processes woken from idle). The
database is emptied and seeded first: ``--clients`` clients with a phone each,
owned by 30 managers in three groups; the server builds the owner index, and
Redis holds a working day's presence. Callers are known clients drawn at
random, repeat callers from earlier in the run, and new numbers.

Targets (issue 3): p99 under 5 ms at 200 calls/s; p50 within 3x a bare GET's p50.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import itertools
import logging
import multiprocessing
import platform
import pstats
import random
import shlex
import socket
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from urllib.parse import urlsplit

import uvloop
from sqlalchemy import insert, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from callcenter.clock import SystemClock
from pbx.agi.server import AgiRequest, FastAgiServer
from pbx.simulator.agi_client import agi_environment
from pbx.simulator.channel import Channel, Party
from routing.presence import Presence
from routing.service import RoutingService
from storage.cache import create_redis
from storage.embedded_redis import EmbeddedRedis
from storage.db import create_engine, migrate, session_factory
from storage.models import Client, ClientPhone, Group, Manager, manager_groups

POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/callcenter_bench"
REDIS_URL = "redis://127.0.0.1:6379/15"
DID = "74951234567"
GROUPS = ("sales", "key-accounts", "regions")
MANAGERS = 30
AROUND_THE_CLOCK = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}  # judged as any week
EXTENSIONS = [str(101 + i) for i in range(MANAGERS)]
ON_CALL = 3  # managers on a call throughout (skipped by every decision)
KNOWN_PREFIX, NEW_PREFIX = "7916", "7925"  # clients' numbers, and numbers nobody has
MIX = {"known": 0.6, "repeat": 0.2, "new": 0.2}  # shares of the callers
PROBE_KEY = "bench:probe"
GET_SAMPLES = 2000
AGI_TIMEOUT = 5.0  # seconds a session may take before the client counts it failed
BATCH = 10_000


# -- the database ---------------------------------------------------------------------


async def reset_database(url: str) -> AsyncEngine:
    """An engine on an empty, migrated database (a PostgreSQL one is created if missing)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        admin = create_async_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        async with admin.connect() as connection:
            exists = await connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database})
            if not exists:
                await connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
        await admin.dispose()
    engine = create_engine(url)
    if parsed.get_backend_name() == "postgresql":
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    await migrate(engine)
    return engine


def client_phone(index: int) -> str:
    """The caller ID of client ``index`` as a trunk sends it (no plus)."""
    return f"{KNOWN_PREFIX}{index:07d}"


async def seed(engine: AsyncEngine, clients: int, rng: random.Random) -> dict[str, str]:
    """Groups, managers and ``clients`` clients with one phone each, in batched
    multi-row inserts; returns each client phone's owner extension."""
    owners = [rng.randrange(MANAGERS) for _ in range(clients)]
    async with engine.begin() as connection:
        await connection.execute(insert(Group), [{"id": i + 1, "name": name} for i, name in enumerate(GROUPS)])
        await connection.execute(insert(Manager), [
            {"id": i + 1, "name": f"Manager {ext}", "extension": ext, "timezone": "Europe/Moscow",
             "working_hours": AROUND_THE_CLOCK, "active": True, "do_not_disturb": False, "absent": False}
            for i, ext in enumerate(EXTENSIONS)
        ])
        await connection.execute(insert(manager_groups), [
            {"manager_id": i + 1, "group_id": i % len(GROUPS) + 1} for i in range(MANAGERS)
        ])
        for start in range(0, clients, BATCH):
            span = range(start, min(start + BATCH, clients))
            await connection.execute(insert(Client), [
                {"id": i + 1, "name": f"Client {i}", "responsible_manager_id": owners[i] + 1} for i in span
            ])
            await connection.execute(insert(ClientPhone), [
                {"client_id": i + 1, "phone": "+" + client_phone(i), "label": "mobile"} for i in span
            ])
        if engine.dialect.name == "postgresql":
            await connection.execute(text("ANALYZE"))
    return {client_phone(i): EXTENSIONS[owners[i]] for i in range(clients)}


# -- the server process -------------------------------------------------------------------


@dataclass(frozen=True)
class ServerOptions:
    database_url: str
    redis_url: str
    profile: str  # the first worker's cProfile stats go there
    transport_only: bool
    gc_freeze: bool  # gc.freeze() once started, as the backend does: full collections skip the start-up objects
    loop: str  # "uvloop" (the backend's) or "asyncio"
    port: int = 0  # 0: the first worker, which prepares Redis and picks the port the others share


def serve(options: ServerOptions, pipe: Connection) -> None:
    """One FastAGI server process with RoutingService, driven over ``pipe`` (see ``ServerHandle``).

    ``transport_only`` answers every call with the first decision's variables, to time FastAGI alone."""
    run_on(options.loop, _serve(options, pipe))


def run_on(loop: str, main: Awaitable) -> object:
    return uvloop.run(main) if loop == "uvloop" else asyncio.run(main)


async def _serve(options: ServerOptions, pipe: Connection) -> None:
    logging.basicConfig(level=logging.CRITICAL)  # late and failed decisions are counted as fallbacks, not logged
    engine = create_engine(options.database_url)
    redis = create_redis(options.redis_url)
    service = RoutingService(session_factory(engine), redis, SystemClock())
    state, build_seconds = None, 0.0
    if not options.port:
        for pattern in ("routing:*", "presence:*"):
            async for key in redis.scan_iter(pattern):
                await redis.delete(key)
        await redis.set(PROBE_KEY, "x")
        await busy_team(Presence(redis), SystemClock().now())
        build_started = time.perf_counter()
        state = await service.owners.build()  # as at start-up (Services.start_agi), but waited for
        build_seconds = time.perf_counter() - build_started
    decide_times: list[tuple[str, float]] = []  # (the AGI channel, seconds)
    paced_gets: list[float] = []
    probe: asyncio.Task | None = None
    first_answer: dict[str, str] = {}

    async def timed_decide(request: AgiRequest) -> dict[str, str]:
        started = time.perf_counter()
        try:
            if options.transport_only and first_answer:
                return first_answer
            answer = await service.decide(request)
            first_answer.update(first_answer or answer)
            return answer
        finally:
            decide_times.append((request.channel, time.perf_counter() - started))

    agi = FastAgiServer(timed_decide)
    if options.gc_freeze:
        gc.freeze()
    port = await agi.start("127.0.0.1", options.port, reuse_port=True)
    pipe.send((port, state.owners if state else 0, build_seconds))
    profiler = cProfile.Profile() if options.profile and not options.port else None
    cpu_started = time.process_time()
    loop = asyncio.get_running_loop()
    while (command := await loop.run_in_executor(None, pipe.recv)) != "stop":
        if command == "get":
            pipe.send(await _get_times(redis))
        elif command.startswith("start"):
            decide_times.clear()
            paced_gets.clear()
            probe = asyncio.create_task(_paced_gets(redis, int(command.split()[1]), paced_gets))
            cpu_started = time.process_time()
            if profiler is not None:
                profiler.enable()
        elif command == "collect":
            if profiler is not None:
                profiler.disable()
            if probe is not None:
                probe.cancel()
            pipe.send((list(decide_times), time.process_time() - cpu_started, list(paced_gets)))
    if profiler is not None:
        profiler.dump_stats(options.profile)
    await agi.stop()
    await redis.aclose()
    await engine.dispose()


async def busy_team(presence: Presence, now: datetime) -> None:
    """Presence as in a working day: every manager has answered calls today, ``ON_CALL`` are on one now."""
    for i, extension in enumerate(EXTENSIONS):
        await presence.count_answered(extension, now - timedelta(minutes=i))
        if i < ON_CALL:
            await presence.start_call(extension, f"bench.{i}", now)


async def _get_times(redis) -> list[float]:
    times: list[float] = []
    for _ in range(GET_SAMPLES):
        await _timed_get(redis, times)
    return times


async def _paced_gets(redis, rate: int, times: list[float]) -> None:
    """One ``GET`` every 1/``rate`` seconds, timed into ``times``, until cancelled."""
    while True:
        await asyncio.sleep(1 / rate)
        await _timed_get(redis, times)


async def _timed_get(redis, times: list[float]) -> None:
    started = time.perf_counter()
    await redis.get(PROBE_KEY)
    times.append(time.perf_counter() - started)


@dataclass
class ServerHandle:
    """The server processes (workers sharing one port) and the pipes that drive them."""

    processes: list[multiprocessing.Process]
    pipes: list[Connection]
    port: int
    owners: int  # in the owner index the first worker built at start
    build_seconds: float

    @classmethod
    def start(cls, options: ServerOptions, workers: int) -> ServerHandle:
        context = multiprocessing.get_context("spawn")
        processes, pipes = [], []
        for _ in range(workers):
            ours, theirs = context.Pipe()
            process = context.Process(target=serve, args=(options, theirs), daemon=True)
            process.start()
            processes.append(process)
            pipes.append(ours)
            port, *first = ours.recv()
            if len(pipes) == 1:
                options, built = replace(options, port=port), first
        return cls(processes, pipes, port, *built)

    async def ask(self, command: str) -> object:
        """Tell every worker; "get" answers the first one's GET times, "collect" all
        decide times, CPU seconds and paced GET times."""
        for pipe in self.pipes:
            pipe.send(command)
        if command not in ("get", "collect"):
            return None
        loop = asyncio.get_running_loop()
        answers = [await loop.run_in_executor(None, pipe.recv) for pipe in self.pipes]
        if command == "get":
            return answers[0]
        return (
            [sample for samples, _, _ in answers for sample in samples],
            sum(cpu for _, cpu, _ in answers),
            [sample for _, _, gets in answers for sample in gets],
        )

    def stop(self) -> None:
        for pipe in self.pipes:
            pipe.send("stop")
        for process in self.processes:
            process.join(30)


# -- the PBX side ---------------------------------------------------------------------------


REPEAT, CLIENT, NEW = "repeat", "client", "new"  # called earlier in the run; else a client's number, or nobody's


@dataclass
class Level:
    rate: int
    round_trips: list[float] = field(default_factory=list)
    decide_times: list[float] = field(default_factory=list)
    decide_by_kind: dict[str, list[float]] = field(default_factory=dict)
    get_times: list[float] = field(default_factory=list)  # back to back before the level
    paced_get_times: list[float] = field(default_factory=list)  # one per 1/rate s during the level
    seconds: float = 0.0
    server_cpu: float = 0.0  # seconds the server process spent on the CPU
    client_cpu: float = 0.0  # and this process, playing Asterisk
    kinds: dict[str, str] = field(default_factory=dict)  # the AGI channel's caller kind
    fallbacks: int = 0
    wrong_owner: int = 0
    failed: int = 0

    def add_decide_times(self, samples: list[tuple[str, float]]) -> None:
        self.decide_times = [seconds for _, seconds in samples]
        for channel, seconds in samples:
            self.decide_by_kind.setdefault(self.kinds.get(channel, "?"), []).append(seconds)


class Callers:
    """Caller IDs in the benchmark's mix, remembering who has called."""

    def __init__(self, owners: dict[str, str], rng: random.Random) -> None:
        self.owners = owners
        self._known = list(owners)
        self._called: list[str] = []
        self._called_set: set[str] = set()
        self._rng = rng

    def next(self) -> tuple[str, str]:
        """A caller ID, and its kind: whether it called before in the run, else whether it is a client's."""
        share = self._rng.choices(list(MIX), weights=list(MIX.values()))[0]
        if share == "repeat" and self._called:
            phone = self._rng.choice(self._called)
        elif share == "new":
            phone = f"{NEW_PREFIX}{self._rng.randrange(10**7):07d}"
        else:
            phone = self._rng.choice(self._known)
        if phone in self._called_set:
            return phone, REPEAT
        self._called.append(phone)
        self._called_set.add(phone)
        return phone, CLIENT if phone in self.owners else NEW


class Asterisk:
    """Asterisk's side of FastAGI, as light as res_agi (C) would be: the
    ``agi_*`` block the simulator sends as Asterisk 22 (``agi_environment``),
    then ``200 result=0`` to each command, reading the variables it sets."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._url = f"agi://127.0.0.1:{port}/route"
        self._calls = itertools.count(1)

    async def route(self, phone: str) -> tuple[str, float, dict[str, str]]:
        """One AGI session: its channel, its round trip (connect to close) and the variables set."""
        number = next(self._calls)
        channel = Channel(f"Local/{DID}@from-pstn-{number:08x};2", f"1700000000.{number}", "", "from-pstn", DID, 0.0,
                          caller=Party(phone, "Bench"))
        block = "".join(f"{key}: {value}\n" for key, value in agi_environment(channel, self._url).items()) + "\n"
        variables: dict[str, str] = {}
        started = time.perf_counter()
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            writer.write(block.encode())
            async with asyncio.timeout(AGI_TIMEOUT):
                while line := await reader.readline():
                    variables.update(assignments(line.decode()))
                    writer.write(b"200 result=0\n")
        finally:
            writer.close()
        return channel.name, time.perf_counter() - started, variables


def assignments(command: str) -> dict[str, str]:
    """The variables an ``EXEC MSet "A=1,B=2"`` or ``SET VARIABLE A "1"`` command sets."""
    words = shlex.split(command)
    if words[:2] == ["EXEC", "MSet"]:
        return dict(pair.split("=", 1) for pair in words[2].split(","))
    if words[:2] == ["SET", "VARIABLE"]:
        return {words[2]: words[3]}
    return {}


async def run_level(pbx: Asterisk, server: ServerHandle, callers: Callers, rate: int, seconds: float) -> Level:
    """``rate`` new calls per second for ``seconds``, open loop."""
    level = Level(rate, get_times=await server.ask("get"))
    await server.ask(f"start {rate}")

    async def one(phone: str, kind: str) -> None:
        try:
            channel, elapsed, variables = await pbx.route(phone)
        except (OSError, TimeoutError):
            level.failed += 1
            return
        level.kinds[channel] = kind
        level.round_trips.append(elapsed)
        level.failed += variables.get("ROUTE_DECIDED_BY") != "callcenter"
        fallback = variables.get("ROUTE_NEW_CALLER", "") == ""
        level.fallbacks += fallback
        level.wrong_owner += not fallback and variables.get("ROUTE_OWNER") != callers.owners.get(phone, "")

    loop = asyncio.get_running_loop()
    began, cpu_began = loop.time(), time.process_time()
    tasks = []
    for i in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, began + i / rate - loop.time()))
        tasks.append(asyncio.create_task(one(*callers.next())))
    await asyncio.gather(*tasks)
    level.seconds, level.client_cpu = loop.time() - began, time.process_time() - cpu_began
    samples, level.server_cpu, level.paced_get_times = await server.ask("collect")
    level.add_decide_times(samples)
    return level


# -- reporting ---------------------------------------------------------------------------------


def percentile(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def ms(samples: Sequence[float], quantiles: Sequence[float] = (0.5, 0.99, 1.0)) -> str:
    return " / ".join(f"{percentile(samples, q) * 1000:.2f}" for q in quantiles)


def report(levels: list[Level]) -> None:
    print("\nlatency in ms, p50 / p99 / max (GETs: p50 / p99, back to back and paced like the calls); "
          "CPU: ms per call of the server, and of the client")
    print(f"{'calls/s':>8} {'calls':>6} {'AGI round trip':>22} {'decide':>22} {'GET back to back':>16} "
          f"{'GET paced':>12} {'CPU':>5} {'client':>6}  fallbacks, wrong owner, failed")
    for level in levels:
        n = len(level.round_trips)
        get, paced = ms(level.get_times, (0.5, 0.99)), ms(level.paced_get_times, (0.5, 0.99))
        print(f"{level.rate:>8} {n:>6} {ms(level.round_trips):>22} {ms(level.decide_times):>22} {get:>16} {paced:>12} "
              f"{level.server_cpu / n * 1000:>5.2f} {level.client_cpu / n * 1000:>6.2f}  "
              f"{level.fallbacks}, {level.wrong_owner}, {level.failed}")
    print("\ndecide by caller, ms p50 / p99 (share of calls)")
    for level in levels:
        n = len(level.decide_times)
        parts = [f"{kind} {ms(level.decide_by_kind.get(kind, []), (0.5, 0.99))} ({len(level.decide_by_kind.get(kind, [])) / n:.0%})"
                 for kind in (REPEAT, CLIENT, NEW)]
        print(f"{level.rate:>8}/s: " + "; ".join(parts))
    print()
    for level in levels:
        if level.rate == 200:
            p99 = percentile(level.round_trips, 0.99) * 1000
            print(f"target p99 < 5 ms at 200 calls/s: AGI round trip p99 {p99:.2f} ms, "
                  f"decide p99 {percentile(level.decide_times, 0.99) * 1000:.2f} ms")
        decide = percentile(level.decide_times, 0.5)
        print(f"target decide p50 within 3x GET p50 at {level.rate}/s: "
              f"{decide / percentile(level.paced_get_times, 0.5):.1f}x the paced GET's, "
              f"{decide / percentile(level.get_times, 0.5):.1f}x the back-to-back GET's")


# -- main ---------------------------------------------------------------------------------------


def reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=1).close()
        return True
    except OSError:
        return False


def choose_database(args: argparse.Namespace, workdir: Path) -> str:
    """The database URL: the production server when reachable, else an SQLite file."""
    if args.database != "sqlite" and reachable(args.database, 5432):
        return args.database
    if args.database != "sqlite":
        print(f"PostgreSQL at {args.database} unreachable: using SQLite")
    return f"sqlite+aiosqlite:///{workdir / 'bench.db'}"


def choose_redis(args: argparse.Namespace) -> str:
    """The Redis URL: the production server when reachable, else empty (the embedded server, started by ``main``)."""
    if args.redis != "embedded" and reachable(args.redis, 6379):
        return args.redis
    if args.redis != "embedded":
        print(f"Redis at {args.redis} unreachable: using the embedded server")
    return ""


async def timed(label: str, action: Callable[[], Awaitable]) -> object:
    started = time.perf_counter()
    result = await action()
    print(f"{label}: {time.perf_counter() - started:.1f} s")
    return result


async def run(args: argparse.Namespace, workdir: Path, redis: str) -> list[Level]:
    database = choose_database(args, workdir)
    print(f"python {platform.python_version()} on {platform.machine()}; database {database}; redis {redis}")
    rng = random.Random(args.seed)
    engine = await reset_database(database)
    owners = await timed(f"seeded {args.clients:,} clients", lambda: seed(engine, args.clients, rng))
    await engine.dispose()
    options = ServerOptions(database, redis, args.profile, args.transport_only, not args.no_gc_freeze, args.loop)
    server = ServerHandle.start(options, args.workers)
    print(f"owner index built by the server: {server.owners:,} owners in {server.build_seconds:.1f} s")
    try:
        pbx = Asterisk(server.port)
        callers = Callers(owners, rng)
        await run_level(pbx, server, callers, rate=50, seconds=2)  # warm-up: connections, the directory
        return [await run_level(pbx, server, callers, rate, args.seconds) for rate in args.rates]
    finally:
        server.stop()


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)  # sessions the overloaded server drops count as failed
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=lambda s: [int(r) for r in s.split(",")], default=[50, 200, 500])
    parser.add_argument("--seconds", type=float, default=5.0, help="per load level")
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--database", default=POSTGRES_URL, help="SQLAlchemy URL (emptied!) or 'sqlite'")
    parser.add_argument("--redis", default=REDIS_URL, help="redis:// URL (routing:* keys are cleared) or 'embedded'")
    parser.add_argument("--profile", default="", help="write the server's cProfile stats here")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--transport-only", action="store_true", help="answer without routing: FastAGI's own cost")
    parser.add_argument("--workers", type=int, default=1, help="server processes sharing the port (SO_REUSEPORT)")
    parser.add_argument("--no-gc-freeze", action="store_true", help="no gc.freeze() in the server (the backend does one)")
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop", help="the event loop of both sides")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        redis, embedded = choose_redis(args), None
        if not redis:
            embedded = EmbeddedRedis(Path(workdir) / "redis", persist=False)
            embedded.start()
            redis = embedded.url
        try:
            levels = run_on(args.loop, run(args, Path(workdir), redis))
        finally:
            if embedded is not None:
                embedded.stop()
    report(levels)
    if args.profile:
        pstats.Stats(args.profile).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
