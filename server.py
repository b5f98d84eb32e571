"""The aiohttp application factory: HTTP routes over the running services.

Kept thin: handlers live beside the feature they serve and are mounted here.
For now it serves a liveness probe; the authenticated REST API and the web
app are mounted here as those features land.
"""

from __future__ import annotations

from aiohttp import web

from callcenter.app import Services

SERVICES = web.AppKey("services", Services)


async def health(request: web.Request) -> web.Response:
    """Liveness and PBX link state for probes; no call data, so no login."""
    services = request.app[SERVICES]
    return web.json_response({"status": "ok", "ami_connected": services.ami_connected})


def create_app(services: Services) -> web.Application:
    app = web.Application()
    app[SERVICES] = services
    app.router.add_get("/health", health)
    return app
