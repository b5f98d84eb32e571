"""``/api/calls``: the call list, the call card and its recording."""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from accounts.access import CALL_DATA, Principal, data_scope
from api.app import PREFIX, context
from api.errors import NotFound
from api.pagination import Page, PageQuery
from api.registry import Routes
from api.validation import Timestamp
from crm.call_queries import CALL_SORTS, CallCardData, CallFilters, CallQueries
from crm.http.fields import Phone
from crm.leads import utc
from pbx.tracker.model import Direction, Disposition, LegResult
from recordings.files import local_recording
from storage.models import Call, CallLeg, Manager
from qa.eligibility import MIN_TALK_SECONDS, NoConversation, no_conversation_in
from qa.http import ScoreInfo, latest_score, score_info
from transcription.http import TranscriptInfo, transcript_info

routes = Routes("calls")
Verdict = Literal["good", "bad"]


class CallQuery(PageQuery):
    sort: CALL_SORTS.choices() = CALL_SORTS.default  # type: ignore[valid-type]
    from_: AwareDatetime | None = Field(default=None, alias="from", description="Started at or after.")
    to: AwareDatetime | None = Field(default=None, description="Started before.")
    direction: Direction | None = None
    disposition: Disposition | None = None
    manager: int | None = Field(default=None, description="A manager who answered or was rung.")
    phone: Phone | None = Field(default=None, description="The caller's or the callee's number, in any format.")
    client: int | None = None
    q: str | None = Field(default=None, max_length=200, description="Words said in the call (its transcript).")
    source: str | None = Field(default=None, max_length=80, description="The dialled number's marketing source.")
    missed_item: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*$", max_length=80,
                                    description="A script item the call's latest score found missing.")
    mark: Verdict | None = Field(default=None, description="Marked by the head of sales as a good or a bad example.")


class MarkOut(BaseModel):
    """The head of sales' verdict on the call as a training example."""

    model_config = ConfigDict(from_attributes=True)

    verdict: Verdict
    note: str
    marked_at: Timestamp


class CallBase(BaseModel):
    """What the list and the card both show."""

    id: int
    direction: Direction
    disposition: Disposition
    started_at: Timestamp
    answered_at: Timestamp | None
    ended_at: Timestamp | None
    wait_seconds: float | None
    talk_seconds: float
    did: str | None
    source: str | None = Field(description="The dialled number's marketing source.")
    mark: MarkOut | None


class CallSummary(CallBase):
    caller_number: str | None
    caller_name: str
    callee_number: str | None
    client_id: int | None
    answered_by_id: int | None
    answered_by_extension: str | None
    recording_status: str | None
    transcript_status: str | None
    score: float | None = Field(description="The latest score's total, 0-100.")
    score_passed: bool | None


class Party(BaseModel):
    raw: str = Field(description="As the PBX sent it.")
    number: str | None = Field(description="E.164; null for an extension or a withheld number.")
    name: str = ""


class ManagerRef(BaseModel):
    id: int
    name: str
    extension: str


class ClientRef(BaseModel):
    id: int
    name: str


class Leg(BaseModel):
    """One attempt to reach a manager: whom it rang, how long, and what came of it."""

    position: int
    extension: str
    manager: ManagerRef | None
    queue: str | None
    rang_at: Timestamp
    answered_at: Timestamp | None
    ended_at: Timestamp | None
    ring_seconds: float | None
    result: LegResult


class RecordingInfo(BaseModel):
    url: str
    status: str = Field(description="pending, ok, empty (no audio: nobody talked), missing, corrupt or mismatch (see error).")
    error: str
    size_bytes: int | None
    duration_seconds: float | None
    channels: int | None
    sha256: str | None
    layout: str | None = Field(description="split (MixMonitor's -in/-out pair), stereo or mono.")


class CallCard(CallBase):
    linkedid: str
    caller: Party
    callee: Party
    client: ClientRef | None
    queue: str | None
    answered_by: ManagerRef | None
    hangup_cause: int | None
    hangup_cause_text: str
    recovered: bool = Field(description="Rebuilt from the PBX's CDR store: the call ended while no backend "
                            "followed AMI (no hangup cause known, an abandon counts as missed).")
    legs: list[Leg] = Field(description="The routing path, in order.")
    recording: RecordingInfo | None
    transcript: TranscriptInfo | None
    score: ScoreInfo | None = Field(description="The latest score against the sales script (history: /calls/{id}/scores).")
    unscored: NoConversation | None = Field(
        description="Why the call gets no score, having no conversation: not_answered, too_short (under "
                    f"{MIN_TALK_SECONDS:.0f} s of talk) or no_speech (a side of the transcript said nothing); "
                    "null when it is scored, or will be once transcribed."
    )


def _base(call: Call) -> dict[str, object]:
    return {
        "id": call.id,
        "direction": call.direction,
        "disposition": call.disposition,
        "started_at": call.started_at,
        "answered_at": call.answered_at,
        "ended_at": call.ended_at,
        "wait_seconds": call.wait_seconds,
        "talk_seconds": call.talk_seconds,
        "did": call.did,
        "source": call.source,
        "mark": None if call.mark is None else MarkOut.model_validate(call.mark),
    }


def call_summary(call: Call) -> CallSummary:
    return CallSummary(
        **_base(call),
        caller_number=call.caller_number,
        caller_name=call.caller_name,
        callee_number=call.callee_number,
        client_id=call.client_id,
        answered_by_id=call.answered_by_id,
        answered_by_extension=call.answered_by_extension,
        recording_status=call.recording.status if call.recording else None,
        transcript_status=call.transcript.status if call.transcript else None,
        score=latest.total if (latest := latest_score(call.scores)) else None,
        score_passed=latest.passed if latest else None,
    )


def _manager(managers: dict[int, Manager], manager_id: int | None) -> ManagerRef | None:
    manager = managers.get(manager_id) if manager_id is not None else None
    return None if manager is None else ManagerRef(id=manager.id, name=manager.name, extension=manager.extension)


def _leg(leg: CallLeg, managers: dict[int, Manager]) -> Leg:
    stopped = leg.answered_at or leg.ended_at
    return Leg(
        position=leg.position,
        extension=leg.extension,
        manager=_manager(managers, leg.manager_id),
        queue=leg.queue,
        rang_at=leg.rang_at,
        answered_at=leg.answered_at,
        ended_at=leg.ended_at,
        ring_seconds=None if stopped is None else (stopped - leg.rang_at).total_seconds(),
        result=leg.result,
    )


def _card(data: CallCardData) -> CallCard:
    call, recording = data.call, data.call.recording
    return CallCard(
        **_base(call),
        linkedid=call.linkedid,
        caller=Party(raw=call.caller_raw, number=call.caller_number, name=call.caller_name),
        callee=Party(raw=call.callee_raw, number=call.callee_number),
        client=None if data.client is None else ClientRef(id=data.client.id, name=data.client.name),
        queue=call.queue,
        answered_by=_manager(data.managers, call.answered_by_id),
        hangup_cause=call.hangup_cause,
        hangup_cause_text=call.hangup_cause_text,
        recovered=call.recovered,
        legs=[_leg(leg, data.managers) for leg in call.legs],
        recording=None if recording is None else RecordingInfo(
            url=f"{PREFIX}/calls/{call.id}/recording",
            status=recording.status,
            error=recording.error,
            size_bytes=recording.size_bytes,
            duration_seconds=recording.duration_seconds,
            channels=recording.channels,
            sha256=recording.sha256,
            layout=recording.layout,
        ),
        transcript=transcript_info(call.transcript),
        score=score_info(latest_score(call.scores)),
        unscored=no_conversation_in(call),
    )


def _calls(request: web.Request) -> CallQueries:
    return CallQueries(context(request).sessions)


@routes.get("/calls", roles=CALL_DATA, query=CallQuery, response=Page[CallSummary])
async def list_calls(request: web.Request, principal: Principal, query: CallQuery) -> Page[CallSummary]:
    """Calls, newest first by default; filtered, sorted, a page at a time."""
    filters = CallFilters(
        since=utc(query.from_),
        until=utc(query.to),
        direction=query.direction,
        disposition=query.disposition,
        manager_id=query.manager,
        phone=query.phone,
        client_id=query.client,
        said=query.q,
        source=query.source,
        missed_item=query.missed_item,
        mark=query.mark,
    )
    calls, cursor = await _calls(request).page(data_scope(principal), filters, CALL_SORTS.request(query, query.sort))
    return Page[CallSummary](items=[call_summary(call) for call in calls], next_cursor=cursor)


@routes.get("/calls/{call_id}", roles=CALL_DATA, response=CallCard)
async def get_call(request: web.Request, principal: Principal, call_id: int) -> CallCard:
    """The call card: parties, times, routing path, recording, transcript, score."""
    return _card(await _calls(request).card(data_scope(principal), call_id))


@routes.get("/calls/{call_id}/recording", roles=CALL_DATA, produces="audio/wav", errors=(416,))
async def download_recording(request: web.Request, principal: Principal, call_id: int) -> web.FileResponse:
    """The call's recording file; HTTP Range requests give parts of it."""
    recording = await _calls(request).recording(data_scope(principal), call_id)
    settings = context(request).settings
    path = local_recording(recording.path, settings.pbx_recordings_dir, settings.effective_recordings_dir)
    if path is None:
        raise NotFound("the recording file is not available")
    disposition = f'attachment; filename="call-{call_id}{path.suffix}"'
    return web.FileResponse(path, headers={"Content-Disposition": disposition})
