"""Stand-ins for running the simulator without a network: an event log and a fixed-answer FastAGI."""

from __future__ import annotations

import asyncio
from typing import Any

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


class StaticRouteAgi:
    """A FastAGI server that routes every call to one target, as the captures' fastagi_route.py did."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.requests: list[dict[str, str]] = []
        self._server: asyncio.Server | None = None

    async def start(self, host: str = "127.0.0.1") -> int:
        self._server = await asyncio.start_server(self._serve, host, 0)
        return self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        env: dict[str, Any] = {}
        while (line := (await reader.readline()).decode().rstrip("\n")):
            key, _, value = line.partition(": ")
            env[key] = value
        self.requests.append(env)
        for command in (f'SET VARIABLE ROUTE_TARGET "{self.target}"', 'SET VARIABLE ROUTE_DECIDED_BY "fastagi_route.py"'):
            writer.write(f"{command}\n".encode())
            await writer.drain()
            await reader.readline()
        writer.close()
