"""The tables. One metadata for all features, so Alembic sees the whole schema."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    type_annotation_map = {datetime: DateTime(timezone=True)}


manager_groups = Table(
    "manager_groups",
    Base.metadata,
    Column("manager_id", ForeignKey("managers.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
)


class Group(Base):
    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # the group's fallback chain as routing.rules stores it; None: ring the group by round-robin
    chain: Mapped[dict | None] = mapped_column(JSON)
    # takes a missed call's callback task when the caller has no owner and nobody rang
    default_manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("managers.id", ondelete="SET NULL", name="fk_groups_default_manager_id")
    )
    managers: Mapped[list[Manager]] = relationship(secondary=manager_groups, back_populates="groups")


class Manager(Base):
    """A sales manager and the phone extension that rings on their desk."""

    __tablename__ = "managers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    extension: Mapped[str] = mapped_column(String(40), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Moscow")
    # {"mon": [["09:00", "18:00"]], ..., "holidays": ["2026-12-31"]}
    working_hours: Mapped[dict] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(default=True)
    do_not_disturb: Mapped[bool] = mapped_column(default=False, server_default=false())
    absent: Mapped[bool] = mapped_column(default=False, server_default=false())  # away: sick, on leave, out of the office
    groups: Mapped[list[Group]] = relationship(secondary=manager_groups, back_populates="managers")


class Client(Base):
    """A client of the department, owned by one responsible manager."""

    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    responsible_manager_id: Mapped[int | None] = mapped_column(ForeignKey("managers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    phones: Mapped[list[ClientPhone]] = relationship(back_populates="client", cascade="all, delete-orphan")


class ClientPhone(Base):
    """A client's phone number in E.164; a number belongs to one client only."""

    __tablename__ = "client_phones"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    label: Mapped[str] = mapped_column(String(40), default="")
    client: Mapped[Client] = relationship(back_populates="phones")


class Call(Base):
    """The call card: one row per call (per Asterisk Linkedid)."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    linkedid: Mapped[str] = mapped_column(String(64), unique=True)
    direction: Mapped[str] = mapped_column(String(16))
    caller_raw: Mapped[str] = mapped_column(String(80), default="")
    caller_number: Mapped[str | None] = mapped_column(String(20), index=True)
    caller_name: Mapped[str] = mapped_column(String(200), default="")
    did: Mapped[str | None] = mapped_column(String(40))
    source: Mapped[str | None] = mapped_column(String(80))  # the DID's marketing source
    callee_raw: Mapped[str] = mapped_column(String(80), default="")
    callee_number: Mapped[str | None] = mapped_column(String(20), index=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(index=True)
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    wait_seconds: Mapped[float | None] = mapped_column(Float)
    talk_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    answered_by_extension: Mapped[str | None] = mapped_column(String(40))
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("managers.id", ondelete="SET NULL"), index=True)
    queue: Mapped[str | None] = mapped_column(String(80))
    disposition: Mapped[str] = mapped_column(String(16), index=True)
    hangup_cause: Mapped[int | None]
    hangup_cause_text: Mapped[str] = mapped_column(String(80), default="")
    recovered: Mapped[bool] = mapped_column(default=False)  # rebuilt from the PBX's CDR store after an outage
    legs: Mapped[list[CallLeg]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="CallLeg.position"
    )
    recording: Mapped[Recording | None] = relationship(back_populates="call", cascade="all, delete-orphan")
    transcript: Mapped[Transcript | None] = relationship(back_populates="call", cascade="all, delete-orphan")
    scores: Mapped[list[CallScore]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="CallScore.created_at"
    )
    mark: Mapped[CallMark | None] = relationship(cascade="all, delete-orphan")


class CallLeg(Base):
    """One attempt to reach a manager during a call."""

    __tablename__ = "call_legs"
    __table_args__ = (UniqueConstraint("call_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    extension: Mapped[str] = mapped_column(String(40))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("managers.id", ondelete="SET NULL"), index=True)
    channel: Mapped[str] = mapped_column(String(200), default="")
    queue: Mapped[str | None] = mapped_column(String(80))
    rang_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    result: Mapped[str] = mapped_column(String(16))
    call: Mapped[Call] = relationship(back_populates="legs")


class Recording(Base):
    """A call's recording file as the PBX reported it, and what checking it found."""

    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), unique=True)
    path: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # recordings.checks.Status
    error: Mapped[str] = mapped_column(String(500), default="")
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    channels: Mapped[int | None]
    sha256: Mapped[str | None] = mapped_column(String(64))
    layout: Mapped[str | None] = mapped_column(String(16))  # recordings.layouts.Layout
    # whose voice is on which stored file and channel: [{"role", "key", "channel"}]; the transcription's input
    tracks: Mapped[list | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    call: Mapped[Call] = relationship(back_populates="recording")


class Transcript(Base):
    """A call's transcript and where its transcription job is (transcription.service): one per call."""

    __tablename__ = "transcripts"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # queued, running, done, failed
    error: Mapped[str] = mapped_column(String(500), default="")
    attempts: Mapped[int] = mapped_column(default=0)
    model: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(16), default="")
    # the dialogue as transcription.engine.Line.as_dict rows, original text for display
    lines: Mapped[list | None] = mapped_column(JSON)
    # every line normalised (transcription.normalize), space-delimited, for search by words
    search_text: Mapped[str] = mapped_column(Text, default="")
    audio_seconds: Mapped[float | None] = mapped_column(Float)
    processing_seconds: Mapped[float | None] = mapped_column(Float)
    queued_at: Mapped[datetime] = mapped_column(server_default=func.now())
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    call: Mapped[Call] = relationship(back_populates="transcript")


class QaScript(Base):
    """One version of a sales script (qa.script): the YAML as written, and whom it applies to.
    Saving a script under a name it already has adds the next version; only active ones score calls."""

    __tablename__ = "qa_scripts"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), index=True)
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(Text)  # the YAML
    direction: Mapped[str] = mapped_column(String(16))  # inbound, outbound, any
    dids: Mapped[list] = mapped_column(JSON)
    groups: Mapped[list] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class CallScore(Base):
    """A call scored by one script version (qa.scoring): re-scoring with another version adds a row, so the
    history says which version gave which score; the same version scores a call once."""

    __tablename__ = "call_scores"
    __table_args__ = (UniqueConstraint("call_id", "script_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    script_id: Mapped[int] = mapped_column(ForeignKey("qa_scripts.id", ondelete="CASCADE"))
    total: Mapped[float] = mapped_column(Float)
    passed: Mapped[bool]
    items: Mapped[list] = mapped_column(JSON)  # qa.scoring.ItemResult rows with their evidence
    missed: Mapped[str] = mapped_column(Text, default="", server_default="")  # " id id ": the items not met
    created_at: Mapped[datetime]
    call: Mapped[Call] = relationship(back_populates="scores")
    script: Mapped[QaScript] = relationship()


class LeadFact(Base):
    """What a lead's card says about them beyond the phone: their name, how they heard of us, what they
    want. Filled from the conversation (qa.lead_card) with the quote as evidence, or typed by a manager;
    a manager's entry is never overwritten by the conversation."""

    __tablename__ = "lead_facts"
    __table_args__ = (UniqueConstraint("lead_id", "field"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(200))
    set_by: Mapped[str] = mapped_column(String(16))  # conversation, manager
    quote: Mapped[str] = mapped_column(Text, default="")
    second: Mapped[float | None] = mapped_column(Float)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime]


_STATUS_OPEN = text("status = 'open'")


class Lead(Base):
    """A caller not yet known as a client. One open lead per phone number."""

    __tablename__ = "leads"
    __table_args__ = (
        Index("uq_leads_open_phone", "phone", unique=True, sqlite_where=_STATUS_OPEN, postgresql_where=_STATUS_OPEN),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))  # E.164
    # how they heard of us: the marketing source of the number they first called, else that number
    source: Mapped[str | None] = mapped_column(String(80))
    first_linkedid: Mapped[str] = mapped_column(String(64), unique=True)  # a call makes at most one lead
    first_call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("managers.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, converted, closed
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # the card's name, source, interests (LeadFact): few rows, always wanted with the lead
    facts: Mapped[list[LeadFact]] = relationship(lazy="selectin", order_by="LeadFact.field", viewonly=True)


class CallbackTask(Base):
    """Call this number back: opened by a missed inbound call, closed when the
    number is reached. One open task per phone number."""

    __tablename__ = "callback_tasks"
    __table_args__ = (
        Index("uq_callback_tasks_open_phone", "phone", unique=True, sqlite_where=_STATUS_OPEN, postgresql_where=_STATUS_OPEN),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))  # E.164
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="SET NULL"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("managers.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, done
    first_call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"))
    first_linkedid: Mapped[str] = mapped_column(String(64))
    missed_count: Mapped[int] = mapped_column(Integer, default=0)
    first_missed_at: Mapped[datetime]
    last_missed_at: Mapped[datetime]
    deadline_at: Mapped[datetime] = mapped_column(index=True)
    escalated_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closed_by_call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"))
    closed_by_linkedid: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class CallbackTaskCall(Base):
    """A missed call counted into a callback task; the key makes a replayed
    call count once."""

    __tablename__ = "callback_task_calls"

    linkedid: Mapped[str] = mapped_column(String(64), primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("callback_tasks.id", ondelete="CASCADE"), index=True)


class RoutingRule(Base):
    """What a dialled number (DID) means: its fallback chain, its marketing
    source ("how they heard of us") and its IVR menu (digit -> chain)."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    did: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str | None] = mapped_column(String(80))
    chain: Mapped[dict] = mapped_column(JSON)
    ivr: Mapped[dict] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class User(Base):
    """Someone who logs in: a manager (their own data), the head of sales
    ("rop": the whole department) or an admin (configuration)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # manager, rop, admin
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("managers.id", ondelete="SET NULL"), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class AuthToken(Base):
    """A login session: only the token's SHA-256 is stored."""

    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]


class Notification(Base):
    """Something a manager is told, e.g. that a colleague answered their client."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("manager_id", "kind", "call_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("managers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    read_at: Mapped[datetime | None]


class Webhook(Base):
    """An outgoing webhook: events POSTed to ``url``, signed with HMAC-SHA256 of ``secret``."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(200))
    events: Mapped[list] = mapped_column(JSON, default=list)  # event names; empty: all
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class WebhookDelivery(Base):
    """One event for one webhook, and how delivering it went (the delivery log)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("webhook_id", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[str] = mapped_column(String(80))  # the same event is delivered once per webhook
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending, delivered, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(index=True)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    response_status: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    delivered_at: Mapped[datetime | None]


class CallMark(Base):
    """The head of sales' verdict on a call as a training example: a good one to follow or a bad one."""

    __tablename__ = "call_marks"

    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True)
    verdict: Mapped[str] = mapped_column(String(8))  # good, bad
    note: Mapped[str] = mapped_column(Text, default="")
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    marked_at: Mapped[datetime]


playlist_shares = Table(
    "playlist_shares",
    Base.metadata,
    Column("playlist_id", ForeignKey("playlists.id", ondelete="CASCADE"), primary_key=True),
    Column("manager_id", ForeignKey("managers.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Playlist(Base):
    """A training playlist: calls in order, each with a note, shared with some managers (or all)."""

    __tablename__ = "playlists"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text, default="")
    shared_with_all: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    entries: Mapped[list[PlaylistCall]] = relationship(
        cascade="all, delete-orphan", order_by="PlaylistCall.position"
    )
    managers: Mapped[list[Manager]] = relationship(secondary=playlist_shares)


class PlaylistCall(Base):
    """One call of a playlist, with the head of sales' note on what to listen for."""

    __tablename__ = "playlist_calls"

    playlist_id: Mapped[int] = mapped_column(ForeignKey("playlists.id", ondelete="CASCADE"), primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True, index=True)
    position: Mapped[int]
    note: Mapped[str] = mapped_column(Text, default="")
