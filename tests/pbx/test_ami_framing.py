"""AmiFrameDecoder on the real Asterisk 22 captures."""

from __future__ import annotations

import random

import pytest

from pbx.ami.framing import MAX_MESSAGE_BYTES, AmiFrameDecoder
from tests.support.data import CAPTURES

CAPTURE_FILES = sorted(CAPTURES.glob("*.ami"))


def decode_whole(data: bytes) -> list[dict]:
    return [dict(message) for message in AmiFrameDecoder().feed(data)]


def decode_in_chunks(data: bytes, cuts: list[int]) -> list[dict]:
    decoder = AmiFrameDecoder()
    messages = []
    for start, end in zip([0, *cuts], [*cuts, len(data)]):
        messages += decoder.feed(data[start:end])
    return [dict(message) for message in messages]


def block_with(name: str, text: str) -> bytes:
    stream = (CAPTURES / name).read_bytes()
    block = next(block for block in stream.split(b"\r\n\r\n") if text.encode() in block and b"Event:" in block)
    return block + b"\r\n\r\n"


def test_captures_are_there():
    assert {path.name for path in CAPTURE_FILES} >= {"one-call.ami", "away-to-queue.ami"}


def test_cyrillic_caller_name_survives_every_split_position():
    raw = block_with("away-to-queue.ami", "CallerIDName: Мария")
    whole = decode_whole(raw)
    assert len(whole) == 1 and whole[0]["CallerIDName"] == "Мария"
    for split in range(1, len(raw)):
        assert decode_in_chunks(raw, [split]) == whole, f"split at byte {split}"


@pytest.mark.parametrize("capture", CAPTURE_FILES, ids=lambda path: path.name)
def test_random_split_replay_equals_the_whole_stream(capture):
    data = capture.read_bytes()
    whole = decode_whole(data)
    assert len(whole) == data.count(b"\r\n\r\n")  # every block is a message
    rng = random.Random(capture.name)
    for _ in range(3):
        cuts = sorted(rng.sample(range(1, len(data)), len(data) // 200))
        assert decode_in_chunks(data, cuts) == whole


def test_banner_is_taken_even_when_split():
    decoder = AmiFrameDecoder()
    assert decoder.feed(b"Asterisk Call") == []
    assert decoder.feed(b" Manager/11.0.0\r\nResponse: Success\r\n\r\n")[0]["Response"] == "Success"
    assert decoder.version == "11.0.0"


def test_oversized_message_is_skipped_and_counted_and_the_next_one_comes_through():
    decoder = AmiFrameDecoder()
    huge = b"Event: Huge\r\nData: " + b"x" * (MAX_MESSAGE_BYTES + 10) + b"\r\n\r\n"
    after = b"Event: After\r\nN: 1\r\n\r\n"
    messages = []
    for start in range(0, len(huge), 4096):  # arrives in pieces: the buffer must not hold it all
        messages += decoder.feed(huge[start : start + 4096])
        assert len(decoder._buffer) <= MAX_MESSAGE_BYTES
    messages += decoder.feed(after)
    assert [message["Event"] for message in messages] == ["After"]
    assert decoder.stats.oversized == 1


def test_oversized_message_in_one_chunk_is_skipped():
    decoder = AmiFrameDecoder()
    data = b"Event: Huge\r\nData: " + b"x" * (MAX_MESSAGE_BYTES + 10) + b"\r\n\r\nEvent: After\r\n\r\n"
    assert [message["Event"] for message in decoder.feed(data)] == ["After"]
    assert decoder.stats.oversized == 1


def test_garbage_and_headless_blocks_are_skipped_and_counted():
    decoder = AmiFrameDecoder()
    data = (
        b"\x00\x01 binary junk \xff\r\n\r\n"
        b"NoColonHere\r\n\r\n"
        b"Foo: no Event or Response\r\n\r\n"
        b"Event: Bad\xd0UTF8\r\n\r\n"
        b"Event: After\r\n\r\n"
    )
    assert [message["Event"] for message in decoder.feed(data)] == ["Bad\ufffdUTF8", "After"]
    assert (decoder.stats.malformed, decoder.stats.undecodable) == (3, 2)  # the junk block is both


def test_two_messages_run_together_are_split_again():
    """A lost terminator merges two events; each comes out on its own, and the merge is counted."""
    decoder = AmiFrameDecoder()
    data = (
        b"Event: Hangup\r\nUniqueid: 1.1\r\nCause: 16\r\n"
        b"Event: QueueMemberStatus\r\nInterface: PJSIP/101\r\nPaused: 1\r\n\r\n"
    )
    assert [dict(message) for message in decoder.feed(data)] == [
        {"Event": "Hangup", "Uniqueid": "1.1", "Cause": "16"},
        {"Event": "QueueMemberStatus", "Interface": "PJSIP/101", "Paused": "1"},
    ]
    assert decoder.stats.merged == 1


def test_a_reply_merged_with_a_reply_is_split_but_an_originate_response_keeps_its_response_header():
    decoder = AmiFrameDecoder()
    data = (
        b"Response: Success\r\nActionID: 1\r\nResponse: Error\r\nActionID: 2\r\n\r\n"
        b"Event: OriginateResponse\r\nActionID: 3\r\nResponse: Failure\r\nReason: 5\r\n\r\n"
    )
    messages = decoder.feed(data)
    assert [(message.get("Response"), message.action_id) for message in messages] == [
        ("Success", "1"), ("Error", "2"), ("Failure", "3"),
    ]
    assert messages[2]["Event"] == "OriginateResponse"


def test_a_repeated_header_keeps_its_first_value_but_channel_variables_keep_all():
    decoder = AmiFrameDecoder()
    data = (
        b"Event: Newchannel\r\nActionID: a\r\nActionID: b\r\nUniqueid: 1.1\r\n"
        b"ChanVariable: CLIENT=1\r\nChanVariable: MANAGER=101\r\nDestChanVariable: X=1\r\nDestChanVariable: Y=2\r\n\r\n"
    )
    (message,) = decoder.feed(data)
    assert message.action_id == "a" and message["ActionID"] == "a"
    assert message["ChanVariable"] == ["CLIENT=1", "MANAGER=101"]
    assert message["DestChanVariable"] == ["X=1", "Y=2"]
    assert decoder.stats.repeated == 1
