"""Each conversation metric on hand-made timings."""

from qa.metrics import interruptions, longest_silence, speech_rate, talk_listen_ratio
from tests.qa.support import client, dialogue, manager


def test_talk_listen_ratio_is_the_managers_talk_over_the_clients():
    assert talk_listen_ratio(dialogue(manager(0, "x", 30), client(30, "y", 10), manager(40, "z", 15))).value == 4.5
    assert talk_listen_ratio(dialogue(manager(0, "x", 30))).value is None  # the client never spoke


def test_the_longest_silence_is_between_anyones_words_and_says_where():
    conversation = dialogue(manager(0, "x", 5), client(4, "y", 2), manager(9, "z", 2), client(20, "w", 1))
    silence = longest_silence(conversation)
    assert (silence.value, silence.at) == (9.0, 11.0)
    overlapping = dialogue(manager(0, "x", 10), client(2, "y", 3), manager(11, "z", 1))
    assert longest_silence(overlapping).value == 1.0  # the client's short line inside the manager's is no gap
    assert longest_silence(dialogue()).value == 0.0


def test_interruptions_count_the_manager_starting_while_the_client_talks():
    conversation = dialogue(
        client(0, "a", 10),
        manager(3, "b", 2),  # over the client: 1
        manager(9.8, "c", 1),  # 0.2 s before the client's end: a quick reply, not an interruption
        client(20, "d", 5),
        manager(26, "e", 1),  # after the client: no
        client(30, "f", 10),
        manager(35, "g", 1),  # over again: 2
    )
    found = interruptions(conversation)
    assert (found.value, found.at) == (2.0, 3.0)
    assert interruptions(dialogue(manager(0, "x", 3), client(1, "y", 1))).value == 0.0  # the client's turn


def test_speech_rate_is_the_managers_words_a_minute_of_their_talk():
    conversation = dialogue(manager(0, "раз два три четыре пять шесть", 3), client(3, "один два три", 1))
    assert speech_rate(conversation).value == 120.0
    assert speech_rate(dialogue(client(0, "алло", 1))).value is None
