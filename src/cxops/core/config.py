"""Process configuration, read once from the environment (CXOPS_*)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from cxops.core.errors import ConfigurationError


class Settings(BaseModel):
    """Everything a process needs to start; every field has an environment variable CXOPS_<NAME>."""

    data_dir: Path = Field(default=Path("./.cxops-data"))
    models_dir: Path | None = None
    database_url: str = ""
    nats_url: str = ""
    nats_stream: str = Field(default="CXOPS_EVENTS", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    nats_max_deliver: int = Field(default=5, ge=1, le=100)
    nats_ack_wait_seconds: float = Field(default=30.0, gt=0, le=3600)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    # permessage-deflate on WebSockets: off by default, the live assist frames are small and CPU is what a
    # busy assist server runs out of (compression cost both ends ~15% of the serving process's CPU)
    ws_compression: bool = False
    log_level: str = "INFO"
    max_request_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    max_json_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    max_line_bytes: int = Field(default=1024 * 1024, ge=1024)
    ingest_batch_size: int = Field(default=500, ge=1, le=10_000)
    rate_limit_per_minute: int = Field(default=6000, ge=0)
    session_secret: str = ""
    llm_url: str = ""  # an OpenAI-compatible endpoint (…/v1) for optional generative summaries
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout_s: float = Field(default=20.0, gt=0, le=600)
    embedded_dispatch: bool = True
    # where real-time assist runs the encoder, intent model and knowledge search: a child process of each API
    # process (default; keeps them off the event loop's GIL) or a thread of the API process
    assist_inference: Literal["process", "thread"] = "process"
    # inference processes per API process in process mode; 0: one per core shared by the API workers
    assist_processes: int = Field(default=0, ge=0, le=16)
    # knowledge suggestions sent with each understood segment of a live call
    assist_suggestions: int = Field(default=3, ge=1, le=10)
    pii_mode: Literal["off", "redact", "redact_keep_original"] = "redact"
    trust_purge_interval_s: int = Field(default=3600, ge=0)
    # workflow approvals past their expiry are settled (their runs end 'expired') every interval (0: off)
    workflows_expiry_interval_s: int = Field(default=300, ge=0)
    # an action proposal left 'executing' this long (a crash between the connector call and the recorded outcome)
    # is resumed by `cxops worker` every interval (0: off) or `cxops actions recover`; keep the lease above the
    # slowest connector call with its retries
    actions_recovery_lease_s: int = Field(default=300, ge=1, le=7 * 86400)
    actions_recovery_interval_s: int = Field(default=60, ge=0)
    # a resumption that fails for a reason that may pass (connector timeout, open breaker, database error) is
    # retried after the backoff, doubled at each attempt (at most an hour, or the backoff if longer); after this many
    # attempts, or at once for a reason that cannot pass (action gone from the catalogue, connector not configured,
    # stored arguments no longer valid), the proposal ends 'failed_uncompensated' for a human to review
    actions_recovery_max_attempts: int = Field(default=10, ge=1, le=1000)
    actions_recovery_backoff_s: int = Field(default=60, ge=0, le=86400)
    # Folders (separated by os.pathsep) under which sources registered through the API must live, after symlinks
    # are resolved; `{org}` stands for the organisation's slug. Empty: <data dir>/knowledge-sources/{org}
    # (not <data dir>/knowledge, which holds the search indexes by organisation id).
    knowledge_roots: str = ""

    @property
    def effective_database_url(self) -> str:
        """The SQLAlchemy URL: CXOPS_DATABASE_URL, else SQLite in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'cxops.db').resolve()}"

    @property
    def effective_models_dir(self) -> Path:
        """Where locally built models are cached: CXOPS_MODELS_DIR, else <data dir>/models."""
        return self.models_dir or self.data_dir / "models"

    def knowledge_roots_for(self, org_slug: str) -> list[Path]:
        """The folders an organisation's API-registered knowledge sources must live in."""
        raw = self.knowledge_roots or str(self.data_dir / "knowledge-sources" / "{org}")
        return [Path(part.replace("{org}", org_slug)) for part in raw.split(os.pathsep) if part.strip()]

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")


_BOOL_TRUE = {"1", "true", "yes", "on"}


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build Settings from CXOPS_* variables; a bad value raises ConfigurationError naming it."""
    env = os.environ if environ is None else environ
    raw: dict[str, object] = {}
    for name, field in Settings.model_fields.items():
        key = f"CXOPS_{name.upper()}"
        if key not in env:
            continue
        value: object = env[key]
        if field.annotation is bool:
            value = str(value).strip().lower() in _BOOL_TRUE
        raw[name] = value
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field_name = str(first["loc"][0]) if first["loc"] else "?"
        raise ConfigurationError(
            f"CXOPS_{field_name.upper()}: {first['msg']}", field=f"CXOPS_{field_name.upper()}"
        ) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings for this process (cached; tests build their own with load_settings)."""
    return load_settings()
