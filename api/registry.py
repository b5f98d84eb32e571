"""Endpoints declared with their schemas and roles, and the adapter that runs them.

A feature module makes a ``Routes`` and decorates thin handlers::

    routes = Routes("calls")

    @routes.get("/calls/{call_id}", roles=CALL_DATA, response=CallCard)
    async def get_call(request, principal, call_id: int) -> CallCard: ...

For each request the adapter authenticates (401) and checks the role (403)
before anything else, converts the path's ids to ``int``, validates ``query``
and ``body`` against their models, calls the handler with them as keyword
arguments, and renders the returned model as JSON (``None``: 204; a
``StreamResponse`` is passed through). The same declarations feed the
OpenAPI document.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web
from pydantic import BaseModel

from api.errors import Forbidden
from api.validation import parse_body, parse_query

PATH_PARAM = re.compile(r"\{(\w+)\}")
ID_PATTERN = r"\d{1,9}"  # ids fit a 32-bit column; longer ones match no route


class Principal(Protocol):
    """Whoever the request authenticated as; the registry needs only the role."""

    role: str


Authenticate = Callable[[web.Request], Awaitable[Principal]]
Handler = Callable[..., Awaitable[Any]]

AUTHENTICATE = web.AppKey("authenticate", Authenticate)
VALIDATION_CONTEXT = web.AppKey("validation_context", dict)


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # relative to the API's prefix; ``{name}`` parameters are ids unless ``text_params`` names them
    handler: Handler
    tag: str
    roles: frozenset[str] | None  # None: public
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    produces: str = "application/json"
    errors: tuple[int, ...] = ()  # statuses the handler itself may answer, e.g. 409
    text_params: dict[str, str] = field(default_factory=dict)  # a non-id path parameter → its regex
    consumes: str | None = None  # a body the handler reads itself (e.g. YAML), instead of ``body``

    def pattern(self, name: str) -> str:
        return self.text_params.get(name, ID_PATTERN)

    @property
    def path_params(self) -> list[str]:
        return PATH_PARAM.findall(self.path)

    @property
    def summary(self) -> str:
        return (self.handler.__doc__ or self.handler.__name__).strip().splitlines()[0]


@dataclass
class Routes:
    """The endpoints of one resource, under one OpenAPI tag."""

    tag: str
    endpoints: list[Endpoint] = field(default_factory=list)

    def route(self, method: str, path: str, *, roles: Iterable[str] | None, **options: Any) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            allowed = None if roles is None else frozenset(roles)
            self.endpoints.append(Endpoint(method, path, handler, self.tag, allowed, **options))
            return handler

        return register

    def get(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("GET", path, **options)

    def post(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("POST", path, **options)

    def patch(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("PATCH", path, **options)

    def put(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("PUT", path, **options)

    def delete(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.route("DELETE", path, **options)


def mount(app: web.Application, endpoints: Iterable[Endpoint]) -> None:
    for endpoint in endpoints:
        path = PATH_PARAM.sub(lambda match: f"{{{match[1]}:{endpoint.pattern(match[1])}}}", endpoint.path)
        app.router.add_route(endpoint.method, path, _adapter(endpoint))


def _adapter(endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        arguments: dict[str, Any] = {}
        if endpoint.roles is not None:
            principal = await request.app[AUTHENTICATE](request)
            if principal.role not in endpoint.roles:
                raise Forbidden("your role may not do this")
            arguments["principal"] = principal
        arguments.update({
            name: request.match_info[name] if name in endpoint.text_params else int(request.match_info[name])
            for name in endpoint.path_params
        })
        context = request.app[VALIDATION_CONTEXT]
        if endpoint.query is not None:
            arguments["query"] = parse_query(request, endpoint.query, context)
        if endpoint.body is not None:
            arguments["body"] = await parse_body(request, endpoint.body, context)
        result = await endpoint.handler(request, **arguments)
        if isinstance(result, web.StreamResponse):
            return result
        if result is None:
            return web.Response(status=204)
        return web.json_response(result.model_dump(mode="json"), status=endpoint.status)

    handle.__doc__ = endpoint.handler.__doc__
    return handle
