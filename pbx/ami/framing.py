"""Byte-safe AMI framing.

AMI messages are blocks of ``Key: Value`` lines ended by an empty line
(``\\r\\n\\r\\n``). TCP delivers them split at arbitrary byte boundaries, even
inside a multi-byte UTF-8 character, so bytes are buffered and a message is
decoded only once its terminator has arrived. panoramisk decodes every chunk on
its own (with ``errors='ignore'``), which silently drops split Cyrillic
characters; this decoder replaces that path.

Bad input never raises: an oversized message, a block with no ``Event`` or
``Response`` header, or undecodable bytes is counted, logged and skipped (or,
for bad bytes, decoded with replacement characters), and framing resumes at the
next terminator.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from panoramisk.message import Message

log = logging.getLogger(__name__)

TERMINATOR = b"\r\n\r\n"
EOL = "\r\n"
BANNER_PREFIX = b"Asterisk Call Manager/"
MAX_MESSAGE_BYTES = 64 * 1024
HEADER_LINE = re.compile(r"^([^:\r\n ]+):[ ]?([^\r\n]*)", re.MULTILINE)


def header(headers: Mapping[str, str], name: str, default: str = "") -> str:
    """A header's value looked up case-insensitively, as Asterisk does; ``default`` if absent."""
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), default)


class AmiMessage(dict, Message):
    """One AMI message: its headers exactly as Asterisk sent them.

    It is a plain ``dict`` (exact-case ``[]`` and ``get`` at C speed, which
    the tracker relies on) and also a panoramisk ``Message``: ``in``,
    attribute access (``message.actionid``) and the ``id``/``action_id``/
    ``success`` properties fold case as panoramisk does, so panoramisk's
    action machinery works on it. A repeated header's values form a list.
    """

    content = ""
    manager = None

    def __init__(self, headers=(), content: str = "") -> None:
        dict.__init__(self, headers)
        if content:
            self.content = content

    def header(self, name: str, default: str = "") -> str:
        """The header's value whatever the case of ``name``."""
        if dict.__contains__(self, name):
            return self[name]
        return header(self, name, default)

    def __contains__(self, name: object) -> bool:
        return dict.__contains__(self, name) or (
            isinstance(name, str) and any(key.lower() == name.lower() for key in self)
        )

    def __getattr__(self, name: str) -> str:
        if name.startswith("__"):
            raise AttributeError(name)
        return self.header(name)

    @property
    def id(self) -> str | None:
        return self.header("CommandID") or self.header("ActionID") or None

    @property
    def action_id(self) -> str | None:
        return self.header("ActionID") or None

    def __repr__(self) -> str:
        return f"<AmiMessage {dict.__repr__(self)}>"


@dataclass
class FramingStats:
    """What the decoder has seen; exported for logs and metrics."""

    messages: int = 0
    oversized: int = 0
    malformed: int = 0
    undecodable: int = 0
    problems: list[str] = field(default_factory=list)

    def problem(self, kind: str, detail: str) -> None:
        setattr(self, kind, getattr(self, kind) + 1)
        log.warning("AMI framing: %s: %s", kind, detail)
        self.problems.append(kind)
        del self.problems[:-100]


class AmiFrameDecoder:
    """Turns a byte stream into complete AMI messages, in order."""

    def __init__(self, max_message_bytes: int = MAX_MESSAGE_BYTES) -> None:
        self.max_message_bytes = max_message_bytes
        self.version: str | None = None
        self.stats = FramingStats()
        self._buffer = bytearray()
        self._skipping = False  # inside an oversized message: drop until its end
        self._expect_banner = True

    def reset(self) -> None:
        """Forget partial data, e.g. after a reconnect; the next bytes start a session."""
        self._buffer.clear()
        self._skipping = False
        self._expect_banner = True
        self.version = None

    def feed(self, data: bytes) -> list[AmiMessage]:
        """Add received bytes; return every message they complete."""
        buffer = self._buffer
        buffer += data
        if self._expect_banner and not self._take_banner():
            return []
        messages: list[AmiMessage] = []
        start = 0
        while True:
            end = buffer.find(TERMINATOR, start)
            if end < 0:
                break
            if self._skipping:
                self._skipping = False
            elif end - start > self.max_message_bytes:
                self.stats.problem("oversized", f"{end - start} bytes")
            else:
                message = self._parse(bytes(buffer[start:end]))
                if message is not None:
                    messages.append(message)
            start = end + len(TERMINATOR)
        del buffer[:start]
        if len(buffer) > self.max_message_bytes:
            if not self._skipping:
                self.stats.problem("oversized", f"over {self.max_message_bytes} bytes without an end")
            self._skipping = True
            # keep the last bytes: they may hold the start of the terminator
            del buffer[: len(buffer) - len(TERMINATOR) + 1]
        return messages

    def _take_banner(self) -> bool:
        """Consume the one-line greeting, if the stream starts with one."""
        buffer = self._buffer
        prefix_len = min(len(buffer), len(BANNER_PREFIX))
        if buffer[:prefix_len] != BANNER_PREFIX[:prefix_len]:
            self._expect_banner = False
            return True
        eol = buffer.find(b"\r\n")
        if eol < 0:
            # not a banner after all if it never ends; frame it as ordinary data
            self._expect_banner = len(buffer) <= self.max_message_bytes
            return not self._expect_banner
        self.version = buffer[len(BANNER_PREFIX) : eol].decode("ascii", "replace").strip()
        del buffer[: eol + 2]
        self._expect_banner = False
        return True

    def _parse(self, raw: bytes) -> AmiMessage | None:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            self.stats.problem("undecodable", repr(raw[:80]))
            text = raw.decode("utf-8", "replace")
        headers = parse_headers(text)
        if "Event" not in headers and "Response" not in headers:
            if text.strip():
                self.stats.problem("malformed", repr(text[:80]))
            return None
        self.stats.messages += 1
        return AmiMessage(headers)


def parse_headers(text: str) -> dict[str, str | list[str]]:
    """``Key: Value`` lines to a dict; a repeated key collects its values in a list."""
    pairs = HEADER_LINE.findall(text)
    headers: dict[str, str | list[str]] = dict(pairs)
    if len(headers) == len(pairs):
        return headers
    headers = {}
    for key, value in pairs:
        previous = headers.get(key)
        if previous is None:
            headers[key] = value
        elif isinstance(previous, list):
            previous.append(value)
        else:
            headers[key] = [previous, value]
    return headers
