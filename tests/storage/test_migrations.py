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


async def test_0007_fills_in_the_missed_items_of_the_scores_stored_before(engine):
    """Scores stored before 0007 get their ``missed`` column from their items, so the filters find them."""
    from sqlalchemy import text

    await downgrade(engine, "0006")
    items = '[{"id": "greeting", "met": false}, {"id": "name", "met": true}, {"id": "farewell", "met": null}]'
    async with engine.begin() as connection:
        await connection.execute(text(
            "INSERT INTO calls (linkedid, direction, caller_raw, caller_name, callee_raw, started_at, talk_seconds,"
            " disposition, hangup_cause_text) VALUES ('m.1', 'inbound', '', '', '', '2026-11-23 10:00:00+00', 60,"
            " 'answered', '')"))
        await connection.execute(text(
            "INSERT INTO qa_scripts (name, version, title, source, direction, dids, groups, active)"
            " VALUES ('s', 1, '', '', 'any', '[]', '[]', true)"))
        await connection.execute(text(
            "INSERT INTO call_scores (call_id, script_id, total, passed, items, created_at)"
            " SELECT calls.id, qa_scripts.id, 50, false, :items, '2026-11-23 10:00:00+00' FROM calls, qa_scripts"),
            {"items": items})
    await migrate(engine)
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT missed FROM call_scores"))).scalar_one() == " greeting "


async def test_0008_drops_the_scores_of_calls_without_a_conversation(engine):
    """Abandoned, too short, and wordless calls lose the scores stored before 0008; a conversation keeps its."""
    from sqlalchemy import text

    await downgrade(engine, "0007")
    calls = {"talked": ("answered", 60, " добрый день "), "abandoned": ("abandoned", 0, None),
             "short": ("answered", 5, " алло "), "wordless": ("answered", 60, "")}
    async with engine.begin() as connection:
        await connection.execute(text(
            "INSERT INTO qa_scripts (name, version, title, source, direction, dids, groups, active)"
            " VALUES ('s', 1, '', '', 'any', '[]', '[]', true)"))
        for linkedid, (disposition, talk, said) in calls.items():
            await connection.execute(text(
                "INSERT INTO calls (linkedid, direction, caller_raw, caller_name, callee_raw, started_at, talk_seconds,"
                " disposition, hangup_cause_text) VALUES (:linkedid, 'inbound', '', '', '', '2026-11-23 10:00:00+00',"
                " :talk, :disposition, '')"), {"linkedid": linkedid, "talk": talk, "disposition": disposition})
            if said is not None:
                await connection.execute(text(
                    "INSERT INTO transcripts (call_id, status, error, attempts, model, language, search_text)"
                    " SELECT id, 'done', '', 1, '', 'ru', :said FROM calls WHERE linkedid = :linkedid"),
                    {"said": said, "linkedid": linkedid})
        await connection.execute(text(
            "INSERT INTO call_scores (call_id, script_id, total, passed, items, missed, created_at)"
            " SELECT calls.id, qa_scripts.id, 50, false, '[]', '', '2026-11-23 10:00:00+00' FROM calls, qa_scripts"))
    await migrate(engine)
    async with engine.connect() as connection:
        kept = (await connection.execute(text(
            "SELECT linkedid FROM calls JOIN call_scores ON call_scores.call_id = calls.id"))).scalars().all()
    assert kept == ["talked"]
