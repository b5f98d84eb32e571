"""Transcript text normalised for search and script scoring.

Whisper writes the same Russian words in several ways: "2-комнатная",
"2-х комнатная", "двухкомнатная"; "3 комнаты", "три комнаты"; "Ёлка",
"елка". ``normalize`` maps them to one form so that a search or a script
phrase matches whichever the model chose; the original text is kept for
display and only this form is compared.

The normal form:

* lowercase, ``ё`` → ``е``, stress marks dropped;
* punctuation, quotes and symbols become spaces; so do hyphens, including
  those inside words ("что-то" → "что то", "нет-нет" → "нет нет"), so the
  hyphenated and the spaced spellings agree;
* numbers become Russian words (``num2words``): "1 500 000" and
  "1.500.000" are one number, "2,5" → "две целых пять десятых", "10%" →
  "десять процентов", "2-й" → "второй", "1000" → "тысяча";
* compounds of 1–10 are joined: "2-комнатная", "2-х комнатная",
  "двух-комнатная", "двух комнатная" → "двухкомнатная", "5-ти этажный" →
  "пятиэтажный";
* phone-like digit runs (7 digits or more, "+7 (900) 123-45-67") stay digits,
  separators dropped: "79001234567";
* "одна", "одно", "одну" → "один" and "две" → "два", so "две комнаты" and
  "2 комнаты" agree (num2words gives the masculine form).

Case endings are not reconciled: "с 2 комнатами" gives "с два комнатами";
and a spoken "один миллион" keeps its "один" while "1 000 000" gives "миллион".
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from num2words import num2words

#: The joining form of 1–10 in compounds ("двух" in "двухкомнатная"); for
#: 2–10 it is also the genitive that "2-х", "5-ти" abbreviate.
PREFIXES = {
    1: "одно",
    2: "двух",
    3: "трех",
    4: "четырех",
    5: "пяти",
    6: "шести",
    7: "семи",
    8: "восьми",
    9: "девяти",
    10: "десяти",
}

PHONE_DIGITS = 7

# Word starts that follow a compound prefix even after a space ("двух комнатная").
_STEMS = (
    r"(?:комнатн|этажн|уровнев|спальн|летн|дневн|недельн|месячн|кратн|значн|сторонн|ярусн|камерн|зонн"
    r"|часов[аоыу]|разов[аоыу]|тонн[аоыу]|литров[аоыу]|метров[аоыу])"
)
_PREFIX_WORDS = "|".join(PREFIXES.values())

_GENITIVE = re.compile(r"(?<!\w)(\d+)-?(?:ух|ех|х|ти|ми|и)(?!\w)")
_ORDINAL = re.compile(r"(?<!\w)(\d+)-(ый|ий|ой|ая|ья|ое|ье|ого|ому|ом|ым|ую|й|я|е|го|му|м|ю)(?!\w)")
_DIGIT_COMPOUND = re.compile(rf"(?<!\w)(10|[1-9])(?:-(?=[а-я]{{3}})|\s*(?={_STEMS}))")
_WORD_COMPOUND = re.compile(rf"\b({_PREFIX_WORDS})(?:-(?!(?:{_PREFIX_WORDS})\b)(?=[а-я]{{3}})|\s+(?={_STEMS}))")
_DIGIT_LETTER = re.compile(r"(?<=\d)(?=[^\W\d_])|(?<=[^\W\d_])(?=\d)")
_NUMBER = re.compile(
    r"\+?\(?\d+\)?(?:(?:[ .,\-\u00a0\u202f]|(?=\()|(?<=\)))\(?\d+\)?)*(?P<percent>\s?%)?"
)
_GROUP = re.compile(r"\d+")
_THOUSANDS = re.compile(r"\d{1,3}(?:(?P<sep>[ .\u00a0\u202f])\d{3})(?:(?P=sep)\d{3})*")
_DECIMAL = re.compile(r"\d+[.,]\d+")
_PUNCTUATION = re.compile(r"[^\w\s]|_")
_LEADING_ONE = re.compile(r"^(?:один|одна) (?=тысяч|миллион|миллиард)")
_COMBINING = re.compile(r"[\u0300-\u036f]")
_DIGIT = re.compile(r"\d")

_ORDINAL_FORMS = {  # suffix → (case, gender) for num2words
    **dict.fromkeys(("й", "ый", "ий", "ой"), ("n", "m")),
    **dict.fromkeys(("я", "ая", "ья"), ("n", "f")),
    **dict.fromkeys(("е", "ое", "ье"), ("n", "n")),
    **dict.fromkeys(("го", "ого"), ("g", "m")),
    **dict.fromkeys(("му", "ому"), ("d", "m")),
    **dict.fromkeys(("м", "ом", "ым"), ("p", "m")),
    **dict.fromkeys(("ю", "ую"), ("a", "f")),
}
_GENDER_FOLD = {"одна": "один", "одно": "один", "одну": "один", "две": "два"}


def normalize(text: str) -> str:
    """``text`` in the normal form described in the module docstring."""
    text = _COMBINING.sub("", unicodedata.normalize("NFC", text)).lower().replace("ё", "е")
    has_digits = _DIGIT.search(text) is not None  # most lines have none: skip the number rules
    if has_digits:
        text = _GENITIVE.sub(_genitive, text)
        text = _ORDINAL.sub(_ordinal, text)
        text = _DIGIT_COMPOUND.sub(lambda m: PREFIXES[int(m[1])], text)
    text = _WORD_COMPOUND.sub(r"\1", text)
    if has_digits:
        text = _DIGIT_LETTER.sub(" ", text)
        text = _NUMBER.sub(_number, text)
    words = _PUNCTUATION.sub(" ", text).replace("ё", "е").split()
    return " ".join(_GENDER_FOLD.get(word, word) for word in words)


def terms(query: str) -> list[str]:
    """A search query's words in the normal form."""
    return normalize(query).split()


def _genitive(match: re.Match[str]) -> str:
    """"2-х" → "двух", "5-ти" → "пяти"; past 10 just the number ("12-ти" → "12")."""
    number = int(match[1])
    return PREFIXES[number] if 2 <= number <= 10 else match[1]


def _ordinal(match: re.Match[str]) -> str:
    """"2-й" → "второй", "5-м" → "пятом": the suffix picks case and gender."""
    case, gender = _ORDINAL_FORMS[match[2]]
    return " " + num2words(int(match[1]), lang="ru", to="ordinal", case=case, gender=gender) + " "


def _number(match: re.Match[str]) -> str:
    """One run of digit groups as words, or as bare digits when it looks like a phone number."""
    run = match[0].removesuffix(match["percent"] or "")
    core = run.strip("+()")
    if _THOUSANDS.fullmatch(core):
        value: Decimal | int = int(re.sub(r"\D", "", core))
        words = _spell(value)
    elif _DECIMAL.fullmatch(core):
        value = Decimal(core.replace(",", "."))
        words = _spell(value)
    else:
        groups = _GROUP.findall(run)
        if sum(map(len, groups)) >= PHONE_DIGITS and not re.search(r"[.,]", run):
            return " " + "".join(groups) + " "
        value = int(groups[-1])
        words = " ".join(_spell(int(group)) for group in groups)
    if match["percent"]:
        words += " " + _percent(value)
    return " " + words + " "


def _spell(value: Decimal | int) -> str:
    """The number in words; a leading "одна тысяча", "один миллион" said as "тысяча", "миллион"."""
    return _LEADING_ONE.sub("", num2words(value, lang="ru"))


def _percent(value: Decimal | int) -> str:
    """"процент" agreeing with the number before it."""
    if isinstance(value, Decimal):
        return "процента"
    if 11 <= value % 100 <= 14:
        return "процентов"
    return {1: "процент", 2: "процента", 3: "процента", 4: "процента"}.get(value % 10, "процентов")
