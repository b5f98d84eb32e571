"""Click-to-call: a manager calls a missed caller back from their task.

The backend asks Asterisk (AMI ``Originate``, asynchronous) to ring the
manager's own phone first, ``Local/<extension>@<agents context>`` by default,
and once they pick up to run the outbound context with the client's number
as the extension, so the trunk dials the client. The call is then followed by
the tracker like any outbound call; when the client answers, the task closes
itself (``crm.tasks``). The PBX side is documented in
``docs/asterisk/extensions.conf`` (``[outbound]``).

Building the action is pure (``originate_action``); ``ClickToCall`` checks the
task and the manager, sends the action and turns Asterisk's refusal into an
error the API can show.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from crm.tasks import TASK_OPEN
from storage.models import CallbackTask, Manager

SendAction = Callable[[Mapping[str, str]], Awaitable[Mapping[str, str] | list[Mapping[str, str]]]]
TASK_VARIABLE = "CALLBACK_TASK_ID"


class ClickToCallError(Exception):
    """The callback cannot be started; ``reason`` says why, for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PbxUnavailable(ClickToCallError):
    """Asterisk could not be asked (not connected, or no answer in time)."""


@dataclass(frozen=True)
class DialPlan:
    """How a callback is dialled: the manager's phone, then the client through ``outbound_context``."""

    agent_channel: str = "Local/{extension}@agents"
    outbound_context: str = "outbound"
    dial_prefix: str = ""  # put before the client's E.164 digits, e.g. "9" for an outside line
    ring_seconds: int = 30  # how long the manager's phone rings


@dataclass(frozen=True)
class Callback:
    """A started callback: what was asked of Asterisk."""

    task_id: int
    extension: str
    number: str
    action_id: str


def dialled_number(phone: str, dial_prefix: str = "") -> str:
    """What the trunk dials for an E.164 ``phone``: its digits after ``dial_prefix``."""
    digits = phone.removeprefix("+")
    if not digits.isdigit():
        raise ClickToCallError(f"{phone!r} is not a phone number that can be dialled")
    return dial_prefix + digits


def originate_action(plan: DialPlan, extension: str, phone: str, task_id: int, action_id: str) -> dict[str, str]:
    """The AMI ``Originate`` that rings ``extension`` and then dials ``phone``."""
    number = dialled_number(phone, plan.dial_prefix)
    return {
        "Action": "Originate",
        "ActionID": action_id,
        "Channel": plan.agent_channel.format(extension=extension),
        "Context": plan.outbound_context,
        "Exten": number,
        "Priority": "1",
        "CallerID": f'"{phone}" <{extension}>',
        "Timeout": str(plan.ring_seconds * 1000),
        "Variable": f"{TASK_VARIABLE}={task_id}",
        "Async": "true",
    }


class ClickToCall:
    def __init__(self, sessions: async_sessionmaker, send_action: SendAction, plan: DialPlan | None = None) -> None:
        self._sessions = sessions
        self._send_action = send_action
        self.plan = plan or DialPlan()

    async def call_back(self, task_id: int, manager_id: int) -> Callback:
        """Ring manager ``manager_id``'s phone, then the number of open task ``task_id``.

        Who may call back from which task is the API's decision; this checks
        that the task is open and the manager has a phone."""
        async with self._sessions() as session:
            task = await session.get(CallbackTask, task_id)
            extension = await session.scalar(
                select(Manager.extension).where(Manager.id == manager_id, Manager.active.is_(True))
            )
        if task is None or task.status != TASK_OPEN:
            raise ClickToCallError("the task is not open")
        if not extension:
            raise ClickToCallError("the manager has no phone extension")
        action_id = f"callback-{task_id}-{secrets.token_hex(4)}"
        action = originate_action(self.plan, extension, task.phone, task_id, action_id)
        try:
            reply = await self._send_action(action)
        except (ConnectionError, TimeoutError) as error:
            raise PbxUnavailable(f"Asterisk is not reachable: {error or type(error).__name__}") from error
        response = reply[0] if isinstance(reply, list) else reply
        if response.get("Response") != "Success":
            raise ClickToCallError(f"Asterisk refused the call: {response.get('Message', 'no reason given')}")
        return Callback(task_id, extension, action["Exten"], action_id)
