"""Each real Asterisk capture, sent over a real AMI socket in random-sized
pieces, through the connector, tracker and storage: the stored call card is
the one the capture describes (expected values: ``tests/pbx/test_tracker_captures``)."""

from __future__ import annotations

import asyncio
import random

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from callcenter.runner import backend
from pbx.simulator.ami_server import AmiServer
from storage.models import Call
from tests.pbx.test_tracker_captures import CARDS
from tests.support.ami import no_channels
from tests.support.data import CAPTURES

LOGIN_REPLY_END = b"Authentication accepted\r\n\r\n"


def after_login(capture: bytes) -> bytes:
    """The capture without the banner and login reply our own server already sent."""
    return capture[capture.index(LOGIN_REPLY_END) + len(LOGIN_REPLY_END):]


@pytest.mark.parametrize("name", CARDS)
async def test_capture_over_a_socket_becomes_its_call_card(name, settings, sessions):
    expected = CARDS[name]
    stream = after_login((CAPTURES / name).read_bytes())
    ami = AmiServer(username="callcenter", secret="s3cret")
    ami.register_action("CoreShowChannels", no_channels)
    settings = settings.model_copy(update={"ami_secret": "s3cret", "ami_port": await ami.start()})
    rng = random.Random(name)
    try:
        async with backend(settings) as services:
            await asyncio.wait_for(services.connector.connected.wait(), 5)
            position = 0
            while position < len(stream):
                size = rng.randint(1, 300)
                ami.send_raw(stream[position:position + size])
                position += size
                await asyncio.sleep(0)
            async with asyncio.timeout(10):
                while (card := await _card(sessions)) is None:
                    await asyncio.sleep(0.1)
    finally:
        await ami.stop()

    assert (card.direction, card.caller_raw, card.caller_number, card.caller_name, card.did) == (
        "inbound", expected.caller_raw, expected.caller_number, expected.caller_name, expected.did)
    assert [(leg.extension, leg.result, leg.queue) for leg in card.legs] == [
        (extension, result.value, queue) for extension, result, queue in expected.legs]
    assert (card.answered_by_extension, card.disposition, card.queue) == (
        expected.answered_by, expected.disposition.value, expected.queue)
    assert (card.wait_seconds, card.talk_seconds) == pytest.approx((expected.wait, expected.talk))
    assert card.recording.path == expected.recording


async def _card(sessions) -> Call | None:
    async with sessions() as session:
        return await session.scalar(select(Call).options(selectinload(Call.legs), selectinload(Call.recording)))
