"""Settings: defaults that run on a laptop, variables over the file."""

import pytest
from pydantic import ValidationError

from callcenter.config import Settings


def test_defaults_are_embedded(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("CALLCENTER_CONFIG", str(tmp_path / "absent.toml"))
    settings = Settings()
    assert settings.effective_database_url == "sqlite+aiosqlite:///data/callcenter.db"
    assert settings.redis_url == ""
    assert str(settings.effective_recordings_dir) == "data/recordings"


def test_environment_wins_over_file(monkeypatch, tmp_path):
    config = tmp_path / "callcenter.toml"
    config.write_text('http_port = 9000\nami_port = 6038\ndatabase_url = "postgresql+asyncpg://file/db"\n')
    monkeypatch.setenv("CALLCENTER_CONFIG", str(config))
    monkeypatch.setenv("CALLCENTER_HTTP_PORT", "9100")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://env/db")
    settings = Settings()
    assert (settings.http_port, settings.ami_port) == (9100, 6038)
    assert settings.effective_database_url == "postgresql+asyncpg://env/db"


def test_bad_values_are_refused_clearly(monkeypatch, tmp_path):
    monkeypatch.setenv("CALLCENTER_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("CALLCENTER_AMI_PORT", "not-a-port")
    with pytest.raises(ValidationError, match="ami_port"):
        Settings()


def test_unknown_file_keys_are_refused(monkeypatch, tmp_path):
    config = tmp_path / "callcenter.toml"
    config.write_text("ami_prot = 5038\n")
    monkeypatch.setenv("CALLCENTER_CONFIG", str(config))
    with pytest.raises(ValidationError, match="ami_prot"):
        Settings()
