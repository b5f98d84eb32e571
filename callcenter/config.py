"""Settings, from environment variables and an optional TOML file.

Every setting has a default that runs on a fresh laptop: an SQLite file under
``./data/``, an embedded Redis-compatible server the backend starts itself (a
valkey-server child process on a unix socket under ``./data/redis``), the PBX
simulator on loopback.
Production sets ``DATABASE_URL`` (``postgresql+asyncpg://…``), ``REDIS_URL``
and the ``CALLCENTER_AMI_*`` settings of its Asterisk. The file named by
``CALLCENTER_CONFIG`` (default ``callcenter.toml`` if present) holds the same
keys as the variables without the prefix; variables win over the file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_CONFIG_FILE = "callcenter.toml"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CALLCENTER_", extra="forbid")

    data_dir: Path = Path("data")
    database_url: str = Field(
        default="",
        validation_alias=AliasChoices("DATABASE_URL", "CALLCENTER_DATABASE_URL", "database_url"),
        description="SQLAlchemy async URL; empty means an SQLite file in data_dir.",
    )
    redis_url: str = Field(
        default="",
        validation_alias=AliasChoices("REDIS_URL", "CALLCENTER_REDIS_URL", "redis_url"),
        description="redis:// (or unix://) URL; empty: the backend starts its own server under data_dir/redis.",
    )
    embedded_redis_persist: bool = Field(
        default=True,
        description="The embedded server keeps its data (queued jobs) in an append-only file across restarts.",
    )
    recordings_dir: Path | None = Field(default=None, description="Defaults to data_dir/recordings.")
    pbx_recordings_dir: str = Field(
        default="/var/spool/asterisk/monitor",
        description="Where the PBX writes recordings (MIXMONITOR_FILENAME); its files are read from recordings_dir.",
    )
    recordings_stereo_client_channel: int = Field(
        default=0, ge=0, le=1, description="In a stereo recording, the client's channel; the manager is on the other."
    )
    recordings_duration_tolerance_seconds: float = Field(
        default=3.0, ge=0, description="How far a recording may last beyond the call, or fall short of its talk time."
    )
    recordings_missing_grace_seconds: float = Field(
        default=60.0, ge=0, description="A recording not there yet is looked for again until this long after the call."
    )
    recordings_sweep_seconds: float = Field(
        default=30.0, gt=0, description="How often recordings still pending (e.g. after a restart) are picked up."
    )
    recordings_retention_days: int = Field(
        default=0, ge=0, description="Stored recordings of calls older than this many days are deleted; 0 keeps them."
    )
    recordings_retention_transcripts: bool = Field(
        default=False, description="Retention deletes the transcripts of those calls too."
    )
    recordings_compress_after_days: int = Field(
        default=0, ge=0, description="Stored WAV recordings of calls older than this are re-encoded as Opus; 0: never."
    )

    transcription_model: str = Field(
        default="", description="A CTranslate2 Whisper model folder; empty: the bundled base model, joined on first use."
    )
    transcription_model_cache_dir: Path | None = Field(
        default=None, description="Where the bundled model is joined; default ~/.cache/callcenter/models."
    )
    transcription_language: str = Field(default="ru", description="The language of the calls.")
    transcription_beam_size: int = Field(default=3, ge=1, le=10, description="Beam search width (docs/transcription.md).")
    transcription_batch_size: int = Field(default=8, ge=1, description="Model windows decoded together.")
    transcription_threads: int = Field(default=2, ge=1, description="CPU threads one worker's model uses.")
    transcription_prompt: str = Field(
        default="", description="Words for the model's prompt (company, products, places), before the scripts' own."
    )
    transcription_script_vocabulary: bool = Field(
        default=True, description="The active sales scripts' names and content words join the model's prompt."
    )
    transcription_stream: str = Field(default="jobs:transcription", description="The Redis stream of transcription jobs.")
    transcription_max_attempts: int = Field(
        default=3, ge=1, description="A job failing (or killing its worker) this many times goes to the dead letters."
    )
    transcription_claim_idle_seconds: float = Field(
        default=300.0, gt=0, description="A job unacknowledged this long (its worker died) is taken by another worker."
    )
    transcription_workers_in_backend: int = Field(
        default=1, ge=0, description="Transcription workers the backend runs itself; 0 with `callcenter worker`s."
    )
    transcription_retry_seconds: float = Field(default=30.0, ge=0, description="A failed job is retried after this.")

    qa_stream: str = Field(default="jobs:qa", description="The Redis stream of scoring jobs (same rules as transcription's).")
    qa_workers_in_backend: int = Field(
        default=1, ge=0, description="Scoring workers the backend runs itself; 0 with `callcenter worker`s."
    )

    http_host: str = "127.0.0.1"
    http_port: int = 8080
    session_hours: float = Field(default=12.0, gt=0, description="How long a login (token or cookie) stays valid.")

    ami_host: str = "127.0.0.1"
    ami_port: int = 5038
    ami_username: str = "callcenter"
    ami_secret: str = Field(default="", description="Empty: the demo generates one for its simulator.")
    ami_auth: Literal["md5", "plain"] = Field(
        default="md5", description="md5: Asterisk's Challenge, the secret never sent; plain: the secret in the Login."
    )
    ami_ping_interval: float = 10.0
    ami_ping_timeout: float = 5.0
    ami_reconnect_initial: float = Field(default=0.5, description="First reconnect delay; doubles up to the max.")
    ami_reconnect_max: float = 30.0
    ami_lease_seconds: float = Field(
        default=10.0, description="The AMI leader lease's time to live: a dead leader is replaced within it."
    )
    ami_lease_key: str = Field(default="callcenter:ami:leader", description="The Redis key of the AMI leader lease.")

    agi_host: str = "127.0.0.1"
    agi_port: int = 4573
    agi_answer_seconds: float = Field(
        default=0.3, description="The FastAGI server's hard limit for answering; past it the dialplan uses its queue."
    )
    routing_deadline_seconds: float = Field(
        default=0.25, description="Routing's own deadline, under agi_answer_seconds: past it, the default queue."
    )
    routing_default_queue: str = Field(default="sales", description="The queue and group new callers go to by default.")
    routing_owner_index_rebuild_seconds: float = Field(
        default=600.0, gt=0, description="How often the owner index in Redis is rebuilt from the database, to heal drift."
    )

    trunk_contexts: list[str] = ["from-pstn"]
    agent_contexts: list[str] = ["sim-agent"]
    phone_region: str = "RU"
    department_timezone: str = Field(
        default="Europe/Moscow", description="Reports count days and weeks by this clock (an IANA zone name)."
    )
    cdr_linger_seconds: float = 5.0
    cdr_db_url: str = Field(
        default="",
        description="The database Asterisk's CDR backend writes (cdr_pgsql, cdr_adaptive_odbc; table cdr with linkedid), "
        "as an async SQLAlchemy URL: calls nobody followed over AMI are recovered from it. Empty: cdr_csv_path.",
    )
    cdr_csv_path: str = Field(
        default="",
        description="Asterisk's cdr_csv Master.csv (loguniqueid and newcdrcolumns on), when there is no cdr_db_url. "
        "Both empty: no recovery.",
    )
    cdr_timezone: str = Field(
        default="UTC", description="The zone of the CDR store's times: UTC with usegmtime = yes, else the PBX's."
    )
    ami_reconcile_seconds: float = Field(
        default=60.0, gt=0,
        description="List Asterisk's channels this often: calls whose Hangup was lost end, presence is rebuilt.",
    )
    callback_sla_minutes: int = Field(default=15, description="Deadline for calling back a missed caller.")
    callback_agent_channel: str = Field(
        default="Local/{extension}@agents", description="Click-to-call rings the manager's phone on this channel first."
    )
    callback_outbound_context: str = Field(default="outbound", description="Then dials the client from this context.")
    callback_dial_prefix: str = Field(default="", description="Put before the client's digits, e.g. 9 for an outside line.")
    notify_owner_when_colleague_answers: bool = Field(
        default=True, description="Tell a client's manager when a colleague answered that client's call."
    )

    webhook_timeout_seconds: float = Field(default=10.0, description="How long one webhook POST may take.")
    webhook_max_attempts: int = Field(default=8, ge=1, description="Attempts before a delivery is marked failed.")
    webhook_backoff_base_seconds: float = Field(default=30.0, description="First retry delay; doubles per attempt.")
    webhook_backoff_max_seconds: float = Field(default=3600.0, description="The longest retry delay.")

    live_heartbeat_seconds: float = Field(
        default=15.0, gt=0, description="A live event stream sends a comment this often when it has nothing to say."
    )
    live_channel_prefix: str = Field(
        default="live", description="Redis pub/sub channels of live events: <prefix>:team, <prefix>:manager:<id>."
    )

    metrics_token: str = Field(
        default="", description="Bearer token /metrics requires; empty: only loopback peers may read it."
    )

    simulator_audio_dir: Path | None = Field(
        default=None,
        description="Calls (stereo: client, manager; WAV, Opus or FLAC) the simulator plays; default: the demo's "
        "own (pbx/simulator/sounds); a scenario's missing file gives a silent recording.",
    )

    log_level: str = "INFO"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config_file = os.environ.get("CALLCENTER_CONFIG", DEFAULT_CONFIG_FILE)
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_file)
        return init_settings, env_settings, toml

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'callcenter.db'}"

    @property
    def effective_recordings_dir(self) -> Path:
        return self.recordings_dir or self.data_dir / "recordings"
