"""Request bodies and query strings into pydantic models, or a clear error.

Malformed JSON is 400; a body that is not ``application/json`` is 415; values
that do not fit the model are 422 with one entry per field (``loc``, ``msg``,
``type``; never the rejected input, which may be a password).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Annotated, Any, ClassVar, TypeVar

from aiohttp import web
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, model_validator

from api.errors import BadRequest, Unprocessable, UnsupportedMediaType

M = TypeVar("M", bound=BaseModel)
UNSET: Any = object()  # a PATCH field that was not sent (unlike one sent as null)


def _as_utc(moment: datetime) -> datetime:
    """SQLite gives stored (UTC) times back naive."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


Timestamp = Annotated[datetime, AfterValidator(_as_utc)]  # a stored time, answered in UTC with its offset


class Schema(BaseModel):
    """Base of every input model: unknown fields are an error, not ignored."""

    model_config = ConfigDict(extra="forbid")


class Patch(Schema):
    """A partial update: only the fields sent change, and null is refused
    except for the fields in ``nullable`` (where it clears the value)."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _no_nulls(self) -> Patch:
        nulls = sorted(name for name in self.model_fields_set if getattr(self, name) is None and name not in self.nullable)
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


def sent(model: BaseModel, field: str) -> Any:
    """The field's value if the client sent it (null included), else ``UNSET``."""
    return getattr(model, field) if field in model.model_fields_set else UNSET


def field_errors(error: ValidationError, where: str) -> list[dict[str, Any]]:
    return [
        {"loc": [where, *item["loc"]], "msg": item["msg"], "type": item["type"]}
        for item in error.errors(include_url=False, include_input=False, include_context=False)
    ]


def validate(model: type[M], data: Any, where: str, context: dict[str, Any] | None = None) -> M:
    """``data`` as ``model``; 422 naming the fields (``loc`` starts with ``where``: body or query)."""
    try:
        return model.model_validate(data, context=context)
    except ValidationError as error:
        raise Unprocessable("the request does not validate", field_errors(error, where)) from None


async def parse_body(request: web.Request, model: type[M], context: dict[str, Any] | None = None) -> M:
    if request.content_type != "application/json":
        raise UnsupportedMediaType("send the body as application/json")
    try:
        data = json.loads(await request.text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadRequest("the body is not valid JSON", code="malformed_json") from None
    return validate(model, data, "body", context)


def parse_query(request: web.Request, model: type[M], context: dict[str, Any] | None = None) -> M:
    """Each parameter once: a repeated one is 422 rather than silently the first."""
    repeated = sorted({key for key in request.query if len(request.query.getall(key)) > 1})
    if repeated:
        raise Unprocessable(
            "a query parameter is repeated",
            [{"loc": ["query", key], "msg": "given more than once", "type": "repeated"} for key in repeated],
        )
    return validate(model, dict(request.query), "query", context)
