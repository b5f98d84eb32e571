"""``VoiceMail(<mailbox>,u)``: app_voicemail taking a message, as far as its AMI traces go.

Modelled on Asterisk 22's app_voicemail (no capture of it exists here): the unavailable greeting
and the beep play first (as early media, ``GREETING_SECONDS``); then, before recording, the app
answers the channel (``Newstate`` Up; the Local ``;1`` and so the Originate are answered with it).
The caller's [sim-caller] speaks its audio and hangs up, which ends the recording: the message is
saved (``MessageWaiting`` with the channel's snapshot, as manager_mwi.c sends for a channel that
left a message), ``VMSTATUS=SUCCESS``, and the app returns -1, so the ``h`` extension runs. Every
mailbox exists (voicemail.conf context ``default`` unless ``mailbox@context`` names one); the
message file itself is not written, MixMonitor records the call as usual. A caller who gives up
during the greeting leaves no message and no ``VMSTATUS``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pbx.simulator.channel import UP
from pbx.simulator.events import CALL, CdrRecord, device_state, event

if TYPE_CHECKING:
    from pbx.simulator.call import InboundCall

GREETING_SECONDS = 6.0  # "the person at extension ... is unavailable", vm-intro, beep (assumed length)
VOICEMAIL_CONTEXT = "default"


class VoiceMailApp:
    """The inbound channel at ``VoiceMail(mailbox,u)``; raises CallerHungUp if the caller leaves during the greeting."""

    def __init__(self, call: InboundCall, priority: int, mailbox: str) -> None:
        self.call, self.engine, self.chan = call, call.engine, call.inbound
        self.priority = priority
        self.mailbox = mailbox if "@" in mailbox else f"{mailbox}@{VOICEMAIL_CONTEXT}"
        self.data = f"{mailbox},u"

    async def run(self) -> None:
        call, engine, chan = self.call, self.engine, self.chan
        call.step(self.priority, "VoiceMail", self.data)
        started = engine.clock.now()
        await call.await_outcome([], started + GREETING_SECONDS)
        answered = engine.clock.now()
        call.voicemail = True
        engine.new_state(chan, UP)
        call.originate_succeeds()
        call.customer_up()
        # a new CDR row once a Dial's rows are over: the channel itself, answered by the app
        record = CdrRecord(chan, chan.exten, chan.context, chan.caller, started if call.cdrs else chan.created_at,
                           last_app="VoiceMail", last_data=self.data, answer=answered, disposition="ANSWERED")
        call.cdrs.append(record)
        await call.caller_leaves()
        call.customer_hangs_up()
        record.end = engine.clock.now()
        call.talk = (answered, record.end)
        self._message_saved()
        engine.setvar(chan, "VMSTATUS", "SUCCESS")
        call.hang_up_inbound()
        engine.emit(device_state(call.customer.device, "NOT_INUSE"))

    def _message_saved(self) -> None:
        waiting = self.engine.mailboxes.get(self.mailbox, 0) + 1
        self.engine.mailboxes[self.mailbox] = waiting
        self.engine.emit(event("MessageWaiting", CALL, self.chan.snapshot(), {
            "Mailbox": self.mailbox, "Waiting": "1", "New": str(waiting), "Old": "0"}))
