"""The department's scripts in the database, versioned.

Saving YAML under a script name adds the next version of that name and makes
it the active one (the previous versions stay, inactive, so old scores still
say which version gave them). Retiring a name deactivates all its versions.
"""

from __future__ import annotations

import contextlib

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from qa.script import Script, ScriptError, parse_script
from qa.vocabulary import vocabulary
from storage.models import QaScript

SAVE_ATTEMPTS = 3  # two saves of one name at once: the later one takes the next version


class ScriptLibrary:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def save(self, source: str, created_by_id: int | None = None) -> QaScript:
        """Validate ``source`` (``ScriptError`` if it is not a script) and store it as its name's next version."""
        script = parse_script(source)
        for _ in range(SAVE_ATTEMPTS - 1):
            with contextlib.suppress(IntegrityError):
                return await self._add_version(script, source, created_by_id)
        return await self._add_version(script, source, created_by_id)

    async def _add_version(self, script: Script, source: str, created_by_id: int | None) -> QaScript:
        async with self._sessions() as session, session.begin():
            latest = await session.scalar(select(func.max(QaScript.version)).where(QaScript.name == script.name))
            await session.execute(update(QaScript).where(QaScript.name == script.name).values(active=False))
            applies = script.applies_to
            row = QaScript(
                name=script.name, version=(latest or 0) + 1, title=script.title, source=source,
                direction=str(applies.direction), dids=list(applies.dids), groups=list(applies.groups),
                active=True, created_by_id=created_by_id,
            )
            session.add(row)
        return row

    async def active(self) -> list[QaScript]:
        async with self._sessions() as session:
            return list(await session.scalars(select(QaScript).where(QaScript.active).order_by(QaScript.name)))

    async def versions(self, name: str) -> list[QaScript]:
        async with self._sessions() as session:
            return list(await session.scalars(
                select(QaScript).where(QaScript.name == name).order_by(QaScript.version.desc())
            ))

    async def get(self, script_id: int) -> QaScript | None:
        async with self._sessions() as session:
            return await session.get(QaScript, script_id)

    async def retire(self, name: str) -> bool:
        """Deactivate every version of ``name``; False if there is none active."""
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                update(QaScript).where(QaScript.name == name, QaScript.active).values(active=False)
            )
            return result.rowcount > 0


class ScriptVocabulary:
    """The speech model's prompt: ``configured`` (``CALLCENTER_TRANSCRIPTION_PROMPT``) and the active
    scripts' own words (``qa.vocabulary``), made again only when the active scripts change."""

    def __init__(self, sessions: async_sessionmaker, configured: str = "") -> None:
        self._library = ScriptLibrary(sessions)
        self._configured = configured
        self._made_from: tuple[int, ...] | None = None
        self._prompt = configured

    async def __call__(self) -> str:
        rows = await self._library.active()
        made_from = tuple(row.id for row in rows)
        if made_from != self._made_from:
            scripts = []
            for row in rows:
                with contextlib.suppress(ScriptError):  # checked when saved; a bad one only loses its words
                    scripts.append(parse_script(row.source))
            self._prompt, self._made_from = vocabulary(scripts, self._configured), made_from
        return self._prompt

