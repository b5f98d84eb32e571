"""A call whose last Hangup never came (a damaged frame) is closed by the next channel listing that no
longer shows it, when it has had no event since the listing was asked for; it ends at its last event."""

from __future__ import annotations

from datetime import timedelta

from callcenter.bus import CALL_ENDED
from callcenter.clock import FakeClock
from pbx.tracker.model import Disposition
from pbx.tracker.tracker import CallTracker
from tests.support.captures import load_capture, replay

LINKEDID = "1795429734.12"


def without_the_last_hangups() -> list:
    """away-to-queue.ami, answered by 101, with its last two Hangups lost (and its CDRs, which would set
    the end otherwise)."""
    messages = [message for message in load_capture("away-to-queue.ami") if message.get("Event") != "Cdr"]
    hangups = [i for i, message in enumerate(messages) if message.get("Event") == "Hangup"]
    return [message for i, message in enumerate(messages) if i not in hangups[-2:]]


def test_a_call_that_lost_its_hangup_ends_at_its_last_event_when_a_listing_no_longer_shows_it():
    tracker, clock = CallTracker(), FakeClock()
    messages = without_the_last_hangups()
    published = replay(messages, tracker, clock, seconds_per_message=0.1)
    assert CALL_ENDED not in [event.name for event in published]
    assert tracker.expire(clock.now() + timedelta(hours=1)) == []  # open for good, without the listing
    last = max(i for i, message in enumerate(messages) if message.get("Linkedid") == LINKEDID)
    last_event = FakeClock().now() + timedelta(seconds=0.1 * last)

    [ended] = tracker.close_stale([], asked_at=clock.now() + timedelta(seconds=5))

    record = ended.payload
    assert (ended.name, record.linkedid, record.answered_by) == (CALL_ENDED, LINKEDID, "101")
    assert record.disposition is Disposition.ANSWERED
    assert record.ended_at == last_event
    assert tracker.live_calls() == []


def test_a_call_still_listed_or_heard_from_since_the_listing_was_asked_for_stays_open():
    tracker, clock = CallTracker(), FakeClock()
    replay(without_the_last_hangups(), tracker, clock)
    listed = [{"Event": "CoreShowChannel", "Linkedid": LINKEDID, "Uniqueid": "1795429734.13"}]
    assert tracker.close_stale(listed, asked_at=clock.now() + timedelta(seconds=5)) == []
    assert tracker.close_stale([], asked_at=clock.now()) == []  # its last event came as the listing was asked
    assert [record.linkedid for record in tracker.live_calls()] == [LINKEDID]
