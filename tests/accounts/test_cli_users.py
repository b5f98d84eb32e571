"""``callcenter users add`` and ``users list``."""

import asyncio

from click.testing import CliRunner

from callcenter.cli import main
from storage.db import create_engine, migrate, session_factory
from storage.models import Manager


def run(*args: str, env: dict[str, str], input: str | None = None):
    return CliRunner().invoke(main, list(args), env=env, input=input, catch_exceptions=False)


async def _add_manager(url: str) -> None:
    engine = create_engine(url)
    await migrate(engine)
    async with session_factory(engine)() as session, session.begin():
        session.add(Manager(name="Иван", extension="101"))
    await engine.dispose()


def test_users_add_prompts_twice_and_list_shows_them(tmp_path):
    env = {"CALLCENTER_DATA_DIR": str(tmp_path), "CALLCENTER_CONFIG": str(tmp_path / "none.toml"), "DATABASE_URL": ""}
    asyncio.run(_add_manager(f"sqlite+aiosqlite:///{tmp_path / 'callcenter.db'}"))
    added = run("users", "add", "ivan", "--role", "manager", "--extension", "101", env=env,
                input="long password\nlong password\n")
    assert added.exit_code == 0, added.output
    assert "long password" not in added.output  # hidden
    mismatch = run("users", "add", "boss", "--role", "rop", env=env, input="long password\nother password\n" * 3)
    assert mismatch.exit_code != 0
    short = run("users", "add", "boss", "--role", "rop", env=env, input="short\nshort\n")
    assert short.exit_code == 1 and "password" in short.output
    unknown = run("users", "add", "olga", "--role", "manager", "--extension", "199", env=env, input="long password\n" * 2)
    assert unknown.exit_code == 1 and "no manager has extension 199" in unknown.output
    duplicate = run("users", "add", "ivan", "--role", "rop", env=env, input="long password\n" * 2)
    assert duplicate.exit_code == 1
    listed = run("users", "list", env=env)
    assert listed.exit_code == 0
    assert listed.output.splitlines() == ["1\tivan\tmanager\tmanager 1\tactive"]
