"""What each odd caller number becomes."""

import pytest

from callcenter.phones import normalize_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("8 (912) 345-67-89", "+79123456789"),
        ("+7 912 345-67-89", "+79123456789"),
        ("79123456789", "+79123456789"),
        ("89123456789", "+79123456789"),
        ("9123456789", "+79123456789"),
        ("+7 (495) 123-45-67", "+74951234567"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_one_client_whatever_the_format(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["anonymous", "Anonymous", "", "   ", "<unknown>", "unknown", None, "restricted"])
def test_withheld_numbers_are_unknown(raw):
    assert normalize_phone(raw) is None


@pytest.mark.parametrize("raw", ["101", "abc", "+7 000", "8 (912) 345", "7912345678901234"])
def test_extensions_and_garbage_are_not_client_numbers(raw):
    assert normalize_phone(raw) is None
