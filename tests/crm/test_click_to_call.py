"""Click-to-call from a task: the AMI Originate that rings the manager, then
the client; sent over a real AMI connection to the simulator's AMI server."""

import asyncio
from datetime import datetime, timezone

import pytest

from crm.click_to_call import (
    ClickToCall,
    ClickToCallError,
    DialPlan,
    PbxUnavailable,
    dialled_number,
    originate_action,
)
from pbx.ami.connector import AmiConnector
from pbx.ami.framing import header
from pbx.simulator.ami_server import AmiServer
from storage.models import CallbackTask, Manager
from tests.support.ami import SECRET, USER, no_channels

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


def test_the_originate_rings_the_managers_phone_then_dials_the_client():
    plan = DialPlan(agent_channel="PJSIP/{extension}", outbound_context="callbacks", dial_prefix="9", ring_seconds=25)
    action = originate_action(plan, "101", "+79161234567", 7, "cb-7")
    assert action == {
        "Action": "Originate",
        "ActionID": "cb-7",
        "Channel": "PJSIP/101",
        "Context": "callbacks",
        "Exten": "979161234567",
        "Priority": "1",
        "CallerID": '"+79161234567" <101>',
        "Timeout": "25000",
        "Variable": "CALLBACK_TASK_ID=7",
        "Async": "true",
    }


@pytest.mark.parametrize("phone", ["", "+", "+7916&123", "anonymous", "+7916 123"])
def test_a_number_that_cannot_be_dialled_is_refused(phone):
    with pytest.raises(ClickToCallError):
        dialled_number(phone)


@pytest.fixture
async def pbx():
    """The simulator's AMI server answering Originate as Asterisk does, and a connector to it."""
    server = AmiServer(username=USER, secret=SECRET)
    server.register_action("CoreShowChannels", no_channels)
    received: list[dict[str, str]] = []

    async def originate(_session, headers):
        received.append(headers)
        if header(headers, "Channel").startswith("Local/999@"):  # a phone that does not exist
            return [{"Response": "Error", "Message": "Originate failed"}]
        return [{"Response": "Success", "Message": "Originate successfully queued"}]

    server.register_action("Originate", originate)
    port = await server.start()

    async def ignore(_event) -> None:
        return None

    connector = AmiConnector("127.0.0.1", port, USER, SECRET, on_event=ignore, backoff_initial=0.05)
    await connector.start()
    await asyncio.wait_for(connector.connected.wait(), 5)
    yield connector, received
    await connector.stop()
    await server.stop()


async def seed(sessions, *, status="open") -> tuple[int, dict[str, int]]:
    async with sessions() as session, session.begin():
        managers = {ext: Manager(name=ext, extension=ext) for ext in ("101", "999")}
        session.add_all(managers.values())
        await session.flush()
        task = CallbackTask(phone="+79161234567", manager_id=managers["101"].id, status=status, first_linkedid="m.1",
                            missed_count=1, first_missed_at=T0, last_missed_at=T0, deadline_at=T0)
        session.add(task)
        await session.flush()
        return task.id, {ext: manager.id for ext, manager in managers.items()}


async def test_a_callback_is_asked_of_asterisk(sessions, pbx):
    connector, received = pbx
    task_id, managers = await seed(sessions)
    callback = await ClickToCall(sessions, connector.send_action).call_back(task_id, managers["101"])
    assert (callback.extension, callback.number) == ("101", "79161234567")
    [action] = received
    assert header(action, "Channel") == "Local/101@agents"
    assert (header(action, "Context"), header(action, "Exten")) == ("outbound", "79161234567")
    assert header(action, "Variable") == f"CALLBACK_TASK_ID={task_id}"


async def test_asterisk_refusing_is_an_error_with_its_message(sessions, pbx):
    connector, _ = pbx
    task_id, managers = await seed(sessions)
    with pytest.raises(ClickToCallError, match="Originate failed"):
        await ClickToCall(sessions, connector.send_action).call_back(task_id, managers["999"])


async def test_a_closed_task_or_an_unknown_manager_starts_nothing(sessions, pbx):
    connector, received = pbx
    task_id, managers = await seed(sessions, status="done")
    with pytest.raises(ClickToCallError, match="not open"):
        await ClickToCall(sessions, connector.send_action).call_back(task_id, managers["101"])
    with pytest.raises(ClickToCallError, match="not open"):
        await ClickToCall(sessions, connector.send_action).call_back(task_id + 100, managers["101"])
    assert received == []


async def test_no_ami_connection_means_the_pbx_is_unavailable(sessions):
    task_id, managers = await seed(sessions)

    async def ignore(_event) -> None:
        return None

    disconnected = AmiConnector("127.0.0.1", 1, USER, SECRET, on_event=ignore)
    with pytest.raises(PbxUnavailable, match="not reachable"):
        await ClickToCall(sessions, disconnected.send_action).call_back(task_id, managers["101"])
