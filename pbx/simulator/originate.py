"""AMI ``Originate`` of a Local channel as Asterisk reports it: the pair set up and dialled by the
Originate itself (``DialBegin`` without a caller), and ``OriginateResponse`` when its dial ends.

Used for both simulated flows: the customer of an inbound call (``Local/<DID>@from-pstn`` into
``sim-caller,s,1``, as captured) and a click-to-call (``Local/<ext>@sim-agent`` into
``outbound,<number>,1``, see ``pbx.simulator.outbound``).
"""

from __future__ import annotations

from pbx.simulator.channel import Channel, Party
from pbx.simulator.engine import PbxEngine
from pbx.simulator.events import CALL, dial_event, event


def place(engine: PbxEngine, one: Channel, two: Channel, caller: Party, variables: list[tuple[str, str]]) -> None:
    """From the Originate's variables and caller ID on ``;1`` to its ``DialBegin`` of ``;1``."""
    engine.step(one, one.context, one.exten, 1, "AppDial2", "(Outgoing Line)")
    # Originate hands its variables to ;1 in reverse; the Local channel copies them to ;2 in list order
    engine.setvars(one, list(reversed(variables)))
    engine.new_callerid(one, caller)
    engine.new_connected_line(one, caller)
    two.connected = Party(caller.num, caller.name)
    engine.copy_variables(two, list(one.variables.items()))
    engine.new_callerid(two, caller)
    engine.new_connected_line(two, caller)
    engine.local_bridge(one, two)
    engine.emit(dial_event("DialBegin", None, one, {"DialString": f"{one.exten}@{one.context}"}))


def respond(engine: PbxEngine, action_id: str, one: Channel, context: str, exten: str, caller: Party,
            reason: str | None = None) -> None:
    """``OriginateResponse``: Success with Reason 4 and the answered ``;1`` when ``reason`` is None,
    else Failure with ``reason`` and only the requested ``Local/<exten>@<context>`` (no channel)."""
    action = {"ActionID": action_id} if action_id else {}
    fields = {
        "Response": "Success" if reason is None else "Failure",
        "Channel": one.name if reason is None else one.device,
        "Context": context, "Exten": exten, "Reason": reason or "4",
        "Uniqueid": one.uniqueid if reason is None else "<unknown>",
        "CallerIDNum": caller.num, "CallerIDName": caller.name,
    }
    engine.emit(event("OriginateResponse", CALL, action, fields))
