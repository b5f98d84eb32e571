"""Whisper's inventions on silence and noise, recognised so they can be dropped.

Trained on subtitled video, Whisper fills quiet or noisy stretches of Russian
audio with the text that ends such videos ("Продолжение следует...",
"Субтитры сделал DimaTorzok", "Спасибо за просмотр!"), caption tags
("[музыка]", "♪"), or a loop of one phrase said over and over.

``hallucination_reason`` judges a whole segment: it names a reason only when
the entire text is such an invention, so a real "спасибо" or "до встречи" is
never dropped. ``strip_loops`` rescues a real utterance that the model
followed with a loop by cutting the loop down to a couple of repetitions.
Run the first on each segment and the second on the segments it keeps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from transcription.normalize import normalize

MAX_GRAM = 4
#: Repetitions of an n-gram that make a whole segment a loop; people do say
#: "да, да, да" or "алло, алло, алло", so single words need many more.
LOOP_REPEATS = {1: 6, 2: 4, 3: 4, 4: 4}
#: Repetitions that ``strip_loops`` collapses.
STRIP_REPEATS = 3

_MUSIC_MOODS = (
    "динамичная|спокойная|веселая|грустная|тревожная|напряженная|торжественная|мрачная|лирическая"
    "|драматическая|таинственная|романтическая|ритмичная|энергичная|легкая|тихая|громкая|фоновая|инструментальная"
)
#: (reason, pattern) matched on normalised text; a segment is a known phrase
#: when it is one or more of these one after another and nothing else.
KNOWN_PHRASES = (
    (
        "credits",
        r"субтитры(?: \w+){0,2}? (?:сделал|создавал|делал|подогнал|подготовил|создал|предоставил)\w*(?: \w+){0,2}",
    ),
    ("credits", r"(?:редактор|корректор|автор|переводчик) субтитров(?: \w+){0,2}"),
    ("credits", r"корректор \w{1,2} \w+"),
    ("continued", r"продолжение следует"),
    ("thanks for watching", r"(?:всем )?(?:большое )?спасибо (?:вам )?(?:большое )?за просмотр"),
    ("thanks for watching", r"(?:thank you|thanks) for watching"),
    ("subscribe", r"(?:подписывайтесь|подписывайся)(?: \w+){0,4}|(?:подпишись|подпишитесь) на (?:\w+ )?канал|подпишись"),
    ("like", r"(?:ставьте|ставь|поставьте|поставь|не забудьте поставить) лайк\w*(?: \w+){0,3}"),
    ("outro", r"(?:всем )?до новых встреч"),
    ("music", rf"(?:(?:{_MUSIC_MOODS}) )?музыка(?: играет)?|играет музыка|музыкальная заставка"),
    ("applause", r"аплодисменты"),
    ("laughter", r"смех|смеется|смеются"),
)

_ALTERNATIVES = "|".join(f"(?P<p{i}>{pattern})" for i, (_, pattern) in enumerate(KNOWN_PHRASES))
_FIRST_PHRASE = re.compile(rf"(?:{_ALTERNATIVES})(?= |$)")
_ANY_PHRASE = "|".join(f"(?:{pattern})" for _, pattern in KNOWN_PHRASES)
_ONLY_PHRASES = re.compile(rf"(?:{_ANY_PHRASE})(?: (?:{_ANY_PHRASE}))*")
_CAPTION_TAGS = re.compile(r"\s*(?:(?:\[[^\]]*\]|\([^)]*\)|\*[^*]+\*|[♪♫][^♪♫]*[♪♫])\s*)+")
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class _Run:
    """``reps`` back-to-back repetitions of the ``n`` words from ``start``."""

    start: int
    n: int
    reps: int

    @property
    def end(self) -> int:
        return self.start + self.n * self.reps


def hallucination_reason(text: str) -> str | None:
    """Why the whole segment ``text`` is a Whisper invention, or None when it may be speech."""
    normal = normalize(text)
    if not normal:
        return "no words"
    if _ONLY_PHRASES.fullmatch(normal):
        first = _FIRST_PHRASE.match(normal)
        return f"known phrase: {KNOWN_PHRASES[int(first.lastgroup[1:])][0]}"
    if _CAPTION_TAGS.fullmatch(text):
        return "known phrase: caption tag"
    if _is_loop(normal.split()):
        return "repetition loop"
    return None


def strip_loops(text: str, keep: int = 2) -> str:
    """``text`` with every run of one phrase (up to 4 words) repeated 3 times or more cut to ``keep`` repetitions.

    The text keeps its case and punctuation: what goes is everything from the
    end of the ``keep``-th repetition to the end of the last one's words.
    """
    if keep < 1:
        raise ValueError("keep must be at least 1")
    while True:
        words = list(_WORD.finditer(text))
        run = _longest_run([_key(word[0]) for word in words], min_reps=max(STRIP_REPEATS, keep + 1))
        if run is None:
            return text
        cut_from = words[run.start + run.n * keep - 1].end()
        cut_to = words[run.end - 1].end()
        text = text[:cut_from] + text[cut_to:]


def _key(word: str) -> str:
    return word.lower().replace("ё", "е")


def _is_loop(tokens: list[str]) -> bool:
    """The tokens are one phrase repeated, give or take a cut-off repetition at either end."""
    run = _longest_run(tokens, min_reps=2)
    if run is None or run.reps < LOOP_REPEATS[run.n]:
        return False
    gram = tokens[run.start : run.start + run.n]
    head, tail = tokens[: run.start], tokens[run.end :]
    return len(head) < run.n and len(tail) < run.n and gram[run.n - len(head) :] == head and gram[: len(tail)] == tail


def _longest_run(tokens: list[str], min_reps: int) -> _Run | None:
    """The run of at least ``min_reps`` repetitions covering the most tokens, the shorter phrase on a tie."""
    best: _Run | None = None
    for n in range(1, MAX_GRAM + 1):
        for start in range(len(tokens) - min_reps * n + 1):
            if start >= n and tokens[start - n : start] == tokens[start : start + n]:
                continue  # inside a run that began earlier and is longer
            run = _Run(start, n, _repeats(tokens, start, n))
            if run.reps >= min_reps and (best is None or run.n * run.reps > best.n * best.reps):
                best = run
    return best


def _repeats(tokens: list[str], start: int, n: int) -> int:
    gram = tokens[start : start + n]
    reps = 1
    while tokens[start + reps * n : start + (reps + 1) * n] == gram:
        reps += 1
    return reps
