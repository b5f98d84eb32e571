"""The Redis pub/sub channels of live events.

Every event goes to the team channel (the head of sales sees everything);
events about one manager also go to that manager's channel. A message is the
JSON ``{"event": name, "data": payload}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from accounts.access import Scope


@dataclass(frozen=True)
class Channels:
    prefix: str = "live"

    @property
    def team(self) -> str:
        return f"{self.prefix}:team"

    def manager(self, manager_id: int) -> str:
        return f"{self.prefix}:manager:{manager_id}"

    def of_scope(self, scope: Scope) -> str | None:
        """The channel a reader with ``scope`` listens to; None for a login linked to no manager."""
        if scope.everyone:
            return self.team
        return None if scope.manager_id is None else self.manager(scope.manager_id)

    def of_event(self, manager_ids: Iterable[int | None]) -> list[str]:
        """Where an event about these managers goes: the team, and each of them (None: nobody in particular)."""
        return [self.team, *(self.manager(manager_id) for manager_id in sorted(set(manager_ids) - {None}))]


def message(event: str, data: Any) -> str:
    return json.dumps({"event": event, "data": data}, ensure_ascii=False, separators=(",", ":"))
