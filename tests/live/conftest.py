"""The API of tests/api/conftest.py on both Redis servers, with a quick
heartbeat and live channels of the test's own (pub/sub is server-wide, and
other runs may share the server)."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import uuid4

import pytest

from pbx.tracker.model import CallLeg, CallRecord, Direction
from tests.api.conftest import NOW, api, cheap_hashing, clock, department  # noqa: F401  (fixtures)

HEARTBEAT_SECONDS = 0.3


@pytest.fixture
def settings(settings):
    return settings.model_copy(
        update={"live_heartbeat_seconds": HEARTBEAT_SECONDS, "live_channel_prefix": f"live-test-{uuid4().hex}"}
    )


@pytest.fixture
def api_redis(redis):
    return redis


def ringing(linkedid: str, caller: str | None, *extensions: str, at: datetime = NOW) -> CallRecord:
    """An inbound call whose legs rang ``extensions`` in turn, the last still ringing."""
    legs = [
        CallLeg(extension, f"Local/{extension}@sim-agent;1", at + timedelta(seconds=i))
        for i, extension in enumerate(extensions)
    ]
    return CallRecord(linkedid=linkedid, direction=Direction.INBOUND, started_at=at, caller_raw=caller or "anonymous",
                      caller_number=caller, caller_name="Мария", did="74951234567", legs=legs)
