"""Scripts and scores over HTTP: the score part of the call card, a call's score
history, re-scoring a call or a period, the department's scripts, and trying a
script being written on a real call."""

from __future__ import annotations

import asyncio
from dataclasses import asdict

from aiohttp import web
from pydantic import BaseModel, Field

from accounts.access import ASSIGN, CALL_DATA, CONFIGURE, TRY_SCRIPTS, Principal, data_scope
from api.app import context
from api.errors import BadRequest, Conflict, NotFound, Unprocessable
from api.registry import Routes
from api.validation import Schema, Timestamp
from crm.call_queries import CallCardData, CallQueries
from jobs.http import STREAM_ID, QueueDepth, Requeued, queue_depth, requeue_dead
from qa.calibration import CalibrationCall, calibrate, with_example
from qa.conversation import Conversation
from qa.eligibility import MIN_TALK_SECONDS, no_conversation_in
from qa.library import ScriptLibrary
from qa.scoring import Scorer
from qa.script import Direction, ScriptError, parse_script
from storage.models import CallScore, QaScript, Transcript
from transcription.service import Status

routes = Routes("qa")

SCRIPT_NAME = r"[\w.-]{1,80}"
MAX_SCRIPT_BYTES = 256 * 1024
MAX_CALIBRATION_CALLS = 200


class EvidenceOut(BaseModel):
    speaker: str
    quote: str = Field(description="The line(s) as recognised.")
    start: float = Field(description="The second of the recording it was heard at (or the metric refers to).")
    example: str = Field(description="The script's example phrase it matched.")
    similarity: float | None = Field(description="Share of the example's words heard.")


class ItemOut(BaseModel):
    id: str
    title: str
    kind: str = Field(description="phrase, stop_words or metric.")
    weight: float
    critical: bool
    met: bool | None = Field(description="null: not required in this call (its trigger never came).")
    found: bool = Field(description="The phrase or stop words were heard; the metric could be measured.")
    reason: str = Field(description="Why it is (not) met or does not apply, in English.")
    reason_code: str = Field(default="", description="The reason as a key (e.g. not_heard_first), to say in another "
                                                     "language with reason_args; empty for scores stored before codes.")
    reason_args: dict[str, str | float] = Field(default_factory=dict)
    evidence: EvidenceOut | None
    value: float | None = Field(description="A metric's value.")
    closest: EvidenceOut | None = Field(
        default=None, description="Not met: the place that came nearest (below the threshold, or heard outside the "
                                  "item's window): a candidate for a new example.")
    trigger: EvidenceOut | None = Field(
        default=None, description="An item with a trigger: where the trigger was heard, or the place that came nearest.")


class ScoreInfo(BaseModel):
    script_id: int
    script: str
    script_version: int
    total: float = Field(description="0-100: the weight of the items met over that of the items that applied.")
    passed: bool = Field(description="The total reached the script's pass score and no critical item failed.")
    scored_at: Timestamp
    items: list[ItemOut]


def score_info(score: CallScore | None) -> ScoreInfo | None:
    if score is None:
        return None
    return ScoreInfo(
        script_id=score.script_id,
        script=score.script.name,
        script_version=score.script.version,
        total=score.total,
        passed=score.passed,
        scored_at=score.created_at,
        items=[ItemOut(**item) for item in score.items],
    )


def latest_score(scores: list[CallScore]) -> CallScore | None:
    return max(scores, key=_age, default=None)


def _age(score: CallScore) -> tuple:
    """Orders a call's scores oldest first."""
    return score.created_at, score.id


class Scores(BaseModel):
    items: list[ScoreInfo] = Field(description="Every script version's score of the call, newest first.")


@routes.get("/calls/{call_id}/scores", roles=CALL_DATA, response=Scores)
async def call_scores(request: web.Request, principal: Principal, call_id: int) -> Scores:
    """The call's score history: which script version gave which score."""
    card = await CallQueries(context(request).sessions).card(data_scope(principal), call_id)
    newest_first = sorted(card.call.scores, key=_age, reverse=True)
    return Scores(items=[score_info(score) for score in newest_first])


class Rescore(Schema):
    script_id: int | None = Field(default=None, description="A script version; default: the active one fitting each call.")


class RescorePeriod(Rescore):
    since: Timestamp = Field(description="Calls started at or after this...")
    until: Timestamp = Field(description="...and before this.")


class Queued(BaseModel):
    queued: int = Field(description="Calls queued for scoring.")


@routes.post("/calls/{call_id}/score", roles=ASSIGN, body=Rescore, response=Queued, status=202)
async def rescore_call(request: web.Request, principal: Principal, call_id: int, body: Rescore) -> Queued:
    """Score the call again (it needs a finished transcript), e.g. after the script changed."""
    ctx = context(request)
    _finished_transcript(await CallQueries(ctx.sessions).card(data_scope(principal), call_id))
    await _require_script(request, body.script_id)
    await ctx.qa.enqueue(call_id, body.script_id)
    return Queued(queued=1)


@routes.post("/qa/rescore", roles=ASSIGN, body=RescorePeriod, response=Queued, status=202, errors=(422,))
async def rescore_period(request: web.Request, principal: Principal, body: RescorePeriod) -> Queued:
    """Score again every transcribed call of a period."""
    if body.until <= body.since:
        raise Unprocessable("until must be after since")
    await _require_script(request, body.script_id)
    return Queued(queued=await context(request).qa.rescore_period(body.since, body.until, body.script_id))


def _finished_transcript(card: CallCardData) -> Transcript:
    """The call's transcript; 404 when it has none, or none finished yet."""
    transcript = card.call.transcript
    if transcript is None or transcript.status != Status.DONE:
        raise NotFound("the call has no finished transcript")
    return transcript


async def _require_script(request: web.Request, script_id: int | None) -> None:
    if script_id is not None and await ScriptLibrary(context(request).sessions).get(script_id) is None:
        raise NotFound("no such script version")


class ScriptOut(BaseModel):
    id: int
    name: str
    version: int
    title: str
    active: bool
    direction: str
    dids: list[str]
    groups: list[str]
    created_at: Timestamp
    source: str = Field(description="The YAML as written.")


def script_out(row: QaScript) -> ScriptOut:
    return ScriptOut(id=row.id, name=row.name, version=row.version, title=row.title, active=row.active,
                     direction=row.direction, dids=row.dids, groups=row.groups, created_at=row.created_at,
                     source=row.source)


class ScriptList(BaseModel):
    items: list[ScriptOut]


@routes.get("/qa/scripts", roles=CONFIGURE, response=ScriptList)
async def list_scripts(request: web.Request, principal: Principal) -> ScriptList:
    """The active scripts (one version of each name)."""
    return ScriptList(items=[script_out(row) for row in await ScriptLibrary(context(request).sessions).active()])


@routes.get("/qa/scripts/{name}", roles=CONFIGURE, response=ScriptList, text_params={"name": SCRIPT_NAME})
async def script_versions(request: web.Request, principal: Principal, name: str) -> ScriptList:
    """Every version of a script, newest first."""
    versions = await ScriptLibrary(context(request).sessions).versions(name)
    if not versions:
        raise NotFound("no such script")
    return ScriptList(items=[script_out(row) for row in versions])


async def _script_text(request: web.Request) -> str:
    """The YAML of the request's body; a 400 if it is too long or not UTF-8."""
    too_long = BadRequest(f"a script is at most {MAX_SCRIPT_BYTES // 1024} KiB")
    if request.content_length is not None and request.content_length > MAX_SCRIPT_BYTES:
        raise too_long
    raw = await request.content.read(MAX_SCRIPT_BYTES + 1)
    if len(raw) > MAX_SCRIPT_BYTES:
        raise too_long
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the script must be UTF-8 text") from None


def _invalid(error: ScriptError) -> BadRequest:
    return BadRequest("the script is not valid", details=error.problems)


@routes.post("/qa/scripts", roles=CONFIGURE, response=ScriptOut, status=201, consumes="application/yaml", errors=(400,))
async def save_script(request: web.Request, principal: Principal) -> ScriptOut:
    """Store a script (the YAML as the request body) as the next version of its name, and make it active.
    A script that does not validate is a 400 listing every problem."""
    source = await _script_text(request)
    try:
        row = await ScriptLibrary(context(request).sessions).save(source, principal.user_id)
    except ScriptError as error:
        raise _invalid(error) from None
    return script_out(row)


class FactOut(BaseModel):
    field: str
    value: str
    quote: str
    start: float


class TrialScore(BaseModel):
    call_id: int
    script: str
    total: float
    passed: bool
    items: list[ItemOut]
    lead_card: list[FactOut] = Field(description="What the client's words would fill in on the lead's card.")


@routes.post("/calls/{call_id}/trial-score", roles=TRY_SCRIPTS, response=TrialScore, consumes="application/yaml",
             errors=(400, 409))
async def trial_score(request: web.Request, principal: Principal, call_id: int) -> TrialScore:
    """Score the call's transcript with a script (the YAML as the request body) without storing
    anything: try a script being written on a real call before saving it. A call with no conversation
    (not answered, too short, a silent side) is a 409."""
    source = await _script_text(request)
    card = await CallQueries(context(request).sessions).card(data_scope(principal), call_id)
    transcript = _finished_transcript(card)
    if (reason := no_conversation_in(card.call)) is not None:
        raise Conflict(f"the call holds no conversation to score ({reason})")
    try:
        scorer = Scorer(parse_script(source))
    except ScriptError as error:
        raise _invalid(error) from None
    score, facts = scorer.assess(Conversation.from_lines(transcript.lines or (), transcript.audio_seconds))
    return TrialScore(call_id=call_id, script=score.script, total=score.total, passed=score.passed,
                      items=[ItemOut(**item) for item in score.as_dict()["items"]],
                      lead_card=[FactOut(**vars(fact)) for fact in facts])


class CalibrationQuery(Schema):
    calls: int = Field(default=20, ge=1, le=MAX_CALIBRATION_CALLS, description="How many of the latest calls.")


class CandidateOut(BaseModel):
    call_id: int
    quote: str
    start: float = Field(description="The second of the call it was said at.")
    similarity: float = Field(description="Share of the example's words heard there.")
    example: str = Field(description="The example it came nearest to.")


class ItemCalibrationOut(BaseModel):
    id: str
    title: str
    kind: str
    applied: int = Field(description="Calls the item applied to.")
    met: int
    borderline: list[CandidateOut] = Field(description="The nearest misses first: ways of saying it no example covers?")


class CalibrationOut(BaseModel):
    calls: list[int] = Field(description="The calls tried, latest first.")
    items: list[ItemCalibrationOut]


@routes.post("/qa/calibration", roles=TRY_SCRIPTS, query=CalibrationQuery, response=CalibrationOut,
             consumes="application/yaml", errors=(400,))
async def calibration(request: web.Request, principal: Principal, query: CalibrationQuery) -> CalibrationOut:
    """Try a script (the YAML as the request body, not saved) on the latest calls it applies to (answered,
    with a conversation and a finished transcript): how many met each item, and the borderline misses."""
    source = await _script_text(request)
    try:
        script = parse_script(source)
    except ScriptError as error:
        raise _invalid(error) from None
    applies = script.applies_to
    direction = None if applies.direction == Direction.ANY else str(applies.direction)
    calls = await CallQueries(context(request).sessions).recent_conversations(
        data_scope(principal), direction, applies.dids, MIN_TALK_SECONDS, query.calls)
    tried = [CalibrationCall(call.id, call.transcript.lines or (), call.transcript.audio_seconds)
             for call in calls if no_conversation_in(call) is None]
    items = await asyncio.to_thread(calibrate, script, tried)  # a few ms a call: off the event loop
    return CalibrationOut(calls=[call.call_id for call in tried],
                          items=[ItemCalibrationOut(**asdict(item)) for item in items])


class NewExample(Schema):
    source: str = Field(max_length=MAX_SCRIPT_BYTES, description="The script's YAML, as in the editor.")
    item: str = Field(max_length=80, description="A phrase item's id.")
    example: str = Field(min_length=1, max_length=500, description="The words to add as one of its examples.")


class ScriptText(BaseModel):
    source: str


@routes.post("/qa/script-examples", roles=CONFIGURE, body=NewExample, response=ScriptText, errors=(400,))
async def add_example(request: web.Request, principal: Principal, body: NewExample) -> ScriptText:
    """The script with ``example`` added to the item's examples, the rest of its text as written (nothing
    is saved: save it as a new version when it reads right)."""
    try:
        return ScriptText(source=with_example(body.source, body.item, body.example))
    except ScriptError as error:
        raise _invalid(error) from None


@routes.delete("/qa/scripts/{name}", roles=CONFIGURE, text_params={"name": SCRIPT_NAME})
async def retire_script(request: web.Request, principal: Principal, name: str) -> None:
    """Stop scoring calls with this script (its versions and their scores stay)."""
    if not await ScriptLibrary(context(request).sessions).retire(name):
        raise NotFound("no such active script")


@routes.get("/qa/queue", roles=CONFIGURE, response=QueueDepth)
async def scoring_queue(request: web.Request, principal: Principal) -> QueueDepth:
    """The scoring queue: depth and the jobs that failed for good."""
    return QueueDepth(**await queue_depth(context(request).qa.queue))


@routes.post("/qa/dead-letters/{dead_id}/retry", roles=CONFIGURE, response=Requeued, status=202,
             text_params={"dead_id": STREAM_ID})
async def retry_scoring(request: web.Request, principal: Principal, dead_id: str) -> Requeued:
    """Queue a dead scoring job again, as a fresh job."""
    return await requeue_dead(context(request).qa.queue, dead_id)
