"""For running the simulator in tests: an event log instead of an AMI server, and a fixed-answer FastAGI."""

from __future__ import annotations

from collections.abc import Mapping

from pbx.agi.server import AgiRequest, FastAgiServer, set_variable_command, variable_commands
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


def one_set_variable_each(variables: Mapping[str, str]) -> list[str]:
    """How the reference FastAGI script behind the captures answered: one ``SET VARIABLE`` per variable."""
    return [set_variable_command(name, value) for name, value in variables.items()]


class StaticRouteAgi(FastAgiServer):
    """The project's FastAGI server giving every call the same answer, keeping each request's environment.

    ``answer`` is one target (``ROUTE_TARGET``, all the reference dialplan reads) or the whole set of
    channel variables, such as ``routing.channel_vars`` makes for the production dialplan. One target
    is sent as the reference script did (``one_set_variable_each``), so event flows compare with the
    captures command for command."""

    def __init__(self, answer: str | Mapping[str, str]) -> None:
        self.requests: list[dict[str, str]] = []
        variables = {"ROUTE_TARGET": answer} if isinstance(answer, str) else dict(answer)

        async def decide(request: AgiRequest) -> dict[str, str]:
            self.requests.append(dict(request.env))
            return variables

        super().__init__(decide, encode=one_set_variable_each if isinstance(answer, str) else variable_commands)
