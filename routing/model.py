"""What a routing decision is made from and what it produces: plain values.

The wiring fills these from the database, Redis and the FastAGI request;
``routing.decide`` turns them into a ``RoutePlan`` without any I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

DEFAULT_RING_SECONDS = 20

WorkingHours = Mapping[str, Sequence[Sequence[str]]]
"""Weekday ("mon".."sun") -> intervals such as ``[["09:00", "18:00"]]``.

An interval that ends at or before its start runs past midnight; no weekdays
at all means working around the clock."""

RoundRobinState = Mapping[str, str]
"""Group name -> the extension its round-robin served last."""


@dataclass(frozen=True)
class ManagerState:
    """A manager as routing sees them right now: schedule and availability."""

    extension: str
    name: str = ""
    groups: tuple[str, ...] = ()  # in order of preference for the owner's chain
    timezone: str = "Europe/Moscow"
    working_hours: WorkingHours = field(default_factory=dict)
    holidays: frozenset[str] = frozenset()  # ISO dates in the manager's time zone
    do_not_disturb: bool = False
    paused: bool = False
    absent: bool = False
    on_call: bool = False


class Strategy(StrEnum):
    ROUND_ROBIN = "round_robin"
    LEAST_RECENT = "least_recent"  # the manager whose last call ended longest ago first
    FEWEST_CALLS = "fewest_calls"  # the manager with the fewest calls today first
    RING_ALL = "ring_all"  # everyone at once


HISTORY_STRATEGIES = frozenset({Strategy.LEAST_RECENT, Strategy.FEWEST_CALLS})  # those that need ``CallStats``


@dataclass(frozen=True)
class OwnerStep:
    """Ring the caller's responsible manager."""

    ring_seconds: int = DEFAULT_RING_SECONDS


@dataclass(frozen=True)
class GroupStep:
    """Ring a group's available managers in the order its strategy gives."""

    group: str
    strategy: Strategy = Strategy.ROUND_ROBIN
    ring_seconds: int = DEFAULT_RING_SECONDS  # per manager; per attempt for ring_all


@dataclass(frozen=True)
class ExtensionStep:
    """Ring one fixed extension."""

    extension: str
    ring_seconds: int = DEFAULT_RING_SECONDS


Step = OwnerStep | GroupStep | ExtensionStep


@dataclass(frozen=True)
class FallbackChain:
    """Whom to ring in turn, then where the call ends up, per DID or per group.

    The queue and the voicemail are the chain's ends rather than steps, so no
    step can follow them."""

    steps: tuple[Step, ...] = ()
    queue: str | None = None  # None: the default queue
    voicemail: str | None = None  # mailbox for calls when nobody works; None: the queue


@dataclass(frozen=True)
class DidRule:
    """What a dialled number (DID) means: its chain, its marketing source and IVR menu."""

    chain: FallbackChain
    source: str | None = None  # e.g. "Avito", "сайт"
    ivr: Mapping[str, FallbackChain] = field(default_factory=dict)  # IVR digit -> chain


@dataclass(frozen=True)
class CallStats:
    """Recent history the load-balancing strategies need, by extension."""

    last_call_ended: Mapping[str, datetime] = field(default_factory=dict)
    calls_today: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class IncomingCall:
    caller: str | None  # E.164, None when withheld
    did: str
    at: datetime  # timezone-aware
    ivr_choice: str | None = None


@dataclass(frozen=True)
class RingAttempt:
    """Extensions rung together, and for how long."""

    targets: tuple[str, ...]
    ring_seconds: int


class DestinationKind(StrEnum):
    QUEUE = "queue"
    VOICEMAIL = "voicemail"


@dataclass(frozen=True)
class Destination:
    """Where the call goes when no ring attempt is answered."""

    kind: DestinationKind
    name: str  # the queue's name or the mailbox


@dataclass(frozen=True)
class RoutePlan:
    """The decision: ring attempts in order, then the destination."""

    attempts: tuple[RingAttempt, ...]
    destination: Destination
    owner: str | None = None  # the responsible manager's extension for a known caller
    is_new_caller: bool | None = None  # None when undetermined (fallback plan)
    source: str | None = None
    reasons: tuple[str, ...] = ()  # why each manager or step was skipped
    round_robin: RoundRobinState = field(default_factory=dict)  # positions to store back
