"""Drawing a training sample from scored calls. Pure: the caller reads the candidates.

A candidate is an answered call with its latest score. ``Criteria`` keeps the
ones that fit; ``at_random`` draws N of those (a seed makes the draw
repeatable), ``best_and_worst`` takes each manager's N highest and N lowest
scores (a manager with fewer than 2N calls gives each call once: best first).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Pick(StrEnum):
    RANDOM = "random"
    BEST = "best"
    WORST = "worst"


@dataclass(frozen=True)
class Candidate:
    call_id: int
    manager_id: int
    direction: str
    talk_seconds: float
    score: float  # 0-100
    missed: frozenset[str]  # the script items the call missed


@dataclass(frozen=True)
class Criteria:
    managers: frozenset[int] = frozenset()  # empty: every manager
    score_min: float = 0.0
    score_max: float = 100.0
    missed_any: frozenset[str] = frozenset()  # the call missed at least one of these items
    min_seconds: float | None = None  # talk time
    max_seconds: float | None = None
    direction: str | None = None

    def fits(self, call: Candidate) -> bool:
        return (
            (not self.managers or call.manager_id in self.managers)
            and self.score_min <= call.score <= self.score_max
            and (not self.missed_any or bool(self.missed_any & call.missed))
            and (self.min_seconds is None or call.talk_seconds >= self.min_seconds)
            and (self.max_seconds is None or call.talk_seconds <= self.max_seconds)
            and (self.direction is None or call.direction == self.direction)
        )


@dataclass(frozen=True)
class Drawn:
    call: Candidate
    pick: Pick


def at_random(calls: Sequence[Candidate], size: int, seed: int | None = None) -> list[Drawn]:
    """``size`` calls at random (all of them if fewer), in the order drawn."""
    chosen = random.Random(seed).sample(list(calls), min(size, len(calls)))
    return [Drawn(call, Pick.RANDOM) for call in chosen]


def best_and_worst(calls: Iterable[Candidate], size: int) -> list[Drawn]:
    """Each manager's ``size`` best and ``size`` worst calls by score (ties: the earlier call id first),
    managers in id order, each manager's best from the top down, then worst from the bottom up."""
    by_manager: dict[int, list[Candidate]] = defaultdict(list)
    for call in calls:
        by_manager[call.manager_id].append(call)
    drawn: list[Drawn] = []
    for manager_id in sorted(by_manager):
        ranked = sorted(by_manager[manager_id], key=lambda call: (-call.score, call.call_id))
        best = ranked[:size]
        worst = ranked[len(best):][::-1][:size]
        drawn += [Drawn(call, Pick.BEST) for call in best] + [Drawn(call, Pick.WORST) for call in worst]
    return drawn
