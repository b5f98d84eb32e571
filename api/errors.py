"""API errors and the middleware that renders every error as JSON.

The body is always ``{"error": code, "message": text, "details": any}``:
``ApiError`` subclasses carry their own; aiohttp's HTTP errors (no such route,
method not allowed, body too large) keep their status; anything else is logged
and answered with a bare 500 that tells nothing of the internals.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from pydantic import BaseModel

log = logging.getLogger(__name__)


class ErrorBody(BaseModel):
    """What every API error answers."""

    error: str
    message: str
    details: Any = None


class ApiError(Exception):
    status = 500
    code = "internal"

    def __init__(self, message: str, details: Any = None, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if code is not None:
            self.code = code


class BadRequest(ApiError):
    status, code = 400, "bad_request"


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFound(ApiError):
    status, code = 404, "not_found"


class Conflict(ApiError):
    status, code = 409, "conflict"


class UnsupportedMediaType(ApiError):
    status, code = 415, "unsupported_media_type"


class ServiceUnavailable(ApiError):
    """Something the request needs (e.g. Asterisk) cannot be reached now; try again later."""

    status, code = 503, "unavailable"


class Unprocessable(ApiError):
    status, code = 422, "validation_error"

    @classmethod
    def on_field(cls, field: str, message: str) -> Unprocessable:
        """A body field that is well-formed but refers to nothing usable (e.g. no such manager)."""
        return cls(message, [{"loc": ["body", field], "msg": message, "type": "value_error"}])


def error_response(status: int, code: str, message: str, details: Any = None) -> web.Response:
    body = ErrorBody(error=code, message=message, details=details)
    return web.json_response(body.model_dump(mode="json"), status=status)


def _code_of(error: web.HTTPException) -> str:
    return error.reason.lower().replace(" ", "_")


@web.middleware
async def error_middleware(request: web.Request, handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as error:
        return error_response(error.status, error.code, error.message, error.details)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        response = error_response(error.status, _code_of(error), error.reason)
        if isinstance(error, web.HTTPMethodNotAllowed):
            response.headers["Allow"] = ",".join(sorted(error.allowed_methods))
        return response
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return error_response(500, "internal", "internal server error")
