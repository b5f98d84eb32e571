"""The real Asterisk captures as AMI messages, and replaying them through a tracker."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from panoramisk.message import Message

from callcenter.bus import DomainEvent
from callcenter.clock import FakeClock
from pbx.ami.framing import AmiFrameDecoder
from pbx.tracker.tracker import CallTracker
from tests.support.data import CAPTURES


def load_capture(name: str) -> list[Message]:
    """Every message of ``CAPTURES/name``, framed exactly as the connector frames them."""
    return AmiFrameDecoder().feed((CAPTURES / name).read_bytes())


def replay(
    messages: Iterable[Mapping[str, str]],
    tracker: CallTracker | None = None,
    clock: FakeClock | None = None,
    seconds_per_message: float = 0.0,
) -> list[DomainEvent]:
    """Feed ``messages`` to ``tracker`` in order at the clock's time; return what it published.

    The clock moves ``seconds_per_message`` after each message, so replays can
    make arrival times differ from the PBX's own accounting.
    """
    tracker = tracker or CallTracker()
    clock = clock or FakeClock()
    published: list[DomainEvent] = []
    for message in messages:
        published += tracker.handle(message, clock.now())
        clock.advance(seconds_per_message)
    return published
