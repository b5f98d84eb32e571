"""The README's configuration table names every setting."""

from pathlib import Path

from callcenter.config import Settings

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
ALIASED = {"database_url": "DATABASE_URL", "redis_url": "REDIS_URL"}


def documented(name: str) -> bool:
    """Named in full, or as the ``_SUFFIX`` of a row that starts with a sibling (``_PORT`` after ``..._HOST``)."""
    variable = ALIASED.get(name, f"CALLCENTER_{name.upper()}")
    if f"`{variable}`" in README:
        return True
    prefix, _, suffix = variable.rpartition("_")
    while prefix:
        if f"`_{suffix}`" in README and f"`{prefix}_" in README:
            return True
        prefix, _, head = prefix.rpartition("_")
        suffix = f"{head}_{suffix}"
    return False


def test_every_setting_is_in_the_configuration_table():
    missing = [name for name in Settings.model_fields if not documented(name)]
    assert missing == []
