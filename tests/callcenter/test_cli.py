"""The command line: migrations by command, clear refusals."""

from click.testing import CliRunner
from sqlalchemy import create_engine, inspect

from callcenter.cli import main


def run(*args: str, env: dict[str, str]):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_db_upgrade_and_downgrade(tmp_path):
    env = {"CALLCENTER_DATA_DIR": str(tmp_path), "CALLCENTER_CONFIG": str(tmp_path / "none.toml"), "DATABASE_URL": ""}
    result = run("db", "upgrade", env=env)
    assert result.exit_code == 0, result.output
    database = create_engine(f"sqlite:///{tmp_path / 'callcenter.db'}")
    assert {"calls", "call_legs", "managers", "clients", "recordings"} <= set(inspect(database).get_table_names())
    assert run("db", "downgrade", "base", env=env).exit_code == 0
    assert "calls" not in inspect(database).get_table_names()


def test_serve_without_an_ami_secret_says_what_to_set(tmp_path):
    env = {"CALLCENTER_AMI_SECRET": "", "CALLCENTER_CONFIG": str(tmp_path / "none.toml")}
    result = CliRunner().invoke(main, ["serve"], env=env)
    assert result.exit_code == 2
    assert "CALLCENTER_AMI_SECRET" in result.output


def test_demo_refuses_a_broken_scenario(tmp_path):
    scenario = tmp_path / "bad.yaml"
    scenario.write_text("calls:\n  - {did: '74951234567', colour: red}\n")
    env = {"CALLCENTER_DATA_DIR": str(tmp_path), "CALLCENTER_CONFIG": str(tmp_path / "none.toml")}
    result = CliRunner().invoke(main, ["demo", "--scenario", str(scenario), "--once"], env=env)
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "unknown key colour" in result.output
