"""Which calls hold a conversation to score.

A call nobody answered (missed, abandoned, voicemail), one with under
``MIN_TALK_SECONDS`` of talk, or one whose transcript has a side that said
nothing (on separate tracks: the client or the manager; on a mixed track:
anyone) is not a sales conversation: scoring it against the script would only
drag the manager's averages down with calls they never had. Such a call gets no
score; its card says why, and reports, averages and training samples, which
read scores, leave it out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pbx.tracker.model import Disposition

from qa.conversation import CLIENT, MANAGER, UNKNOWN
from transcription.service import Status

if TYPE_CHECKING:
    from storage.models import Call

MIN_TALK_SECONDS = 10.0
WORD = re.compile(r"\w+")


class NoConversation(StrEnum):
    """Why a call is not scored."""

    NOT_ANSWERED = "not_answered"
    TOO_SHORT = "too_short"  # under MIN_TALK_SECONDS of talk
    NO_SPEECH = "no_speech"  # a side of the transcript said nothing


def words_by_speaker(lines: Iterable[Mapping[str, Any]]) -> Counter[str]:
    """How many words (runs of letters or digits, not punctuation) each speaker's transcript lines hold."""
    said: Counter[str] = Counter()
    for line in lines:
        said[line["speaker"]] += len(WORD.findall(str(line.get("text") or "")))
    return said


def no_conversation(answered: bool, talk_seconds: float | None, said: Mapping[str, int] | None) -> NoConversation | None:
    """Why the call holds no conversation to score, or None if it does. ``said``: words by speaker
    (``words_by_speaker``), None while the transcript is not done (then only the call itself is judged)."""
    if not answered:
        return NoConversation.NOT_ANSWERED
    if (talk_seconds or 0.0) < MIN_TALK_SECONDS:
        return NoConversation.TOO_SHORT
    if said is None:
        return None
    sides = (UNKNOWN,) if said.get(UNKNOWN) and not (said.get(CLIENT) or said.get(MANAGER)) else (CLIENT, MANAGER)
    return NoConversation.NO_SPEECH if not all(said.get(side) for side in sides) else None


def no_conversation_in(call: Call) -> NoConversation | None:
    """``no_conversation`` of a stored call (its transcript loaded), judging the transcript once it is done."""
    transcript = call.transcript
    said = words_by_speaker(transcript.lines or ()) if transcript is not None and transcript.status == Status.DONE else None
    return no_conversation(call.disposition == Disposition.ANSWERED, call.talk_seconds, said)
