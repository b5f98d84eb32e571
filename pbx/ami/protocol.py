"""panoramisk's ``AMIProtocol`` with its stream handling fixed.

Kept from panoramisk: ``Action`` (ActionIDs, serialisation, the future) and
``AMIProtocol.send``. Replaced:

- bytes are framed by ``AmiFrameDecoder`` (split UTF-8 survives, 64 KiB cap)
  instead of decoding each TCP chunk with ``errors='ignore'`` and buffering
  without limit;
- a reply is a list only when Asterisk says so (``EventList: start``) and ends
  at ``EventList: Complete``; panoramisk guesses from the message text, which
  folds ``OriginateResponse`` into the Originate's result (the event is never
  dispatched) or raises ``KeyError`` when there is no ``Async`` header;
- events go to one synchronous sink in arrival order, not to
  ``Manager.dispatch``;
- when the connection is lost, pending actions fail with ``ConnectionError``;
  panoramisk queues them to re-send after reconnecting (a second Originate);
- header values with CR or LF are refused; panoramisk writes them verbatim,
  which lets a value inject headers or whole actions.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping

from panoramisk.actions import Action
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

from pbx.ami.framing import MAX_MESSAGE_BYTES, AmiFrameDecoder

log = logging.getLogger(__name__)

EventSink = Callable[[Message], None]
ActionHeaders = Mapping[str, str | list[str]]
Reply = Message | list[Message]


class AmiProtocol(AMIProtocol):
    """One AMI connection: framing, action/reply correlation, events to a sink."""

    def __init__(self, on_event: EventSink, *, max_message_bytes: int = MAX_MESSAGE_BYTES) -> None:
        self.on_event = on_event
        self.decoder = AmiFrameDecoder(max_message_bytes)
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.log = log
        self.encoding = "utf-8"

    def data_received(self, data: bytes) -> None:
        for message in self.decoder.feed(data):
            self.handle_message(message)
        self.version = self.decoder.version

    async def request(self, headers: ActionHeaders, timeout: float) -> Reply:
        """Send an action; return its Response, or for a list action every
        message through the one that completes the list."""
        refuse_line_breaks(headers)
        if self.closed:
            raise ConnectionError("AMI connection is closed")
        action = Action(dict(headers), as_list=False)
        try:
            async with asyncio.timeout(timeout):
                return await self.send(action)
        finally:
            self.responses.pop(action.id, None)

    def handle_message(self, message: Message) -> None:
        action = self.responses.get(message.action_id) if message.action_id else None
        if action is None or (not action.responses and "response" not in message):
            if "event" in message:
                self.on_event(message)
            else:
                log.debug("AMI reply nobody waits for: %r", message)
            return
        action.responses.append(message)
        if len(action.responses) == 1:
            if message.get("EventList", "").lower() != "start":
                self._complete(action, message)
        elif message.get("EventList", "").lower() == "complete":
            self._complete(action, list(action.responses))

    def _complete(self, action: Action, reply: Reply) -> None:
        self.responses.pop(action.id, None)
        if not action.future.done():
            action.future.set_result(reply)

    def close(self) -> None:
        """Drop the connection now; pending actions fail."""
        self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        for action in self.responses.values():
            if not action.future.done():
                action.future.set_exception(ConnectionError(f"AMI connection lost before {action.get('Action')} was answered"))
        self.responses.clear()
        if not self.lost.done():
            self.lost.set_result(None)


def refuse_line_breaks(headers: ActionHeaders) -> None:
    """Raise ValueError if any key or value would break out of its header line."""
    for key, value in headers.items():
        for text in (key, *(value if isinstance(value, list) else [value])):
            if "\r" in str(text) or "\n" in str(text):
                raise ValueError(f"line break in AMI header {key!r}")
