"""The demo: the PBX simulator and the backend on one machine, over real AMI
and FastAGI on loopback, with each call card printed as it is stored."""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime, timezone
from pathlib import Path

from rich.console import Console

from callcenter.app import Services
from callcenter.bus import CALL_ENDED, DomainEvent
from callcenter.config import Settings
from callcenter.demo_department import Department, seed_department
from callcenter.demo_summary import summarise
from callcenter.runner import backend
from pbx.simulator import SOUNDS
from pbx.simulator.ami_server import AmiServer
from pbx.simulator.scenario import Scenario
from pbx.simulator.simulator import Simulator
from pbx.tracker.model import CallRecord

console = Console()


def pbx_spool(settings: Settings) -> Path:
    """Where the simulated Asterisk writes its MixMonitor files."""
    return settings.data_dir / "pbx-spool"


def pbx_cdr_csv(settings: Settings) -> Path:
    """Where the simulated Asterisk keeps its CDR store (cdr_csv's Master.csv)."""
    folder = settings.data_dir / "pbx-cdr-csv"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "Master.csv"


def against_simulator(settings: Settings) -> Settings:
    """``settings`` for a backend beside the simulator: its spool is both the PBX's recordings folder and
    ours (so the API serves them), its CDR store is ours to recover from, and click-to-call rings the
    simulator's managers."""
    spool = pbx_spool(settings)
    return settings.model_copy(
        update={
            "recordings_dir": spool,
            "pbx_recordings_dir": str(spool.resolve()),
            "cdr_csv_path": str(pbx_cdr_csv(settings)),
            "cdr_timezone": "UTC",
            "callback_agent_channel": "Local/{extension}@sim-agent",
        }
    )


def sounds(settings: Settings) -> Path:
    """The calls the simulator plays: the configured folder, else the demo's own."""
    return settings.simulator_audio_dir or SOUNDS


def demo_logins(settings: Settings) -> Path:
    return settings.data_dir / "demo-logins.txt"


async def run_demo(settings: Settings, scenario: Scenario, *, speed: float, once: bool) -> None:
    secret = settings.ami_secret or secrets.token_urlsafe(18)
    ami = AmiServer(username=settings.ami_username, secret=secret)
    ami_port = await ami.start(settings.ami_host, 0)
    settings = against_simulator(settings).model_copy(
        update={"ami_port": ami_port, "ami_secret": secret, "agi_port": 0}
    )
    simulator: Simulator | None = None

    async def start_simulator(services: Services) -> None:
        nonlocal simulator
        if await seed_department(services.sessions, Department.load(), datetime.now(timezone.utc), demo_logins(settings)):
            services.routing.forget_directory()  # loaded empty when FastAGI started
            await services.routing.owners.build()  # likewise the phone -> owner index
            console.print("Seeded the demo department (callcenter/demo_department.yaml).")
        simulator = Simulator(
            ami, settings.agi_host, services.agi_port, pbx_spool(settings), sounds(settings), speed,
            cdr_csv=pbx_cdr_csv(settings),
        )

    try:
        async with backend(settings, before_ami=start_simulator) as services:
            stored = _print_cards(services)
            console.print(
                f"[bold]callcenter demo[/]: simulated Asterisk AMI on {settings.ami_host}:{ami_port}, "
                f"FastAGI on {settings.agi_host}:{services.agi_port}, "
                f"HTTP on http://{settings.http_host}:{settings.http_port}, "
                f"database {settings.effective_database_url}"
            )
            if demo_logins(settings).exists():
                console.print(f"[bold]Web app: http://{settings.http_host}:{settings.http_port}/[/] "
                              f"(the API under /api); logins ({demo_logins(settings)}):\n"
                              f"{demo_logins(settings).read_text().rstrip()}")
            await services.connector.connected.wait()
            assert simulator is not None
            linkedids = await _play(simulator, scenario)
            await _until_stored(stored, linkedids, timeout=settings.cdr_linger_seconds + 10)
            console.print(f"{len(linkedids)} calls placed and stored.")
            for line in (await summarise(services.sessions, linkedids)).lines():
                console.print(line)
            if not once:
                console.print("Running; Ctrl-C stops.")
                await asyncio.Event().wait()
    finally:
        if simulator is not None:
            await simulator.close()
        await ami.stop()


async def run_simulator(settings: Settings, scenario: Scenario, *, speed: float) -> None:
    """The simulator alone on the configured AMI port, playing the scenario against the configured FastAGI."""
    ami = AmiServer(username=settings.ami_username, secret=settings.ami_secret)
    await ami.start(settings.ami_host, settings.ami_port)
    simulator = Simulator(
        ami, settings.agi_host, settings.agi_port, pbx_spool(settings), sounds(settings), speed,
        cdr_csv=pbx_cdr_csv(settings),
    )
    console.print(f"simulated Asterisk AMI on {settings.ami_host}:{settings.ami_port}")
    try:
        await _play(simulator, scenario)
        await asyncio.Event().wait()
    finally:
        await simulator.close()
        await ami.stop()


async def _play(simulator: Simulator, scenario: Scenario) -> list[str]:
    with console.status(f"placing {len(scenario.calls)} scenario calls"):
        return await simulator.run_scenario(scenario)


def _print_cards(services: Services) -> set[str]:
    """Print each call card once stored; return the live set of stored linkedids."""
    stored: set[str] = set()

    async def show(event: DomainEvent) -> None:
        record: CallRecord = event.payload
        stored.add(record.linkedid)
        console.print(_describe(record))

    services.bus.subscribe(CALL_ENDED, show)
    return stored


def _describe(record: CallRecord) -> str:
    caller = record.caller_number or "unknown number"
    name = f" ({record.caller_name})" if record.caller_name and record.caller_name != "<unknown>" else ""
    rung = ", ".join(record.rung) or "nobody"
    answered = f"answered by {record.answered_by}" if record.answered_by else "not answered"
    wait = f"{record.wait_seconds:.0f}" if record.wait_seconds is not None else "?"
    return (
        f"[cyan]{record.linkedid}[/] {record.direction} {caller}{name} → DID {record.did}: "
        f"rang {rung}; {answered}; [bold]{record.disposition}[/] "
        f"wait {wait} s, talk {record.talk_seconds:.0f} s"
        + (f"; recording {record.recording_file}" if record.recording_file else "")
    )


async def _until_stored(stored: set[str], linkedids: list[str], timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while not set(linkedids) <= stored:
            await asyncio.sleep(0.1)
