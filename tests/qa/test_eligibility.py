"""Which calls hold a conversation to score: the pure rule, case by case."""

import pytest

from qa.eligibility import MIN_TALK_SECONDS, NoConversation, no_conversation, words_by_speaker

LINES = [
    {"speaker": "manager", "start": 0.5, "end": 3.0, "text": "Добрый день, компания Северный парк."},
    {"speaker": "client", "start": 3.5, "end": 5.0, "text": "Здравствуйте, я по объявлению."},
    {"speaker": "manager", "start": 5.5, "end": 6.0, "text": "..."},
    {"speaker": "manager", "start": 6.5, "end": 7.0, "text": ""},
]


def test_words_are_counted_per_speaker():
    assert words_by_speaker(LINES) == {"manager": 5, "client": 4}


@pytest.mark.parametrize("answered, talk, said, expected", [
    (True, 60.0, {"manager": 40, "client": 25}, None),
    (False, 0.0, None, NoConversation.NOT_ANSWERED),  # missed, abandoned, voicemail
    (False, 0.0, {"client": 30}, NoConversation.NOT_ANSWERED),  # a voicemail message has words, still no talk
    (True, MIN_TALK_SECONDS - 0.5, {"manager": 5, "client": 2}, NoConversation.TOO_SHORT),
    (True, None, None, NoConversation.TOO_SHORT),
    (True, 60.0, None, None),  # not transcribed yet: judged on the call alone, for now
    (True, 60.0, {}, NoConversation.NO_SPEECH),  # an empty transcript
    (True, 60.0, {"manager": 80}, NoConversation.NO_SPEECH),  # the client said nothing
    (True, 60.0, {"client": 12, "manager": 0}, NoConversation.NO_SPEECH),  # the manager said nothing
    (True, 60.0, {"unknown": 90}, None),  # a mixed recording: anyone's words will do
    (True, 60.0, {"unknown": 0}, NoConversation.NO_SPEECH),
])
def test_no_conversation(answered, talk, said, expected):
    assert no_conversation(answered, talk, said) == expected
