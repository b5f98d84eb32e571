"""Phone numbers as the PBX sends them, normalised to E.164.

``8 (912) 345-67-89``, ``+7 912 345-67-89`` and ``79123456789`` are one client:
``+79123456789``. Withheld or missing numbers (``anonymous``, ``<unknown>``,
empty) are not numbers at all and normalise to ``None``; so do strings that
``phonenumbers`` cannot read as a valid number.
"""

from __future__ import annotations

import functools

import phonenumbers

DEFAULT_REGION = "RU"
WITHHELD = frozenset({"", "anonymous", "unknown", "<unknown>", "restricted", "private", "unavailable"})


@functools.lru_cache(maxsize=16384)  # routing meets the same callers all day; parsing costs ~50 µs
def normalize_phone(raw: str | None, region: str = DEFAULT_REGION) -> str | None:
    """Return the E.164 form of ``raw``, or ``None`` when it is no usable number."""
    if raw is None:
        return None
    text = raw.strip()
    if text.lower() in WITHHELD:
        return None
    if region == "RU":
        text = _russian_trunk_prefix(text)
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _russian_trunk_prefix(text: str) -> str:
    """Russian trunks send 11 digits starting with 7 (or 8) and no plus sign."""
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) == 11 and digits[0] in "78" and not text.lstrip().startswith("+"):
        return "+7" + digits[1:]
    return text
