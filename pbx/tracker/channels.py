"""Who a channel or queue interface belongs to, read from its name.

``Local/101@sim-agent-00000001;1`` is extension ``101`` in context
``sim-agent``; ``PJSIP/101-0000002a`` is endpoint ``101``; a queue member
interface such as ``Local/101@sim-agent`` or ``PJSIP/101`` names the same
without the per-channel suffix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAME = re.compile(
    r"^(?P<tech>[^/]+)/(?P<resource>[^@;/]+?)(?:@(?P<context>[^;/]+?))?"
    r"(?:-[0-9a-fA-F]{8})?(?:;\d)?(?:/.*)?$"  # channel suffix, Local half, member flags such as /n
)


@dataclass(frozen=True)
class ChannelName:
    tech: str  # "Local", "PJSIP", ...
    resource: str  # extension or endpoint: "101", "fallback", "trunk"
    context: str | None  # only Local channels name one


def dialled_resource(dial_string: str) -> str:
    """What a Dial asked for: ``89123456789@trunk``, ``trunk/89123456789``, ``trunk/sip:89123456789@host``."""
    return dial_string.rsplit("/", 1)[-1].split("@", 1)[0].removeprefix("sip:")


def parse_channel(name: str) -> ChannelName | None:
    """Split a channel or interface name; ``None`` when it is not one."""
    match = _NAME.match(name)
    if match is None:
        return None
    return ChannelName(match["tech"], match["resource"], match["context"])
