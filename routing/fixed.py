"""The interim route: every call rings one configured target first.

The dialplan falls back to the queue when that target does not answer; rules
per client, group and number replace this in the routing feature."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

RouteDecision = dict[str, str]


def fixed_route(target: str) -> Callable[[Any], Awaitable[RouteDecision]]:
    async def decide(_request: Any) -> RouteDecision:
        return {"ROUTE_TARGET": target}

    return decide
