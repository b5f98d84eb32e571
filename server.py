"""The aiohttp application factory: HTTP routes over the running services.

Kept thin: handlers live beside the feature they serve and are mounted here:
a liveness probe, the authenticated REST API under ``/api`` (its resources
are listed in ``API_RESOURCES``; the plumbing is ``api/``), and the web app
at ``/`` (``web/``), which reads everything through that API.
"""

from __future__ import annotations

import logging

from aiohttp import web
from redis.exceptions import RedisError

from accounts.http import auth, users
from api.app import PREFIX, ApiContext, create_api
from callcenter.app import Services
from callcenter.metrics import metrics_response
from crm.http import calls, clients, groups, leads, managers, notifications, tasks
from live import http as live
from qa import http as qa_http
from reports import http as reports_http
from routing import http as routing_http
from training import http as training_http
from transcription import http as transcription_http
from web import http as web_app
from webhooks import http as webhooks

log = logging.getLogger(__name__)
SERVICES = web.AppKey("services", Services)
API_RESOURCES = tuple(
    module.routes
    for module in (
        auth, users, calls, transcription_http, qa_http, clients, leads, tasks, notifications, managers, groups, routing_http,
        webhooks, live, reports_http, training_http,
    )
)


async def health(request: web.Request) -> web.Response:
    """Liveness and PBX link state for probes; no call data, so no login."""
    services = request.app[SERVICES]
    return web.json_response({"status": "ok", "ami_connected": services.ami_connected, "leader": services.ami_leader})


async def metrics(request: web.Request) -> web.Response:
    """Prometheus metrics, for loopback peers or the configured bearer token."""
    services = request.app[SERVICES]
    try:
        services.metrics.transcription.set_queue(await services.transcription.queue.stats())
        services.metrics.qa.set_queue(await services.qa.queue.stats())
    except RedisError:
        log.warning("reading the job queues for /metrics failed", exc_info=True)
    return metrics_response(request, services.metrics, services.settings.metrics_token)


def mount_api(app: web.Application, context: ApiContext) -> None:
    """Serve the REST API under ``/api``."""
    live.install(app)
    app.add_subapp(PREFIX, create_api(context, API_RESOURCES, auth.authenticate, auth.SECURITY_SCHEMES))


def create_app(services: Services) -> web.Application:
    app = web.Application()
    app[SERVICES] = services
    app.router.add_get("/health", health)
    app.router.add_get("/metrics", metrics)
    web_app.install(app)
    mount_api(
        app,
        ApiContext(
            services.sessions, services.settings, services.bus, services.clock, services.redis,
            services.click_to_call, services.webhooks, services.transcription, services.qa,
        ),
    )
    return app
