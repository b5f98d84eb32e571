"""The ``callcenter`` command. Every subcommand runs on uvloop: its sockets
cost about a third less CPU than asyncio's own loop (``docs/bench-routing.md``)."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import click
import uvloop

from accounts.access import Role
from callcenter.config import Settings


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj


def _run_until_stopped(main: Coroutine[Any, Any, None]) -> None:
    """Run a long-lived command on uvloop; SIGTERM (systemd, ``kill``) stops it as Ctrl-C does: the main
    task is cancelled, so everything it started is stopped in order (the embedded Redis last)."""

    async def stoppable() -> None:
        loop, task = asyncio.get_running_loop(), asyncio.current_task()
        assert task is not None
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
        try:
            await main
        finally:
            loop.remove_signal_handler(signal.SIGTERM)

    try:
        uvloop.run(stoppable())
    except asyncio.CancelledError:
        logging.getLogger(__name__).info("stopped by SIGTERM")


@click.group()
@click.option("--log-level", default=None, help="Overrides CALLCENTER_LOG_LEVEL.")
@click.pass_context
def main(ctx: click.Context, log_level: str | None) -> None:
    """Call-center backend beside Asterisk."""
    settings = Settings()
    logging.basicConfig(
        level=(log_level or settings.log_level).upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)  # a line per window otherwise
    ctx.obj = settings


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@click.pass_context
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Apply migrations up to REVISION."""
    from storage.db import migrate

    uvloop.run(_with_engine(_settings(ctx), lambda engine: migrate(engine, revision)))
    click.echo(f"database at {revision}")


@db.command("downgrade")
@click.argument("revision")
@click.pass_context
def db_downgrade(ctx: click.Context, revision: str) -> None:
    """Revert migrations down to REVISION (``base`` empties the schema)."""
    from storage.db import downgrade

    uvloop.run(_with_engine(_settings(ctx), lambda engine: downgrade(engine, revision)))
    click.echo(f"database at {revision}")


async def _with_engine(settings: Settings, action) -> None:
    from storage.db import create_engine

    engine = create_engine(settings.effective_database_url)
    try:
        await action(engine)
    finally:
        await engine.dispose()


@main.command()
@click.pass_context
def serve(ctx: click.Context) -> None:
    """Run the backend against the configured Asterisk until interrupted."""
    from callcenter.runner import run_backend

    settings = _settings(ctx)
    if not settings.ami_secret:
        raise click.UsageError("set CALLCENTER_AMI_SECRET to the secret of the AMI user in manager.conf")
    _run_until_stopped(run_backend(settings))


@main.command()
@click.option("--scenario", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Scenario file (default: the bundled demo).")
@click.option("--speed", type=float, default=1.0, show_default=True, help="Time factor: 10 plays a 20 s ring in 2 s.")
@click.option("--once", is_flag=True, help="Exit when the scenario's calls have ended and their cards are stored.")
@click.pass_context
def demo(ctx: click.Context, scenario: Path | None, speed: float, once: bool) -> None:
    """Run the PBX simulator and the backend together, placing the scenario's calls."""
    from callcenter.demo import run_demo

    _run_until_stopped(run_demo(_settings(ctx), _scenario(scenario), speed=speed, once=once))


@main.command()
@click.option("--scenario", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None)
@click.option("--speed", type=float, default=1.0, show_default=True)
@click.pass_context
def simulate(ctx: click.Context, scenario: Path | None, speed: float) -> None:
    """Run only the PBX simulator on the configured AMI port, for a backend to connect to."""
    from callcenter.demo import run_simulator

    settings = _settings(ctx)
    if not settings.ami_secret:
        raise click.UsageError("set CALLCENTER_AMI_SECRET to the secret backends must log in with")
    _run_until_stopped(run_simulator(settings, _scenario(scenario), speed=speed))


def _scenario(path: Path | None):
    """The scenario file, or the bundled demo; a bad file is a clear error, not a traceback."""
    from pbx.simulator.scenario import ScenarioError, load_scenario

    try:
        return load_scenario(path or "demo")
    except ScenarioError as error:
        raise click.ClickException(str(error)) from error


@main.group()
def users() -> None:
    """Login accounts for the API and the web app."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice([role.value for role in Role]), required=True,
              help="manager: their own calls; rop: the whole department; admin: configuration.")
@click.option("--extension", default=None, help="The manager's extension: whose calls a manager's login sees.")
@click.password_option(help="Prompted for (hidden, twice) when not given.")
@click.pass_context
def users_add(ctx: click.Context, username: str, role: str, extension: str | None, password: str) -> None:
    """Create the login USERNAME."""
    from accounts.http.users import UserCreate
    from api.errors import ApiError
    from api.validation import validate

    async def add(accounts) -> None:
        manager_id = None
        if extension is not None:
            manager_id = await accounts.manager_id_by_extension(extension)
            if manager_id is None:
                raise click.ClickException(f"no manager has extension {extension}")
        data = {"username": username, "password": password, "role": role, "manager_id": manager_id}
        try:
            user = validate(UserCreate, data, "user")
            created = await accounts.create_user(user.username, user.password, user.role, user.manager_id)
        except ApiError as error:
            problems = "; ".join(f"{item['loc'][-1]}: {item['msg']}" for item in error.details or ())
            raise click.ClickException(f"{error.message}{': ' + problems if problems else ''}") from error
        click.echo(f"user {created.username} ({created.role}) created, id {created.id}")

    uvloop.run(_with_accounts(_settings(ctx), add))


@users.command("list")
@click.pass_context
def users_list(ctx: click.Context) -> None:
    """Every login: id, username, role, linked manager, whether active."""

    async def show(accounts) -> None:
        for user in await accounts.users():
            manager = "-" if user.manager_id is None else f"manager {user.manager_id}"
            state = "active" if user.active else "disabled"
            click.echo(f"{user.id}\t{user.username}\t{user.role}\t{manager}\t{state}")

    uvloop.run(_with_accounts(_settings(ctx), show))


async def _with_accounts(settings: Settings, action) -> None:
    """Run ``action`` with an AccountService on the migrated database."""
    from accounts.service import AccountService
    from callcenter.clock import SystemClock
    from storage.db import migrate, session_factory

    async def run(engine) -> None:
        await migrate(engine)
        await action(AccountService(session_factory(engine), SystemClock(), settings.session_hours))

    await _with_engine(settings, run)


@main.group()
def recordings() -> None:
    """Call recordings."""


@recordings.command("retention")
@click.option("--dry-run", is_flag=True, help="List what would be deleted, delete nothing.")
@click.pass_context
def recordings_retention(ctx: click.Context, dry_run: bool) -> None:
    """Delete stored recordings older than CALLCENTER_RECORDINGS_RETENTION_DAYS."""
    from callcenter.clock import SystemClock
    from recordings.retention import apply_retention
    from recordings.store import LocalStore
    from storage.db import migrate, session_factory

    settings = _settings(ctx)
    if not settings.recordings_retention_days:
        click.echo("retention is off (CALLCENTER_RECORDINGS_RETENTION_DAYS is 0): nothing deleted")
        return

    async def run(engine) -> None:
        await migrate(engine)
        report = await apply_retention(
            LocalStore(settings.effective_recordings_dir), session_factory(engine), SystemClock().now(),
            settings.recordings_retention_days, dry_run=dry_run, transcripts=settings.recordings_retention_transcripts,
        )
        for key in report.keys:
            click.echo(key)
        verb = "would delete" if dry_run else "deleted"
        click.echo(f"{verb} {len(report.keys)} file(s) of calls before {report.cutoff:%Y-%m-%d}")

    uvloop.run(_with_engine(settings, run))


@recordings.command("compress")
@click.pass_context
def recordings_compress(ctx: click.Context) -> None:
    """Re-encode stored WAV recordings older than CALLCENTER_RECORDINGS_COMPRESS_AFTER_DAYS as Opus."""
    from callcenter.clock import SystemClock
    from recordings.compression import compress_older
    from recordings.store import LocalStore
    from storage.db import migrate, session_factory

    settings = _settings(ctx)
    if not settings.recordings_compress_after_days:
        click.echo("compression is off (CALLCENTER_RECORDINGS_COMPRESS_AFTER_DAYS is 0): nothing compressed")
        return

    async def run(engine) -> None:
        await migrate(engine)
        report = await compress_older(
            LocalStore(settings.effective_recordings_dir), session_factory(engine), SystemClock().now(),
            settings.recordings_compress_after_days,
        )
        for key, compressed in report.keys.items():
            click.echo(f"{key} -> {compressed.key}")
        click.echo(f"compressed {len(report.keys)} file(s) of calls before {report.cutoff:%Y-%m-%d}")

    uvloop.run(_with_engine(settings, run))


@main.command()
@click.option("--count", type=click.IntRange(1), default=1, show_default=True,
              help="Transcription workers in this process, each with its own model (one per two CPU cores is about right).")
@click.option("--scorers", type=click.IntRange(0), default=1, show_default=True,
              help="Scoring workers in this process (one scores hundreds of calls a second).")
@click.pass_context
def worker(ctx: click.Context, count: int, scorers: int) -> None:
    """Transcribe and score recordings from the job queues until interrupted (run as many as you like, anywhere)."""
    from transcription.runner import run_workers

    settings = _settings(ctx)
    if not settings.redis_url:
        raise click.UsageError("set REDIS_URL: a separate worker needs the backend's Redis (the in-process one is private)")
    _run_until_stopped(run_workers(settings, count, scorers))


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the dialogues as JSON lines instead of text.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write one transcript JSON per file into this folder (made if need be) and print their paths.")
@click.option("--client-channel", type=click.IntRange(0, 1), default=None,
              help="In stereo files, the client's channel (default: CALLCENTER_RECORDINGS_STEREO_CLIENT_CHANNEL).")
@click.pass_context
def transcribe(ctx: click.Context, files: tuple[Path, ...], as_json: bool, out_dir: Path | None,
               client_channel: int | None) -> None:
    """Transcribe audio FILES (stereo: client and manager; mono: one speaker) and print their dialogues."""
    from transcription.adhoc import transcribe_files

    settings = _settings(ctx)
    channel = settings.recordings_stereo_client_channel if client_channel is None else client_channel
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    if not transcribe_files(settings, list(files), as_json=as_json, client_channel=channel, out_dir=out_dir):
        ctx.exit(1)


@main.group()
def qa() -> None:
    """Sales scripts and call scores."""


@qa.command("score")
@click.option("--script", "script_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The script (YAML) to score with.")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--client-channel", type=click.IntRange(0, 1), default=None,
              help="In stereo recordings, the client's channel (default: CALLCENTER_RECORDINGS_STEREO_CLIENT_CHANNEL).")
@click.pass_context
def qa_score(ctx: click.Context, script_path: Path, files: tuple[Path, ...], client_channel: int | None) -> None:
    """Score recordings or transcripts (JSON) with a script and print each result as JSON."""
    from qa.adhoc import score_files
    from qa.script import ScriptError, load_script
    from transcription.worker import load_transcriber

    settings = _settings(ctx)
    try:
        script = load_script(script_path)
    except ScriptError as error:
        raise click.UsageError(f"{script_path}: {error}") from error
    channel = settings.recordings_stereo_client_channel if client_channel is None else client_channel
    if not score_files(script, list(files), lambda: load_transcriber(settings), channel):
        ctx.exit(1)


@qa.command("add-script")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def qa_add_script(ctx: click.Context, file: Path) -> None:
    """Store a script (YAML) as the next version of its name, and make it the active one."""
    from qa.library import ScriptLibrary
    from qa.script import ScriptError
    from storage.db import migrate, session_factory

    async def run(engine) -> None:
        await migrate(engine)
        try:
            row = await ScriptLibrary(session_factory(engine)).save(file.read_text(encoding="utf-8"))
        except ScriptError as error:
            raise click.UsageError(f"{file}: {error}") from error
        click.echo(f"{row.name} version {row.version} is active (id {row.id})")

    uvloop.run(_with_engine(_settings(ctx), run))
