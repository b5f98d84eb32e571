"""Fixtures shared by the AMI tests."""

import pytest

from pbx.simulator.ami_server import AmiServer
from tests.support.ami import SECRET, USER


@pytest.fixture
async def server():
    """An AMI server on a free loopback port, with the test user."""
    server = AmiServer(username=USER, secret=SECRET)
    await server.start()
    yield server
    await server.stop()
