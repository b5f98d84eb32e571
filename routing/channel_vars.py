"""A ``RoutePlan`` as the channel variables the FastAGI answer sets.

Backwards compatible with the reference dialplan, which only reads
``ROUTE_TARGET`` (empty: straight to the queue). The contract:

- ``ROUTE_TARGET``: the first attempt's extensions joined with ``&`` (one
  extension for a single target; empty when there is no attempt)
- ``ROUTE_TIMEOUT``: the first attempt's ring seconds (empty with no attempt)
- ``ROUTE_TARGETS_<n>``/``ROUTE_TIMEOUT_<n>``: attempt n = 2, 3, ... likewise
- ``ROUTE_ATTEMPTS``: how many attempts there are
- ``ROUTE_QUEUE`` or ``ROUTE_VOICEMAIL``: where the call ends up (exactly one is set)
- ``ROUTE_OWNER``: the responsible manager's extension, empty for a new caller
- ``ROUTE_NEW_CALLER``: ``1``/``0``; empty when undetermined (fallback plan)
- ``ROUTE_SOURCE``: the DID's marketing source, empty if none
- ``ROUTE_REASON``: the reasons joined with ``; `` and cut to ``MAX_REASON_LENGTH``

Every value is stripped of control characters and of characters that mean
something to Asterisk's application argument parser (``,``, ``&``, ``|``,
``(``, ``)``, ``$``, ``{``, ``}``, ``@``, quotes, backslashes) in extensions and
queue names (a mailbox keeps ``@`` for ``mailbox@context``); the free text
in ``ROUTE_REASON``/``ROUTE_SOURCE`` keeps letters, digits, spaces and plain
punctuation only, so FastAgiServer can set them all with one ``EXEC MSet``
(it falls back to escaped ``SET VARIABLE`` for anything else).
"""

from __future__ import annotations

import re

from routing.model import DestinationKind, RoutePlan

MAX_REASON_LENGTH = 200
MAX_TEXT_LENGTH = 80
TARGET_SEPARATOR = "&"

# an extension or a queue/mailbox name: what Dial()/Queue()/VoiceMail() take safely
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.+\-*#]")
_UNSAFE_MAILBOX = re.compile(r"[^A-Za-z0-9_.+\-*#@]")  # mailbox@context
# free text: no control characters, nor ${...}, commas, quotes, backslashes or parentheses
_UNSAFE_TEXT = re.compile(r"[\x00-\x1f\x7f\"'\\$,{}()\[\]|`]")


def plan_variables(plan: RoutePlan) -> dict[str, str]:
    """The channel variables for ``plan``, in the order they are set."""
    attempts = [
        (TARGET_SEPARATOR.join(t for t in map(_name, attempt.targets) if t), str(int(attempt.ring_seconds)))
        for attempt in plan.attempts
    ]
    attempts = [(targets, seconds) for targets, seconds in attempts if targets]
    first_targets, first_timeout = attempts[0] if attempts else ("", "")
    variables = {"ROUTE_TARGET": first_targets, "ROUTE_TIMEOUT": first_timeout}
    for number, (targets, seconds) in enumerate(attempts[1:], start=2):
        variables[f"ROUTE_TARGETS_{number}"] = targets
        variables[f"ROUTE_TIMEOUT_{number}"] = seconds
    variables["ROUTE_ATTEMPTS"] = str(len(attempts))
    if plan.destination.kind is DestinationKind.VOICEMAIL:
        variables["ROUTE_VOICEMAIL"] = _UNSAFE_MAILBOX.sub("", plan.destination.name)[:MAX_TEXT_LENGTH]
    else:
        variables["ROUTE_QUEUE"] = _name(plan.destination.name)
    variables["ROUTE_OWNER"] = _name(plan.owner or "")
    variables["ROUTE_NEW_CALLER"] = "" if plan.is_new_caller is None else ("1" if plan.is_new_caller else "0")
    variables["ROUTE_SOURCE"] = _text(plan.source or "", MAX_TEXT_LENGTH)
    variables["ROUTE_REASON"] = _text("; ".join(plan.reasons), MAX_REASON_LENGTH)
    return variables


def _name(value: str) -> str:
    return _UNSAFE_NAME.sub("", value)[:MAX_TEXT_LENGTH]


def _text(value: str, limit: int) -> str:
    text = " ".join(_UNSAFE_TEXT.sub(" ", value).split())
    if len(text) <= limit:
        return text
    return text[: limit - 3].rstrip() + "..."
