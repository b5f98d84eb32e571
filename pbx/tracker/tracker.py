"""The call tracker: AMI events in, call records and domain events out.

One call per ``Linkedid``. The call's *origin* is its first channel seen ringing
(state 4) in a trunk context (an inbound call) or an agent context (a call a
manager placed: outbound if it dials a trunk, internal if it dials a manager).
A Local channel's ;2 half in an agent context is never an origin: it is a
manager's phone being rung. When AMI Originate rings one (click-to-call:
``Local/<ext>@<agent context>`` into the outbound context), the Originate's own
dial (``DialBegin`` with only ``Dest*`` fields) starts the call: its origin is
the originated channel, which dials the client once the manager picks up; the
manager's phone is the call's first leg, and if it is not answered the call is
``failed``. The *anchor* is the channel managers talk with: the origin, or the transferee
after a blind transfer. Every dial or queue attempt from the anchor to a
manager is a leg; the call is answered when a manager's channel shares a bridge
with the anchor (or the queue says ``AgentConnect``). A Dial of several
managers at once makes one leg each: the one who answers is ``answered``, the
others ``cancel``. A call that ends in the VoiceMail app (``Newexten``
VoiceMail, then ``VMSTATUS``) is answered by no manager: it is ``missed``, with
the mailbox in ``voicemail`` when a message was left.

A call ends when the last of its channels hangs up, but it is finalised (and
``call.ended`` published) only once the origin's CDR is in, so the PBX's own
account can correct the times: at that last hangup if the CDR came first,
otherwise at the next ``expire()`` (by then the whole CDR batch, one record per
dial or queue attempt, has arrived), or ``cdr_linger_seconds`` after the hangup
when no CDR ever comes.

Between connects, ``close_stale`` ends the calls a periodic listing no longer
shows and that have had no event since it was asked for: a lost ``Hangup``
(a damaged frame) would otherwise leave one open for good.

After a (re)connect, or when this instance takes over the AMI stream, ``resync``
reads Asterisk's live channels (``CoreShowChannels``): a call none of whose
channels are left ends then; a call followed before forgets the channels that
hung up meanwhile and takes in the new ones; a call never seen is adopted, its
origin found from its first channel and its record opened as the events would
have opened it, started ``Duration`` ago. Listed manager channels become legs
(rung when they were created), and the one in the anchor's bridge, or up with
it, answered. When it answered the listing does not say: the record takes the
earliest it can have been, the leg's creation, until the origin's CDR corrects
it. What happened before is lost: legs that rang and ended, the recording file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum, auto

from callcenter.bus import CALL_ANSWERED, CALL_ENDED, CALL_RINGING, CALL_STARTED, DomainEvent
from callcenter.phones import normalize_phone
from pbx.tracker.channels import ChannelName, dialled_resource, parse_channel
from pbx.tracker.listing import ListedChannel, read_listing
from pbx.tracker.model import CallLeg, CallRecord, Direction, Disposition, LegResult
from pbx.tracker.timing import CdrEntry, event_time, reconcile

log = logging.getLogger(__name__)

Event = Mapping[str, str]
Handler = Callable[[Event, datetime], list[DomainEvent]]

RING_STATE = "4"
SUCCESS = "Success"
RECENTLY_FINISHED = 10_000  # linkedids remembered after the end, to drop late stragglers
UNKNOWN_NAMES = frozenset({"", "<unknown>"})
WATCHED_VARIABLES = frozenset({"MIXMONITOR_FILENAME", "DIALSTATUS", "QUEUESTATUS", "VMSTATUS"})
VOICEMAIL_APP, QUEUE_APP, DIAL_APP = "VoiceMail", "Queue", "Dial"
VOICEMAIL_LEFT, VOICEMAIL_FAILED = "VOICEMAIL", "VOICEMAIL_FAILED"  # VMSTATUS SUCCESS / FAILED as outcomes
VOICEMAIL_OUTCOMES = {"SUCCESS": VOICEMAIL_LEFT, "FAILED": VOICEMAIL_FAILED}  # USEREXIT: the dialplan goes on

LEG_RESULTS = {
    "ANSWER": LegResult.ANSWERED,
    "NOANSWER": LegResult.NOANSWER,
    "BUSY": LegResult.BUSY,
    "CANCEL": LegResult.CANCEL,
    "CONGESTION": LegResult.FAILED,
    "CHANUNAVAIL": LegResult.FAILED,
}

# The PBX's last word on an unanswered call (DIALSTATUS, QUEUESTATUS, a queue
# abandon) and what it makes of the call.
OUTCOMES = {
    "NOANSWER": Disposition.MISSED,
    "TIMEOUT": Disposition.MISSED,
    "BUSY": Disposition.BUSY,
    "CHANUNAVAIL": Disposition.FAILED,
    "CONGESTION": Disposition.FAILED,
    "FULL": Disposition.FAILED,
    "JOINEMPTY": Disposition.FAILED,
    "LEAVEEMPTY": Disposition.FAILED,
    "JOINUNAVAIL": Disposition.FAILED,
    "LEAVEUNAVAIL": Disposition.FAILED,
    "UNKNOWN": Disposition.FAILED,  # Queue() of a queue that does not exist
    "CANCEL": Disposition.ABANDONED,
    "ABANDON": Disposition.ABANDONED,
    VOICEMAIL_LEFT: Disposition.MISSED,
    VOICEMAIL_FAILED: Disposition.FAILED,
}
QUEUE_ABANDON = "ABANDON"
MANAGER_UNREACHED = "MANAGER_UNREACHED"  # a click-to-call whose manager did not pick up


@dataclass(frozen=True)
class TrackerConfig:
    trunk_contexts: frozenset[str] = frozenset({"from-pstn"})  # inbound calls start here
    agent_contexts: frozenset[str] = frozenset({"sim-agent"})  # Local/<ext>@<ctx> is manager <ext>
    region: str = "RU"
    cdr_linger_seconds: float = 5.0


class _Kind(Enum):
    """What a call adopted from the channel listing is, by its origin."""

    INBOUND = auto()
    PLACED = auto()  # by a manager from their phone
    ORIGINATED = auto()  # click-to-call: AMI Originate rang the manager's phone


@dataclass(eq=False)
class _Call:
    """What the tracker keeps about one ``Linkedid`` until the call is finalised."""

    linkedid: str
    names: dict[str, str] = field(default_factory=dict)  # uniqueid -> channel name, every channel seen
    live: set[str] = field(default_factory=set)  # uniqueids not hung up yet
    record: CallRecord | None = None  # None until the origin is known
    origin: str | None = None
    anchor: str | None = None
    manager: str | None = None  # extension of the manager who placed an outbound or internal call
    originated: bool = False  # AMI Originate rang the manager's phone (click-to-call)
    dialled: bool = False  # the origin has dialled, so the direction is settled
    legs: dict[str, CallLeg] = field(default_factory=dict)  # by the rung channel's uniqueid
    talkers: dict[str, str] = field(default_factory=dict)  # uniqueid -> extension credited when bridged with the anchor
    bridges: dict[str, set[str]] = field(default_factory=dict)
    outcome: str | None = None  # the PBX's last word on the attempt: DIALSTATUS, QUEUESTATUS, ABANDON, voicemail
    mailbox: str | None = None  # where the anchor's VoiceMail app takes the message
    cdrs: list[CdrEntry] = field(default_factory=list)
    hung_up_at: datetime | None = None  # set when the last channel hung up
    touched: datetime | None = None  # when its last event came


class CallTracker:
    """Folds AMI events into call records; pure, no I/O."""

    def __init__(self, config: TrackerConfig = TrackerConfig()) -> None:
        self.config = config
        self._calls: dict[str, _Call] = {}  # by linkedid
        self._origins: dict[str, _Call] = {}  # by the origin's uniqueid, for its CDRs
        self._ending: dict[str, _Call] = {}  # all channels gone, waiting for the CDR
        self._finished: dict[str, None] = {}  # recently finalised linkedids, oldest first
        self._handlers: dict[str, Handler] = {
            "Newchannel": self._on_newchannel,
            "Newstate": self._on_newstate,
            "NewCallerid": self._on_newcallerid,
            "Newexten": self._on_newexten,
            "DialBegin": self._on_dialbegin,
            "DialEnd": self._on_dialend,
            "BridgeEnter": self._on_bridgeenter,
            "BridgeLeave": self._on_bridgeleave,
            "Hangup": self._on_hangup,
            "VarSet": self._on_varset,
            "QueueCallerJoin": self._on_queuecallerjoin,
            "QueueCallerAbandon": self._on_queuecallerabandon,
            "AgentCalled": self._on_agentcalled,
            "AgentRingNoAnswer": self._on_agentringnoanswer,
            "AgentConnect": self._on_agentconnect,
            "BlindTransfer": self._on_blindtransfer,
            "AttendedTransfer": self._on_attendedtransfer,
            "Cdr": self._on_cdr,
        }

    # -- public API --------------------------------------------------------

    def handle(self, event: Event, now: datetime) -> list[DomainEvent]:
        """Fold one AMI event in; return what it made happen."""
        try:
            handler = self._handlers.get(event.get("Event"))  # type: ignore[arg-type]
            published = handler(event, now) if handler is not None else []
            if (call := self._calls.get(event.get("Linkedid", ""))) is not None:
                call.touched = now
            return published
        except Exception:  # a malformed event must never stop the stream
            log.debug("ignored malformed event %r", event, exc_info=True)
            return []

    def expire(self, now: datetime) -> list[DomainEvent]:
        """Finalise hung-up calls whose CDR has arrived or whose linger ran out."""
        events: list[DomainEvent] = []
        for call in list(self._ending.values()):
            assert call.hung_up_at is not None
            if call.cdrs or (now - call.hung_up_at).total_seconds() >= self.config.cdr_linger_seconds:
                events += self._finish(call, call.hung_up_at)
        return events

    def resync(self, channels: Iterable[Event], now: datetime) -> list[DomainEvent]:
        """After a (re)connect, line the calls up with Asterisk's live channels (``CoreShowChannel`` rows):
        close the calls none of whose channels are left, catch up on what the others did meanwhile, and
        adopt the calls that started while nobody was listening."""
        listing = read_listing(channels, now)
        events: list[DomainEvent] = []
        for call in list(self._calls.values()):
            if call.hung_up_at is not None:
                continue
            listed = listing.pop(call.linkedid, [])
            if call.record is None:  # its origin never showed: adopt it afresh below, if it is still there
                del self._calls[call.linkedid]
                if listed:
                    listing[call.linkedid] = listed
            elif listed:
                events += self._catch_up(call, call.record, listed, now)
            else:
                events += self._finish(call, now, unknown_outcome=Disposition.MISSED)
        for linkedid, listed in listing.items():
            if linkedid not in self._finished:
                events += self._adopt(listed)
                if (adopted := self._calls.get(linkedid)) is not None:
                    adopted.touched = now
        return events

    def close_stale(self, channels: Iterable[Event], asked_at: datetime) -> list[DomainEvent]:
        """Between connects, against a channel listing asked for at ``asked_at``: the calls none of whose
        channels are listed and that had no event since are over (their last ``Hangup`` was lost). Each
        ends at its last event; the listing's new calls are left to their events."""
        listed = {row.get("Linkedid") for row in channels}
        events: list[DomainEvent] = []
        for call in list(self._calls.values()):
            if call.hung_up_at is not None or call.linkedid in listed or (call.touched or asked_at) >= asked_at:
                continue
            if call.record is None:
                del self._calls[call.linkedid]
            else:
                assert call.touched is not None
                log.warning("call %s: no channel left and no Hangup heard; ended at its last event", call.linkedid)
                events += self._finish(call, call.touched, unknown_outcome=Disposition.MISSED)
        return events

    def live_calls(self) -> list[CallRecord]:
        """Calls some channel of which is still up."""
        return [
            _snapshot(call.record)
            for call in self._calls.values()
            if call.record is not None and call.hung_up_at is None
        ]

    # -- channels ----------------------------------------------------------

    def _on_newchannel(self, event: Event, now: datetime) -> list[DomainEvent]:
        linkedid, uniqueid = event.get("Linkedid"), event.get("Uniqueid")
        if not linkedid or not uniqueid or linkedid in self._finished:
            return []
        call = self._calls.get(linkedid)
        if call is None:
            if uniqueid != linkedid:  # joined a call whose start we did not see
                return []
            call = self._calls[linkedid] = _Call(linkedid)
        if uniqueid in call.names:  # replayed
            return []
        name = event.get("Channel", "")
        call.names[uniqueid] = name
        call.live.add(uniqueid)
        if call.record is not None:
            call.record.channels.append(name)
        return self._start_if_origin(call, event, now)

    def _on_newstate(self, event: Event, now: datetime) -> list[DomainEvent]:
        call = self._calls.get(event.get("Linkedid", ""))
        if call is None or event.get("Uniqueid") not in call.live:
            return []
        return self._start_if_origin(call, event, now)

    def _on_newcallerid(self, event: Event, now: datetime) -> list[DomainEvent]:
        """An inbound caller's number may come late. A manager who places a call stays its caller: the
        number the dialplan presents to the callee (``CALLERID(num)`` = the department's) is not theirs."""
        call, record = self._call_with_record(event)
        if record is not None and record.direction is Direction.INBOUND and event.get("Uniqueid") == call.origin:
            self._set_caller(record, event)
        return []

    def _on_hangup(self, event: Event, now: datetime) -> list[DomainEvent]:
        call = self._calls.get(event.get("Linkedid", ""))
        uniqueid = event.get("Uniqueid", "")
        if call is None or uniqueid not in call.live:
            return []
        call.live.discard(uniqueid)
        at = event_time(event, now)
        record = call.record
        if record is not None:
            if uniqueid == call.origin:
                record.hangup_cause = _int_or_none(event.get("Cause"))
                record.hangup_cause_text = event.get("Cause-txt", "")
            leg = call.legs.get(uniqueid)
            if leg is not None and leg.ended_at is None:
                leg.ended_at = at
        if call.live:
            return []
        if record is None:
            self._forget(call)
            return []
        call.hung_up_at = at
        if call.cdrs:
            return self._finish(call, at)
        self._ending[call.linkedid] = call
        return []

    def _on_varset(self, event: Event, now: datetime) -> list[DomainEvent]:
        variable = event.get("Variable")
        if variable not in WATCHED_VARIABLES:
            return []
        call = self._calls.get(event.get("Linkedid", ""))
        if call is None or call.record is None:
            return []
        value = event.get("Value", "")
        if variable == "MIXMONITOR_FILENAME":
            if value and call.record.recording_file is None:
                call.record.recording_file = value
        elif event.get("Uniqueid") == call.anchor:
            if variable != "VMSTATUS":
                call.outcome = value or None
            elif value in VOICEMAIL_OUTCOMES:
                call.outcome = VOICEMAIL_OUTCOMES[value]
                call.record.voicemail = call.mailbox if value == "SUCCESS" else None
        return []

    def _on_newexten(self, event: Event, now: datetime) -> list[DomainEvent]:
        if event.get("Application") != VOICEMAIL_APP:
            return []
        call = self._calls.get(event.get("Linkedid", ""))
        if call is not None and event.get("Uniqueid") == call.anchor:
            call.mailbox = event.get("AppData", "").split(",", 1)[0] or None
        return []

    def _on_cdr(self, event: Event, now: datetime) -> list[DomainEvent]:
        call = self._origins.get(event.get("UniqueID", ""))
        entry = CdrEntry.from_event(event) if call is not None else None
        if call is not None and entry is not None:
            # an originated channel is answered by the manager, before the client: its CDR's answer is not the call's
            call.cdrs.append(replace(entry, answered=False) if call.originated else entry)
        return []

    # -- dialling and queues -------------------------------------------------

    def _on_dialbegin(self, event: Event, now: datetime) -> list[DomainEvent]:
        if "Uniqueid" not in event:
            return self._on_originate_dial(event, now)
        started = self._start_by_dialling(event, now)
        call, record = self._call_with_record(event)
        target_id = event.get("DestUniqueid")
        if record is None or not target_id or event.get("Uniqueid") != call.anchor or target_id in call.talkers:
            return started  # not ours, the Originate's own dial, or a replay
        target = parse_channel(event.get("DestChannel", ""))
        external = self._is_external(target, event.get("DestContext", ""))
        if not call.dialled and call.anchor == call.origin and record.direction is not Direction.INBOUND:
            self._settle_direction(record, external, event.get("DialString", ""))
        call.dialled = True
        if external:
            if call.manager is not None:
                call.talkers[target_id] = call.manager
            return started
        if target is None:
            return started
        return started + self._ring(
            call, record, target_id, target.resource, event.get("DestChannel", ""), event_time(event, now), None
        )

    def _settle_direction(self, record: CallRecord, external: bool, dial_string: str) -> None:
        """A manager's first dial tells: a trunk is an outbound call (to the number dialled), a manager internal."""
        record.direction = Direction.OUTBOUND if external else Direction.INTERNAL
        dialled = dialled_resource(dial_string)
        number = normalize_phone(dialled, self.config.region) if external else None
        if number is not None:  # more exact than the extension typed, which may carry an outside-line prefix
            record.callee_raw, record.callee_number = dialled, number

    def _start_by_dialling(self, event: Event, now: datetime) -> list[DomainEvent]:
        """A manager's phone called up by AMI Originate (click-to-call) never rings in: its dial starts the call."""
        call = self._calls.get(event.get("Linkedid", ""))
        if call is None or call.origin is not None or event.get("Uniqueid") not in call.live:
            return []
        return self._start(call, event, now)

    def _on_originate_dial(self, event: Event, now: datetime) -> list[DomainEvent]:
        """AMI Originate's own dial: of a manager's phone, it starts the call the manager places."""
        call = self._calls.get(event.get("DestLinkedid", ""))
        uniqueid = event.get("DestUniqueid", "")
        own = parse_channel(event.get("DestChannel", ""))
        if (call is None or call.origin is not None or uniqueid not in call.live or own is None
                or event.get("DestContext") not in self.config.agent_contexts):
            return []
        return self._open_originated(
            call, uniqueid, own.resource, event.get("DestCallerIDName", ""), event_time(event, now)
        )

    def _open_originated(
        self, call: _Call, uniqueid: str, manager: str, shown: str, at: datetime
    ) -> list[DomainEvent]:
        """The call a manager places from the phone AMI Originate rang: the originated channel is the origin
        and the manager's first leg. ``shown`` is the caller ID name the phone showed: click-to-call shows the
        number it will dial, and until the dial settles it (_settle_direction) a phone number there is the callee."""
        record = CallRecord(
            linkedid=call.linkedid, direction=Direction.INTERNAL, started_at=at,
            caller_raw=manager, channels=list(call.names.values()),
        )
        number = normalize_phone(shown, self.config.region)
        if number is not None:
            record.direction, record.callee_raw, record.callee_number = Direction.OUTBOUND, shown, number
        call.manager, call.originated = manager, True
        self._begin(call, record, uniqueid)
        ring = self._ring(call, record, uniqueid, manager, call.names.get(uniqueid, ""), at, None)
        return [_announce(CALL_STARTED, record), *ring]

    def _on_dialend(self, event: Event, now: datetime) -> list[DomainEvent]:
        if "Uniqueid" not in event:
            return self._on_originate_dial_end(event, now)
        call, record = self._call_with_record(event)
        if record is None:
            return []
        status = event.get("DialStatus", "")
        if event.get("Uniqueid") == call.anchor and status:
            call.outcome = status
        leg = call.legs.get(event.get("DestUniqueid", ""))
        result = LEG_RESULTS.get(status)
        if leg is not None and result is not None:
            _close_leg(leg, result, event_time(event, now))
        return []

    def _on_originate_dial_end(self, event: Event, now: datetime) -> list[DomainEvent]:
        """Whether the manager picked up a click-to-call; if not, it failed."""
        call = self._calls.get(event.get("DestLinkedid", ""))
        leg = call.legs.get(event.get("DestUniqueid", "")) if call is not None and call.originated else None
        result = LEG_RESULTS.get(event.get("DialStatus", ""))
        if leg is None or result is None:
            return []
        _close_leg(leg, result, event_time(event, now))
        if result is not LegResult.ANSWERED:
            call.outcome = MANAGER_UNREACHED
        return []

    def _on_queuecallerjoin(self, event: Event, now: datetime) -> list[DomainEvent]:
        call, record = self._call_with_record(event)
        if record is not None and event.get("Uniqueid") == call.anchor:
            record.queue = event.get("Queue") or record.queue
        return []

    def _on_queuecallerabandon(self, event: Event, now: datetime) -> list[DomainEvent]:
        # Sent on a queue timeout too; a QUEUESTATUS=TIMEOUT after it overrides it.
        call, record = self._call_with_record(event)
        if record is not None and event.get("Uniqueid") == call.anchor:
            call.outcome = QUEUE_ABANDON
        return []

    def _on_agentcalled(self, event: Event, now: datetime) -> list[DomainEvent]:
        call, record = self._call_with_record(event)
        target_id = event.get("DestUniqueid")
        if record is None or not target_id or event.get("Uniqueid") != call.anchor:
            return []
        queue = event.get("Queue") or None
        leg = call.legs.get(target_id)
        if leg is not None:  # its DialBegin came first, or a replay
            leg.queue = leg.queue or queue
            return []
        member = parse_channel(event.get("Interface", ""))
        if member is None:
            return []
        return self._ring(
            call, record, target_id, member.resource, event.get("DestChannel", ""), event_time(event, now), queue
        )

    def _on_agentringnoanswer(self, event: Event, now: datetime) -> list[DomainEvent]:
        call, record = self._call_with_record(event)
        leg = call.legs.get(event.get("DestUniqueid", "")) if record is not None else None
        if leg is not None:
            _close_leg(leg, LegResult.NOANSWER, event_time(event, now))
        return []

    def _on_agentconnect(self, event: Event, now: datetime) -> list[DomainEvent]:
        call, record = self._call_with_record(event)
        leg = call.legs.get(event.get("DestUniqueid", "")) if record is not None else None
        if record is None or leg is None:
            return []
        at = event_time(event, now)
        _close_leg(leg, LegResult.ANSWERED, at)
        return self._answer(record, leg.extension, at)

    # -- bridges and transfers -----------------------------------------------

    def _on_bridgeenter(self, event: Event, now: datetime) -> list[DomainEvent]:
        call, record = self._call_with_record(event)
        bridge, uniqueid = event.get("BridgeUniqueid"), event.get("Uniqueid", "")
        if record is None or not bridge or uniqueid not in call.live:
            return []
        members = call.bridges.setdefault(bridge, set())
        members.add(uniqueid)
        if call.anchor not in members:
            return []
        # prefer the channel that just came in: after a transfer the bridge may hold an old talker too
        talker = next((m for m in (uniqueid, *members) if m != call.anchor and m in call.talkers), None)
        if talker is None:
            return []
        at = event_time(event, now)
        leg = call.legs.get(talker)
        if leg is not None:
            _close_leg(leg, LegResult.ANSWERED, at)
        return self._answer(record, call.talkers[talker], at)

    def _on_bridgeleave(self, event: Event, now: datetime) -> list[DomainEvent]:
        call = self._calls.get(event.get("Linkedid", ""))
        bridge = event.get("BridgeUniqueid", "")
        members = call.bridges.get(bridge) if call is not None else None
        if call is not None and members is not None:
            members.discard(event.get("Uniqueid", ""))
            if not members:
                del call.bridges[bridge]
        return []

    def _on_blindtransfer(self, event: Event, now: datetime) -> list[DomainEvent]:
        """The transferee goes on to dial the target itself: managers now talk with it."""
        call = self._calls.get(event.get("TransfereeLinkedid", ""))
        transferee = event.get("TransfereeUniqueid", "")
        if call is not None and event.get("Result", SUCCESS) == SUCCESS and transferee in call.live:
            call.anchor = transferee
        return []

    def _on_attendedtransfer(self, event: Event, now: datetime) -> list[DomainEvent]:
        """The transferee is joined with the consulted manager, whose channel belongs to another call."""
        call = self._calls.get(event.get("TransfereeLinkedid", ""))
        target = parse_channel(event.get("TransferTargetChannel", ""))
        if call is None or call.record is None or target is None or event.get("Result", SUCCESS) != SUCCESS:
            return []
        return self._answer(call.record, target.resource, event_time(event, now))

    # -- building the record ---------------------------------------------------

    def _start_if_origin(self, call: _Call, event: Event, now: datetime) -> list[DomainEvent]:
        """The first channel ringing in a trunk or agent context starts the call, unless it rings a manager."""
        if call.origin is not None or event.get("ChannelState") != RING_STATE or self._rings_manager(event):
            return []
        return self._start(call, event, now)

    def _rings_manager(self, event: Event) -> bool:
        """The ;2 half of ``Local/<ext>@<agent context>``: a manager's phone being rung (Dial, Queue, Originate)."""
        name = event.get("Channel", "")
        own = parse_channel(name)
        return (own is not None and own.tech == "Local" and name.endswith(";2")
                and own.context in self.config.agent_contexts)

    def _start(self, call: _Call, event: Event, now: datetime) -> list[DomainEvent]:
        context = event.get("Context", "")
        inbound = context in self.config.trunk_contexts
        if not inbound and context not in self.config.agent_contexts:
            return []
        return self._open(call, event, event_time(event, now), inbound)

    def _open(self, call: _Call, origin: Event, at: datetime, inbound: bool) -> list[DomainEvent]:
        """The origin's snapshot (an event's, or a listed channel's) opens the record: an inbound call, or
        one a manager placed from their phone."""
        uniqueid, exten = origin.get("Uniqueid", ""), origin.get("Exten", "")
        record = CallRecord(
            linkedid=call.linkedid,
            direction=Direction.INBOUND,
            started_at=at,
            channels=list(call.names.values()),
        )
        self._set_caller(record, origin)
        if inbound:
            record.did = exten or None
        else:  # until it dials: a phone number is an outbound call, anything else an extension
            record.callee_raw = exten
            record.callee_number = normalize_phone(exten, self.config.region)
            record.direction = Direction.OUTBOUND if record.callee_number else Direction.INTERNAL
            own = parse_channel(call.names.get(uniqueid, ""))
            call.manager = own.resource if own is not None else record.caller_raw
        self._begin(call, record, uniqueid)
        return [_announce(CALL_STARTED, record)]

    def _begin(self, call: _Call, record: CallRecord, origin: str) -> None:
        call.record, call.origin, call.anchor = record, origin, origin
        self._origins[origin] = call

    def _set_caller(self, record: CallRecord, event: Event) -> None:
        record.caller_raw = event.get("CallerIDNum", "")
        record.caller_number = normalize_phone(record.caller_raw, self.config.region)
        name = event.get("CallerIDName", "")
        record.caller_name = "" if name in UNKNOWN_NAMES else name

    def _ring(
        self, call: _Call, record: CallRecord, target_id: str, extension: str, channel: str, at: datetime,
        queue: str | None,
    ) -> list[DomainEvent]:
        leg = CallLeg(extension, channel, at, queue=queue)
        call.legs[target_id] = leg
        call.talkers[target_id] = extension
        record.legs.append(leg)
        return [_announce(CALL_RINGING, record)]

    def _answer(self, record: CallRecord, extension: str, at: datetime) -> list[DomainEvent]:
        """A manager talks with the call; the first time, it is answered."""
        record.answered_by = extension
        if record.answered_at is not None:
            return []
        record.answered_at = at
        return [_announce(CALL_ANSWERED, record)]

    def _is_external(self, target: ChannelName | None, context: str) -> bool:
        """A dial target outside the office: a trunk, or a Local channel into a non-agent context."""
        if target is not None and target.context is not None:
            return target.context not in self.config.agent_contexts
        return context in self.config.trunk_contexts

    def _call_with_record(self, event: Event) -> tuple[_Call, CallRecord] | tuple[None, None]:
        call = self._calls.get(event.get("Linkedid", ""))
        if call is None or call.record is None:
            return None, None
        return call, call.record

    # -- catching up from the channel listing -----------------------------------------

    def _adopt(self, listed: list[ListedChannel]) -> list[DomainEvent]:
        """A call that started unseen, opened from its origin's row as the events would have opened it."""
        found = self._listed_origin(listed)
        if found is None:
            return []
        origin, kind = found
        call = _Call(origin.linkedid)
        for channel in listed:
            call.names[channel.uniqueid] = channel.name
            call.live.add(channel.uniqueid)
        if kind is _Kind.ORIGINATED:
            own = parse_channel(origin.name)
            assert own is not None  # _listed_origin parsed it
            events = self._open_originated(
                call, origin.uniqueid, own.resource, origin.row.get("CallerIDName", ""), origin.created_at
            )
            if origin.up:  # the manager picked up
                _close_leg(call.legs[origin.uniqueid], LegResult.ANSWERED, origin.created_at)
        else:
            events = self._open(call, origin.row, origin.created_at, inbound=kind is _Kind.INBOUND)
        assert call.record is not None
        self._calls[call.linkedid] = call
        return events + self._take_in(call, call.record, listed)

    def _listed_origin(self, listed: list[ListedChannel]) -> tuple[ListedChannel, _Kind] | None:
        """The call's first channel (``Uniqueid == Linkedid``) tells what it is: a channel in a trunk context
        an inbound call, in an agent context a manager's phone placing one. Of Local channels the name
        tells: the ;1 half of ``Local/<DID>@<trunk context>`` is an inbound caller whose ;2 half is the
        origin, that of ``Local/<ext>@<agent context>`` the phone AMI Originate rang (click-to-call)."""
        first = listed[0]
        own = parse_channel(first.name)
        if first.uniqueid != first.linkedid or own is None:
            return None
        if own.tech != "Local":
            if first.context in self.config.trunk_contexts:
                return first, _Kind.INBOUND
            return (first, _Kind.PLACED) if first.context in self.config.agent_contexts else None
        if not first.name.endswith(";1"):
            return None
        if own.context in self.config.agent_contexts:
            return first, _Kind.ORIGINATED
        second = first.name.removesuffix(";1") + ";2"
        origin = next((channel for channel in listed if channel.name == second), None)
        return (origin, _Kind.INBOUND) if origin is not None and own.context in self.config.trunk_contexts else None

    def _catch_up(
        self, call: _Call, record: CallRecord, listed: list[ListedChannel], now: datetime
    ) -> list[DomainEvent]:
        """A call followed before the outage: forget the channels that hung up meanwhile, take in the new."""
        present = {channel.uniqueid for channel in listed}
        for uniqueid in call.live - present:
            call.live.discard(uniqueid)
            leg = call.legs.get(uniqueid)
            if leg is not None and leg.ended_at is None:
                leg.ended_at = now
        new = [channel for channel in listed if channel.uniqueid not in call.names]
        for channel in new:
            call.names[channel.uniqueid] = channel.name
            call.live.add(channel.uniqueid)
            record.channels.append(channel.name)
        return self._take_in(call, record, listed, new)

    def _take_in(
        self, call: _Call, record: CallRecord, listed: list[ListedChannel], new: list[ListedChannel] | None = None
    ) -> list[DomainEvent]:
        """What the listing says of the call now: what the anchor runs, the ``new`` channels (default: all) as
        legs or as the party a placing manager talks with, the bridges, and who talks."""
        anchor = next((channel for channel in listed if channel.uniqueid == call.anchor), None)
        queue = self._note_application(call, record, anchor) if anchor is not None else None
        events: list[DomainEvent] = []
        for channel in listed if new is None else new:
            if channel.uniqueid != call.origin:
                events += self._take_in_channel(call, record, channel, queue)
        if anchor is not None and anchor.application == DIAL_APP:
            self._settle_listed_dial(call, record, anchor)
        call.bridges = {}
        for channel in listed:
            if channel.bridge:
                call.bridges.setdefault(channel.bridge, set()).add(channel.uniqueid)
        return events + self._answer_from_listing(call, record, listed, anchor)

    def _note_application(self, call: _Call, record: CallRecord, anchor: ListedChannel) -> str | None:
        """The queue the anchor waits in (which rings whoever rings now), or the mailbox it leaves a message in."""
        if anchor.application == VOICEMAIL_APP:
            call.mailbox = anchor.first_argument or None
        if anchor.application != QUEUE_APP:
            return None
        record.queue = record.queue or anchor.first_argument or None
        return record.queue

    def _settle_listed_dial(self, call: _Call, record: CallRecord, anchor: ListedChannel) -> None:
        """The origin's Dial, running when listed, settles the direction as its first DialBegin would have."""
        dialled = call.talkers.keys() - {call.origin}
        if call.dialled or not dialled or anchor.uniqueid != call.origin:
            return
        if record.direction is not Direction.INBOUND:
            external = any(call.talkers[uniqueid] == call.manager for uniqueid in dialled)
            self._settle_direction(record, external, anchor.first_argument)
        call.dialled = True

    def _take_in_channel(
        self, call: _Call, record: CallRecord, channel: ListedChannel, queue: str | None
    ) -> list[DomainEvent]:
        """A Local ;2 half runs a phone or the far party: never a leg. Outside the office (see _is_external)
        is the party a placing manager talks with; any other is a manager's phone, rung by the call, unless
        it is the phone behind a manager's Local channel or the call is that manager's click-to-call."""
        own = parse_channel(channel.name)
        if own is None or channel.name.endswith(";2"):
            return []
        if self._is_external(own, channel.context):
            if call.manager is not None:
                call.talkers[channel.uniqueid] = call.manager
            return []
        if call.originated or self._behind_local(call, channel.uniqueid, own):
            return []
        return self._ring(call, record, channel.uniqueid, own.resource, channel.name, channel.created_at, queue)

    def _behind_local(self, call: _Call, uniqueid: str, own: ChannelName) -> bool:
        """A phone (``PJSIP/101-...``) that a Local channel of the same manager (``Local/101@agents``) dials."""
        return own.tech != "Local" and any(
            other is not None and other.tech == "Local" and other.context in self.config.agent_contexts
            and other.resource == own.resource
            for other in (parse_channel(name) for key, name in call.names.items() if key != uniqueid)
        )

    def _answer_from_listing(
        self, call: _Call, record: CallRecord, listed: list[ListedChannel], anchor: ListedChannel | None
    ) -> list[DomainEvent]:
        """Who talks with the anchor: a talker in its bridge, else one that is up while it is up too. When
        they answered the listing does not say: at the earliest, when their channel was created (the CDR
        corrects it at the end)."""
        if anchor is None:
            return []
        talkers = [c for c in listed if c.uniqueid in call.talkers and c.uniqueid != call.anchor]
        bridged = [c for c in talkers if anchor.bridge and c.bridge == anchor.bridge]
        talker = next(iter(bridged or [c for c in talkers if c.up and anchor.up]), None)
        if talker is None:
            return []
        at = max(talker.created_at, record.started_at)
        leg = call.legs.get(talker.uniqueid)
        if leg is not None:
            _close_leg(leg, LegResult.ANSWERED, at)
        return self._answer(record, call.talkers[talker.uniqueid], at)

    # -- the end -------------------------------------------------------------------

    def _finish(
        self, call: _Call, ended_at: datetime, unknown_outcome: Disposition = Disposition.ABANDONED
    ) -> list[DomainEvent]:
        record = call.record
        assert record is not None
        record.ended_at = ended_at
        for leg in record.legs:
            if leg.result is LegResult.RINGING:
                leg.result = LegResult.CANCEL
            if leg.ended_at is None:
                leg.ended_at = ended_at
        record.disposition = disposition(record, call.outcome, unknown_outcome)
        reconcile(record, call.cdrs)
        self._forget(call)
        return [_announce(CALL_ENDED, record)]  # with its recording_file: recordings/ checks and stores it

    def _forget(self, call: _Call) -> None:
        self._calls.pop(call.linkedid, None)
        self._ending.pop(call.linkedid, None)
        if call.origin is not None:
            self._origins.pop(call.origin, None)
        self._finished[call.linkedid] = None
        if len(self._finished) > RECENTLY_FINISHED:
            del self._finished[next(iter(self._finished))]


def disposition(record: CallRecord, outcome: str | None, unknown_outcome: Disposition) -> Disposition:
    """What an ended call was: answered by a manager, else the PBX's last word (``outcome``) as the legs
    allow; ``unknown_outcome`` when there is none."""
    if record.answered_by is not None:
        return Disposition.ANSWERED
    if outcome == MANAGER_UNREACHED:  # busy or away, the manager's phone is the leg that failed, not the client
        return Disposition.FAILED
    if outcome == VOICEMAIL_LEFT:  # whatever the managers' phones did before, the caller left a message
        return Disposition.MISSED
    results = {leg.result for leg in record.legs}
    if results == {LegResult.BUSY}:
        return Disposition.BUSY
    if results == {LegResult.FAILED}:
        return Disposition.FAILED
    return OUTCOMES.get(outcome or "", unknown_outcome)


def _close_leg(leg: CallLeg, result: LegResult, at: datetime) -> None:
    """Record how a ringing leg ended; the first word is final (a NOANSWER is later CANCELled too)."""
    if leg.result is not LegResult.RINGING:
        return
    leg.result = result
    if result is LegResult.ANSWERED:
        leg.answered_at = at
    else:
        leg.ended_at = at


def _announce(name: str, record: CallRecord) -> DomainEvent:
    return DomainEvent(name, _snapshot(record))


def _snapshot(record: CallRecord) -> CallRecord:
    """A copy that later events cannot change under a subscriber."""
    return replace(record, legs=[replace(leg) for leg in record.legs], channels=list(record.channels))


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
