"""A queue member's pause, read from the AMI events that carry it.

``QueuePause`` (a phone's pause key, a supervisor, the API) makes Asterisk
send ``QueueMemberPause``; every ``QueueMemberStatus`` and
``QueueMemberAdded`` repeats the member's ``Paused`` flag too, so the state
corrects itself whenever a member's device changes. The member's
``StateInterface`` (else ``Interface``) names the manager: ``Local/101@agents``
or ``PJSIP/101`` is extension ``101``. A manager in several queues is paused
as the latest of these events says.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pbx.tracker.channels import parse_channel

PAUSE_EVENTS = frozenset({"QueueMemberPause", "QueueMemberStatus", "QueueMemberAdded"})


@dataclass(frozen=True)
class MemberPause:
    extension: str
    paused: bool
    reason: str = ""


def member_pause(message: Mapping[str, str]) -> MemberPause | None:
    """The pause state an AMI event reports, or None when it reports none."""
    if message.get("Event") not in PAUSE_EVENTS or "Paused" not in message:
        return None
    member = parse_channel(message.get("StateInterface") or message.get("Interface") or "")
    if member is None:
        return None
    return MemberPause(member.resource, message["Paused"].strip() == "1", message.get("PausedReason", "").strip())
