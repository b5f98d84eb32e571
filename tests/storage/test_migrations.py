"""The migrations build the schema the models describe, on both databases."""

from sqlalchemy import inspect

from storage.db import downgrade, migrate
from storage.models import Base


async def _tables(engine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))


async def test_upgrade_creates_every_model_table(engine):
    assert set(Base.metadata.tables) <= await _tables(engine)


async def test_downgrade_then_upgrade_round_trips(engine):
    await downgrade(engine, "base")
    assert not set(Base.metadata.tables) & await _tables(engine)
    await migrate(engine)
    assert set(Base.metadata.tables) <= await _tables(engine)


async def test_upgrade_twice_is_harmless(engine):
    await migrate(engine)
    assert set(Base.metadata.tables) <= await _tables(engine)


async def test_models_match_migrations(engine):
    """Autogenerate finds nothing to add: no model change lacks its migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    def diff(sync):
        return compare_metadata(MigrationContext.configure(sync), Base.metadata)

    async with engine.connect() as connection:
        assert await connection.run_sync(diff) == []
