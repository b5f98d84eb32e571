"""Training over HTTP: drawing a sample (``POST /api/training/samples``), the
playlists (``/api/playlists``), and good/bad marks (``/api/calls/{id}/mark``).
The head of sales draws, keeps and marks; a manager reads the playlists
shared with them and opens their calls."""

from __future__ import annotations

from typing import Annotated, Literal

from aiohttp import web
from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, StringConstraints, model_validator

from accounts.access import CALL_DATA, COACH, Principal, data_scope
from api.app import context
from api.registry import Routes
from api.validation import Patch, Schema, Timestamp
from crm.call_queries import CallQueries
from crm.http.calls import CallSummary, MarkOut, Verdict, call_summary
from crm.leads import utc
from pbx.tracker.model import Direction
from storage.models import Playlist
from training.sampling import Criteria, Pick, at_random, best_and_worst
from training.service import TrainingService

routes = Routes("training")

MAX_SAMPLE = 200
MAX_PLAYLIST = 500
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
ItemId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)]


def _training(request: web.Request) -> TrainingService:
    ctx = context(request)
    return TrainingService(ctx.sessions, ctx.clock)


class SampleRequest(Schema):
    from_: AwareDatetime = Field(alias="from", description="Calls started at or after...")
    to: AwareDatetime = Field(description="...and before this.")
    managers: list[int] = Field(default_factory=list, description="The managers who answered; empty: everyone.")
    score_min: float = Field(default=0, ge=0, le=100)
    score_max: float = Field(default=100, ge=0, le=100)
    missed_items: list[ItemId] = Field(default_factory=list, description="The call missed at least one of these.")
    min_seconds: float | None = Field(default=None, ge=0, description="Talk time at least...")
    max_seconds: float | None = Field(default=None, ge=0, description="...and at most.")
    direction: Direction | None = None
    method: Literal["random", "best_and_worst"] = "random"
    size: int = Field(default=10, ge=1, le=MAX_SAMPLE, description="N: in all at random; each end per manager.")
    seed: int | None = Field(default=None, description="The same seed draws the same calls from the same data.")

    @model_validator(mode="after")
    def _ranges(self) -> SampleRequest:
        if self.to <= self.from_:
            raise ValueError("'to' must be after 'from'")
        if self.score_max < self.score_min:
            raise ValueError("score_max is below score_min")
        if None not in (self.min_seconds, self.max_seconds) and self.max_seconds < self.min_seconds:
            raise ValueError("max_seconds is below min_seconds")
        return self

    def criteria(self) -> Criteria:
        return Criteria(frozenset(self.managers), self.score_min, self.score_max, frozenset(self.missed_items),
                        self.min_seconds, self.max_seconds, self.direction)


class SampleItem(BaseModel):
    pick: Pick = Field(description="random, or one of a manager's best or worst.")
    call: CallSummary


class Sample(BaseModel):
    matched: int = Field(description="The scored calls that fit the criteria, drawn from.")
    items: list[SampleItem]


@routes.post("/training/samples", roles=COACH, body=SampleRequest, response=Sample)
async def draw_sample(request: web.Request, principal: Principal, body: SampleRequest) -> Sample:
    """Draw scored calls for training: N at random, or each manager's N best and N worst."""
    criteria = body.criteria()
    fitting = [call for call in await _training(request).candidates(utc(body.from_), utc(body.to)) if criteria.fits(call)]
    drawn = at_random(fitting, body.size, body.seed) if body.method == "random" else best_and_worst(fitting, body.size)
    calls = await CallQueries(context(request).sessions).summaries(data_scope(principal), [d.call.call_id for d in drawn])
    return Sample(matched=len(fitting), items=[SampleItem(pick=d.pick, call=call_summary(calls[d.call.call_id]))
                                               for d in drawn if d.call.call_id in calls])


class EntryIn(Schema):
    call_id: int
    note: Note = ""


def _once_each(ids: list[int]) -> list[int]:
    if len(ids) != len(set(ids)):
        raise ValueError("the same id is given twice")
    return ids


def _calls_once_each(entries: list[EntryIn]) -> list[EntryIn]:
    _once_each([entry.call_id for entry in entries])
    return entries


Entries = Annotated[list[EntryIn], Field(max_length=MAX_PLAYLIST), AfterValidator(_calls_once_each)]
ManagerIds = Annotated[list[int], AfterValidator(_once_each)]


class PlaylistCreate(Schema):
    title: Title
    notes: Note = ""
    calls: Entries = Field(default_factory=list, description="In playing order.")
    manager_ids: ManagerIds = Field(default_factory=list, description="Shared with these managers.")
    shared_with_all: bool = Field(default=False, description="Shared with every manager.")


class PlaylistUpdate(Patch):
    title: Title | None = None
    notes: Note | None = None
    calls: Entries | None = Field(default=None, description="Replaces the calls.")
    manager_ids: ManagerIds | None = Field(default=None, description="Replaces the managers shared with.")
    shared_with_all: bool | None = None


class PlaylistOut(BaseModel):
    id: int
    title: str
    notes: str
    manager_ids: list[int]
    shared_with_all: bool
    call_count: int
    created_at: Timestamp
    updated_at: Timestamp


class PlaylistList(BaseModel):
    items: list[PlaylistOut]


class EntryOut(BaseModel):
    note: str
    call: CallSummary


class PlaylistCard(PlaylistOut):
    calls: list[EntryOut]


def _out(playlist: Playlist) -> dict:
    return {
        "id": playlist.id, "title": playlist.title, "notes": playlist.notes,
        "manager_ids": sorted(manager.id for manager in playlist.managers), "shared_with_all": playlist.shared_with_all,
        "call_count": len(playlist.entries), "created_at": playlist.created_at, "updated_at": playlist.updated_at,
    }


async def _card(request: web.Request, principal: Principal, playlist: Playlist) -> PlaylistCard:
    calls = await CallQueries(context(request).sessions).summaries(
        data_scope(principal), [entry.call_id for entry in playlist.entries]
    )
    return PlaylistCard(**_out(playlist), calls=[EntryOut(note=entry.note, call=call_summary(calls[entry.call_id]))
                                                 for entry in playlist.entries if entry.call_id in calls])


@routes.get("/playlists", roles=CALL_DATA, response=PlaylistList)
async def list_playlists(request: web.Request, principal: Principal) -> PlaylistList:
    """Training playlists, latest changed first: all of them for the head of sales, those shared with a manager."""
    playlists = await _training(request).playlists(data_scope(principal))
    return PlaylistList(items=[PlaylistOut(**_out(playlist)) for playlist in playlists])


@routes.get("/playlists/{playlist_id}", roles=CALL_DATA, response=PlaylistCard)
async def get_playlist(request: web.Request, principal: Principal, playlist_id: int) -> PlaylistCard:
    """A playlist with its calls and notes."""
    return await _card(request, principal, await _training(request).playlist(data_scope(principal), playlist_id))


@routes.post("/playlists", roles=COACH, body=PlaylistCreate, response=PlaylistCard, status=201)
async def create_playlist(request: web.Request, principal: Principal, body: PlaylistCreate) -> PlaylistCard:
    """Keep calls (a sample, say) as a playlist with notes, shared with some managers or all."""
    changes = body.model_dump()
    return await _card(request, principal, await _training(request).save_playlist(None, changes, principal.user_id))


@routes.patch("/playlists/{playlist_id}", roles=COACH, body=PlaylistUpdate, response=PlaylistCard)
async def update_playlist(request: web.Request, principal: Principal, playlist_id: int, body: PlaylistUpdate) -> PlaylistCard:
    """Rename, annotate, reorder or share a playlist."""
    playlist = await _training(request).save_playlist(playlist_id, body.changes(), principal.user_id)
    return await _card(request, principal, playlist)


@routes.delete("/playlists/{playlist_id}", roles=COACH, status=204)
async def delete_playlist(request: web.Request, principal: Principal, playlist_id: int) -> None:
    """Delete a playlist (its calls stay)."""
    await _training(request).delete_playlist(playlist_id)


class MarkIn(Schema):
    verdict: Verdict
    note: Note = ""


@routes.put("/calls/{call_id}/mark", roles=COACH, body=MarkIn, response=MarkOut)
async def mark_call(request: web.Request, principal: Principal, call_id: int, body: MarkIn) -> MarkOut:
    """Mark the call as a good or a bad example (replacing an earlier mark)."""
    return MarkOut.model_validate(await _training(request).mark(call_id, body.verdict, body.note, principal.user_id))


@routes.delete("/calls/{call_id}/mark", roles=COACH, status=204)
async def unmark_call(request: web.Request, principal: Principal, call_id: int) -> None:
    """Take the call's mark away."""
    await _training(request).unmark(call_id)
