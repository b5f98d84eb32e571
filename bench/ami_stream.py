"""A synthetic AMI stream built from the real Asterisk captures.

The five recorded call flows are repeated, each copy with its own uniqueids
and linkedids, until the stream holds at least the requested number of
messages. The bytes are exactly Asterisk's framing, Cyrillic included.
"""

from __future__ import annotations

import re
from pathlib import Path

TERMINATOR = b"\r\n\r\n"
UNIQUEID = re.compile(rb"\b(\d{10})\.(\d+)\b")


def call_messages(capture: bytes) -> list[bytes]:
    """The capture's messages between login and logoff (banner and responses dropped)."""
    messages = capture.split(TERMINATOR)
    return [m + TERMINATOR for m in messages if m.startswith(b"Event: ") and b"Event: FullyBooted" not in m
            and b"Event: SuccessfulAuth" not in m]


def synthetic_stream(captures_dir: Path, min_messages: int) -> tuple[bytes, int]:
    """Return the stream and the number of messages in it."""
    flows = [call_messages(path.read_bytes()) for path in sorted(captures_dir.glob("*.ami"))]
    parts: list[bytes] = [b"Asterisk Call Manager/11.0.0\r\n"]
    count = 0
    copy = 0
    while count < min_messages:
        copy += 1
        for flow in flows:
            shifted = UNIQUEID.sub(lambda m: b"%d.%s" % (int(m.group(1)) + copy * 1000, m.group(2)), b"".join(flow))
            parts.append(shifted)
            count += len(flow)
    return b"".join(parts), count
