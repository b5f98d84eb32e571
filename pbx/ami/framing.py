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
next terminator. Two messages run together (a lost terminator) are split again
at the second ``Event:`` line (or ``Response:``, in a block that starts with
one), and a header repeated in one message keeps its first value, except the
ones Asterisk itself repeats (a channel's ``ChanVariable`` lines, whatever
their prefix, ``Variable``, a command's ``Output``): those keep every value, in
a list. So an ``ActionID``, a ``Uniqueid`` or a ``Paused`` flag is always one
string.
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
MESSAGE_START = re.compile(r"^(?:Event|Response):", re.MULTILINE)
REPEATED_BY_ASTERISK = ("ChanVariable", "Variable", "Output")  # header names (or their endings) with several values


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
    merged: int = 0
    repeated: int = 0
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
                messages += self._parse(bytes(buffer[start:end]))
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

    def _parse(self, raw: bytes) -> list[AmiMessage]:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            self.stats.problem("undecodable", repr(raw[:80]))
            text = raw.decode("utf-8", "replace")
        parts = split_merged(text)
        if len(parts) > 1:
            self.stats.problem("merged", f"{len(parts)} messages in one: {text[:80]!r}")
        messages = []
        for part in parts:
            headers, repeated = parse_headers(part, REPEATED_BY_ASTERISK)
            if repeated:
                self.stats.problem("repeated", f"{', '.join(repeated)} kept its first value in {part[:80]!r}")
            if "Event" not in headers and "Response" not in headers:
                if part.strip():
                    self.stats.problem("malformed", repr(part[:80]))
                continue
            self.stats.messages += 1
            messages.append(AmiMessage(headers))
        return messages


def split_merged(text: str) -> list[str]:
    """A block split before every ``Event:`` line but its first line, and before every ``Response:`` line
    when it starts with one (an ``OriginateResponse`` event carries a ``Response`` header of its own)."""
    starts = [match.start() for match in MESSAGE_START.finditer(text) if match.start() > 0]
    if not text.startswith("Response:"):
        starts = [start for start in starts if text.startswith("Event:", start)]
    if not starts:
        return [text]
    return [text[begin:end] for begin, end in zip([0, *starts], [*starts, len(text)])]


def parse_headers(
    text: str, multi_valued: tuple[str, ...] | None = None
) -> tuple[dict[str, str | list[str]], list[str]]:
    """``Key: Value`` lines to a dict, and the names that were repeated against the rules. A repeated key
    collects its values in a list when ``multi_valued`` is None or its name ends with one of them; any
    other keeps its first value."""
    pairs = HEADER_LINE.findall(text)
    headers: dict[str, str | list[str]] = dict(pairs)
    if len(headers) == len(pairs):
        return headers, []
    headers, refused = {}, []
    for key, value in pairs:
        previous = headers.get(key)
        if previous is None:
            headers[key] = value
        elif multi_valued is not None and not key.endswith(multi_valued):
            refused.append(key)
        elif isinstance(previous, list):
            previous.append(value)
        else:
            headers[key] = [previous, value]
    return headers, sorted(set(refused))
