"""For running the simulator in tests: an event log instead of an AMI server, and a fixed-answer FastAGI."""

from __future__ import annotations

from pbx.agi.server import AgiRequest, FastAgiServer
from pbx.simulator.simulator import ActionHandler


class EventLog:
    """An ``AmiPort`` that keeps every event and handler, for tests and offline runs."""

    def __init__(self) -> None:
        self.events: list[dict[str, str]] = []
        self.actions: dict[str, ActionHandler] = {}

    def register_action(self, name: str, handler: ActionHandler) -> None:
        self.actions[name] = handler

    def emit(self, event: dict[str, str]) -> None:
        self.events.append(event)

    async def action(self, name: str, **headers: str) -> list[dict[str, str]]:
        return await self.actions[name](None, {"Action": name, **headers})


class StaticRouteAgi(FastAgiServer):
    """The project's FastAGI server answering every call with one target, keeping each request's environment."""

    def __init__(self, target: str) -> None:
        self.requests: list[dict[str, str]] = []

        async def decide(request: AgiRequest) -> dict[str, str]:
            self.requests.append(dict(request.env))
            return {"ROUTE_TARGET": target}

        super().__init__(decide)
