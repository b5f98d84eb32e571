"""The API application: error middleware, the features' endpoints, the OpenAPI document.

It is mounted by ``server.create_app`` under ``/api``; handlers reach the
services they need through ``ApiContext`` (``context(request)``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import async_sessionmaker

from api.errors import error_middleware
from api.openapi import document
from api.registry import AUTHENTICATE, VALIDATION_CONTEXT, Authenticate, Endpoint, Routes, mount
from callcenter.bus import EventBus
from callcenter.clock import Clock
from callcenter.config import Settings
from crm.click_to_call import ClickToCall
from qa.service import QaService
from transcription.service import TranscriptionService
from webhooks.service import WebhookService

PREFIX = "/api"
TITLE = "callcenter"
VERSION = "0.1.0"


@dataclass(frozen=True)
class ApiContext:
    """What the handlers may use: the database, the settings, the bus for domain
    events, the clock, Redis (live events), and the services that act on the PBX
    (click-to-call) or the outside (webhooks)."""

    sessions: async_sessionmaker
    settings: Settings
    bus: EventBus
    clock: Clock
    redis: Redis
    click_to_call: ClickToCall
    webhooks: WebhookService
    transcription: TranscriptionService
    qa: QaService


CONTEXT = web.AppKey("api_context", ApiContext)
OPENAPI = web.AppKey("openapi", dict)

openapi_routes = Routes("meta")


@openapi_routes.get("/openapi.json", roles=None)
async def openapi_document(request: web.Request) -> web.Response:
    """The OpenAPI 3.1 document of this API."""
    return web.json_response(request.app[OPENAPI])


def create_api(
    context: ApiContext, resources: Iterable[Routes], authenticate: Authenticate, security_schemes: dict[str, Any]
) -> web.Application:
    """The API sub-application with every resource's endpoints and the OpenAPI document."""
    api = web.Application(middlewares=[error_middleware])
    endpoints: list[Endpoint] = [e for routes in (*resources, openapi_routes) for e in routes.endpoints]
    api[CONTEXT] = context
    api[AUTHENTICATE] = authenticate
    api[VALIDATION_CONTEXT] = {"region": context.settings.phone_region}
    api[OPENAPI] = document(endpoints, title=TITLE, version=VERSION, prefix=PREFIX, security_schemes=security_schemes)
    mount(api, endpoints)
    return api


def context(request: web.Request) -> ApiContext:
    return request.app[CONTEXT]
