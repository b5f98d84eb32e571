"""Asterisk's own list of its live channels: the ``CoreShowChannel`` rows of ``CoreShowChannels``.

Each row is a channel snapshot (``Channel``, ``ChannelState``, ``CallerIDNum``/``Name``, ``Context``,
``Exten``, ``Uniqueid``, ``Linkedid``...) plus ``Application``, ``ApplicationData``, ``BridgeId`` and
``Duration``, the time since the channel was created as ``HH:MM:SS`` (hours may pass 99).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

UP_STATE = "6"


@dataclass(frozen=True)
class ListedChannel:
    """One live channel as the listing shows it."""

    uniqueid: str
    linkedid: str
    name: str
    context: str
    up: bool
    application: str
    app_data: str
    bridge: str  # "" when not in a bridge
    created_at: datetime  # now - Duration: to the second, never later than the truth by more than one
    row: Mapping[str, str]  # the whole row, for the fields events share with it (Exten, CallerID*)

    @classmethod
    def from_row(cls, row: Mapping[str, str], now: datetime) -> ListedChannel | None:
        uniqueid, linkedid = row.get("Uniqueid", ""), row.get("Linkedid", "")
        if not uniqueid or not linkedid:
            return None
        return cls(
            uniqueid=uniqueid, linkedid=linkedid, name=row.get("Channel", ""), context=row.get("Context", ""),
            up=row.get("ChannelState") == UP_STATE, application=row.get("Application", ""),
            app_data=row.get("ApplicationData", ""), bridge=row.get("BridgeId", ""),
            created_at=now - parse_duration(row.get("Duration", "")), row=row,
        )

    @property
    def first_argument(self) -> str:
        """The application's first argument: the queue of ``Queue``, the mailbox of ``VoiceMail``, the
        first target of ``Dial``."""
        return self.app_data.split(",", 1)[0].split("&", 1)[0]


def parse_duration(text: str) -> timedelta:
    """``HH:MM:SS`` as a time span; zero when it is missing or malformed."""
    try:
        hours, minutes, seconds = (int(part) for part in text.split(":"))
    except ValueError:
        return timedelta(0)
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


def read_listing(rows: Iterable[Mapping[str, str]], now: datetime) -> dict[str, list[ListedChannel]]:
    """The rows by ``Linkedid``, each call's channels in the order Asterisk created them."""
    calls: dict[str, list[ListedChannel]] = {}
    for row in rows:
        channel = ListedChannel.from_row(row, now)
        if channel is not None:
            calls.setdefault(channel.linkedid, []).append(channel)
    for channels in calls.values():
        channels.sort(key=_creation_order)
    return calls


def _creation_order(channel: ListedChannel) -> tuple[int, datetime]:
    """Asterisk's Uniqueid ends in a counter of the channels it created (``1795429694.3``): exact where
    Duration, to the second, is not."""
    counter = channel.uniqueid.rpartition(".")[2]
    return (int(counter) if counter.isdigit() else -1), channel.created_at
