"""Whisper spells numbers and compounds either way on Russian calls; the normal
form makes both spellings equal, for search and for script scoring."""

import pytest

from transcription.normalize import normalize, terms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Здравствуйте, Иван!", "здравствуйте иван"),
        ("  Ёлка   и\tёж  ", "елка и еж"),
        ("«Альфа-Строй» — лучшие: да?", "альфа строй лучшие да"),
        ("Что-то", "что то"),
        ("приве\u0301т", "привет"),
        ("", ""),
        ("...!?", ""),
    ],
)
def test_case_letters_and_punctuation(text, expected):
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("2-комнатная", "двухкомнатная"),
        ("2-х комнатная", "двухкомнатная"),
        ("2х-комнатная", "двухкомнатная"),
        ("2х комнатная", "двухкомнатная"),
        ("2-х-комнатная", "двухкомнатная"),
        ("2 комнатная", "двухкомнатная"),
        ("двух комнатная", "двухкомнатная"),
        ("двух-комнатная", "двухкомнатная"),
        ("Двухкомнатная", "двухкомнатная"),
        ("1-комнатную", "однокомнатную"),
        ("3-комнатная", "трехкомнатная"),
        ("3-х комнатная", "трёхкомнатная"),
        ("4-х комнатная", "четырехкомнатная"),
        ("5-комнатная", "пятикомнатная"),
        ("3-этажный", "трехэтажный"),
        ("5-ти этажный", "пятиэтажный"),
        ("пяти этажный", "пятиэтажный"),
        ("10-летний", "десятилетний"),
        ("7-ми дневный", "семидневный"),
    ],
)
def test_compounds_of_one_to_ten_are_one_word(written, spoken):
    assert normalize(written) == normalize(spoken) == spoken.replace("ё", "е")


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("3 комнаты", "три комнаты"),
        ("2 комнаты", "две комнаты"),
        ("1 минуту", "одну минуту"),
        ("Квартира на 5-м этаже", "квартира на пятом этаже"),
        ("2-й этаж", "второй этаж"),
        ("для 2-х человек", "для двух человек"),
        ("в 10:30", "в десять тридцать"),
        ("1000 рублей", "тысяча рублей"),
        ("21 000 рублей", "двадцать одна тысяча рублей"),
        ("1 500 000 рублей", "миллион пятьсот тысяч рублей"),
        ("1.500.000 рублей", "миллион пятьсот тысяч рублей"),
        ("1\u00a0500\u00a0000 рублей", "миллион пятьсот тысяч рублей"),
        ("2 000 000", "два миллиона"),
        ("10%", "десять процентов"),
        ("1% сверху", "один процент сверху"),
        ("3% годовых", "три процента годовых"),
        ("скидка 15 %", "скидка пятнадцать процентов"),
    ],
)
def test_digits_and_words_agree(written, spoken):
    assert normalize(written) == normalize(spoken)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2,5 миллиона", "два целых пять десятых миллиона"),
        ("2.5", "два целых пять десятых"),
        ("ставка 7,25%", "ставка семь целых двадцать пять сотых процента"),
        ("2-3 дня", "два три дня"),
        ("5шт", "пять шт"),
    ],
)
def test_decimals_ranges_and_glued_units(text, expected):
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+7 (900) 123-45-67", "79001234567"),
        ("8 900 123 45 67", "89001234567"),
        ("8-800-555-35-35", "88005553535"),
        ("Мой номер 89001234567, звоните", "мой номер 89001234567 звоните"),
        ("123-45-67", "1234567"),
    ],
)
def test_phone_numbers_stay_digits(text, expected):
    assert normalize(text) == expected


def test_a_word_that_merely_follows_a_genitive_is_not_joined():
    assert normalize("для двух больших семей") == "для двух больших семей"
    assert normalize("двух-трех комнатная") == "двух трехкомнатная"


def test_normal_form_is_stable():
    for text in ("2-х комнатная за 3 500 000", "+7 (900) 123-45-67", "Ёлки-палки, 10%!"):
        assert normalize(normalize(text)) == normalize(text)


def test_terms_split_the_normalised_query():
    assert terms("  2-х комнатная, Ёлки ") == ["двухкомнатная", "елки"]
    assert terms("две комнаты") == terms("2 комнаты") == ["два", "комнаты"]
    assert terms("?!") == []
