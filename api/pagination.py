"""Keyset pagination: stable pages over a sort key that may tie.

A list orders by an allow-listed sort key (``sort=started_at`` ascending,
``sort=-started_at`` descending) and then by id in the same direction, so ties
have a fixed order. The next page starts after the last row's (key, id); its
cursor is that pair and the sort, in opaque URL-safe base64 JSON. A cursor is
checked on decoding (shape, types, the same sort) and a bad one is a 400.

Sort expressions must not be NULL (coalesce nullable columns): keyset
comparisons skip NULLs.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, Field
from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from api.errors import BadRequest
from api.validation import Schema

MAX_LIMIT = 100
DEFAULT_LIMIT = 50
SORT_KEY = "sort_key"

T = TypeVar("T")


def _capped(limit: int) -> int:
    return min(limit, MAX_LIMIT)


class PageQuery(Schema):
    """The paging parameters every list takes; resources add ``sort`` and filters."""

    limit: Annotated[int, Field(ge=1, description=f"Page size; more than {MAX_LIMIT} gives {MAX_LIMIT}."), AfterValidator(_capped)] = (
        DEFAULT_LIMIT
    )
    cursor: str | None = Field(default=None, description="``next_cursor`` of the previous page.")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="Pass as ``cursor`` for the next page; null on the last page.")


def _datetime(value: Any) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    if moment is None or moment.tzinfo is None:
        raise ValueError("not an ISO time with an offset")
    return moment.astimezone(timezone.utc)


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("not a number")
    return float(value)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("not a string")
    return value


def _id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("not an id")
    return value


DECODERS = {datetime: _datetime, float: _number, str: _text, int: _id}


def _encodable(value: Any) -> Any:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)  # SQLite gives UTC back naive
        return moment.astimezone(timezone.utc).isoformat()
    return value


@dataclass(frozen=True)
class SortField:
    """A sortable key: a non-NULL SQL expression and the Python type of its values."""

    expression: ColumnElement
    kind: type


@dataclass(frozen=True)
class PageRequest:
    sort: str
    limit: int
    after: tuple[Any, int] | None


@dataclass(frozen=True)
class Sorting:
    """The allow-listed sorts of one resource and its id column (the tiebreak)."""

    id_column: ColumnElement
    fields: Mapping[str, SortField]
    default: str

    def choices(self) -> Any:
        """The ``sort`` parameter's type: each field, ascending or with ``-`` descending."""
        return Literal[tuple(name for field in self.fields for name in (field, f"-{field}"))]

    def request(self, query: PageQuery, sort: str) -> PageRequest:
        after = None if query.cursor is None else self._decode(query.cursor, sort)
        return PageRequest(sort, query.limit, after)

    async def fetch(self, session: AsyncSession, query: Select, page: PageRequest) -> tuple[list[Any], str | None]:
        """One page of ``query``'s first entity, and the cursor of the next page (None: the last)."""
        descending = page.sort.startswith("-")
        key = self.fields[page.sort.lstrip("-")].expression
        query = query.add_columns(key.label(SORT_KEY))
        if page.after is not None:
            value, last_id = page.after
            if descending:
                query = query.where(or_(key < value, and_(key == value, self.id_column < last_id)))
            else:
                query = query.where(or_(key > value, and_(key == value, self.id_column > last_id)))
        order = (key.desc(), self.id_column.desc()) if descending else (key.asc(), self.id_column.asc())
        rows: Sequence[Any] = (await session.execute(query.order_by(*order).limit(page.limit + 1))).all()
        items = [row[0] for row in rows[: page.limit]]
        if len(rows) <= page.limit:
            return items, None
        last = rows[page.limit - 1]
        return items, self.cursor(page.sort, getattr(last, SORT_KEY), last[0].id)

    @staticmethod
    def cursor(sort: str, value: Any, last_id: int) -> str:
        """The cursor of the page after the row with sort key ``value`` and ``last_id``."""
        raw = json.dumps([sort, _encodable(value), last_id], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _decode(self, cursor: str, sort: str) -> tuple[Any, int]:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            decoded = json.loads(raw)
            if not isinstance(decoded, list) or len(decoded) != 3:
                raise ValueError("not a cursor")
            cursor_sort, value, last_id = decoded
            if cursor_sort != sort:
                raise ValueError("made for another sort")
            decode = DECODERS[self.fields[sort.lstrip("-")].kind]
            return decode(value), _id(last_id)
        except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError, TypeError, ValueError) as error:
            raise BadRequest("the cursor is not one this list gave", code="bad_cursor") from error
