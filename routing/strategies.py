"""How a group rings its available managers, by the group step's strategy.

Ties are broken by extension. Round-robin keeps no hidden state: it takes
the extension served last and reports the new one for the caller to store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone

from routing.model import CallStats, GroupStep, RingAttempt, Strategy

NEVER = datetime.min.replace(tzinfo=timezone.utc)


def extension_key(extension: str) -> tuple[int, str]:
    """Sort key that puts numeric extensions in numeric order ("99" before "101")."""
    return (len(extension), extension)


def round_robin(extensions: Iterable[str], last_served: str | None) -> list[str]:
    """Extension order, starting after ``last_served`` (who may have left the group) and wrapping around."""
    ordered = sorted(extensions, key=extension_key)
    if last_served is None:
        return ordered
    after = [extension for extension in ordered if extension_key(extension) > extension_key(last_served)]
    return after + ordered[: len(ordered) - len(after)]


def least_recent(extensions: Iterable[str], last_call_ended: Mapping[str, datetime]) -> list[str]:
    """Whoever has waited longest since their last call first; never called counts as longest."""
    return sorted(extensions, key=lambda extension: (last_call_ended.get(extension, NEVER), extension_key(extension)))


def fewest_calls(extensions: Iterable[str], calls_today: Mapping[str, int]) -> list[str]:
    return sorted(extensions, key=lambda extension: (calls_today.get(extension, 0), extension_key(extension)))


def ring_group(
    step: GroupStep, available: Iterable[str], stats: CallStats, last_served: str | None
) -> tuple[list[RingAttempt], str | None]:
    """The group's ring attempts and its round-robin position afterwards.

    ``ring_all`` is one attempt with every target; the other strategies ring
    one manager per attempt. The position only moves for round-robin, to the
    manager it rings first."""
    match step.strategy:
        case Strategy.RING_ALL:
            ordered = sorted(available, key=extension_key)
            return ([RingAttempt(tuple(ordered), step.ring_seconds)] if ordered else []), last_served
        case Strategy.ROUND_ROBIN:
            ordered = round_robin(available, last_served)
            last_served = ordered[0] if ordered else last_served
        case Strategy.LEAST_RECENT:
            ordered = least_recent(available, stats.last_call_ended)
        case Strategy.FEWEST_CALLS:
            ordered = fewest_calls(available, stats.calls_today)
    return [RingAttempt((extension,), step.ring_seconds) for extension in ordered], last_served
