"""Hand-made dialogues for the scoring tests: ``say(speaker, start, text)`` rows, a line a second per two words."""

from __future__ import annotations

from qa.conversation import Conversation
from qa.script import Script, parse_script


def say(speaker: str, start: float, text: str, seconds: float | None = None) -> dict:
    """A transcript line; without word timings, its words are spread over ``seconds`` (default: 0.5 s a word)."""
    length = seconds if seconds is not None else max(0.5 * len(text.split()), 0.5)
    return {"speaker": speaker, "start": start, "end": start + length, "text": text}


def manager(start: float, text: str, seconds: float | None = None) -> dict:
    return say("manager", start, text, seconds)


def client(start: float, text: str, seconds: float | None = None) -> dict:
    return say("client", start, text, seconds)


def dialogue(*lines: dict, duration: float | None = None) -> Conversation:
    return Conversation.from_lines(lines, duration)


def script(items: str, extra: str = "") -> Script:
    """A script named ``t`` with the given YAML ``items:`` block (indented two spaces) and more sections."""
    return parse_script(f"name: t\nitems:\n{items}\n{extra}")
