"""Analytics settings, read from CXOPS_ANALYTICS_* environment variables with safe bounds."""

from __future__ import annotations

import os

from pydantic import BaseModel, Field, ValidationError

from cxops.core.errors import ConfigurationError


class AnalyticsConfig(BaseModel):
    """Defaults of the metrics engine; query parameters may override costs and the repeat window."""

    repeat_days: int = Field(default=7, ge=1, le=30)
    cost_human_minute: float = Field(default=0.75, ge=0, le=1000)
    cost_ai_interaction: float = Field(default=0.10, ge=0, le=1000)
    history_days: int = Field(default=400, ge=7, le=1200)
    max_frame_rows: int = Field(default=5_000_000, ge=1000, le=50_000_000)
    min_reload_s: float = Field(default=5.0, ge=0, le=3600)
    background_reload: bool = True
    statement_timeout_ms: int = Field(default=30_000, ge=100, le=600_000)


def load_analytics_config(environ: dict[str, str] | None = None) -> AnalyticsConfig:
    """Config from CXOPS_ANALYTICS_<FIELD> variables; a bad value names its variable."""
    env = os.environ if environ is None else environ
    raw = {
        name: env[f"CXOPS_ANALYTICS_{name.upper()}"]
        for name in AnalyticsConfig.model_fields
        if f"CXOPS_ANALYTICS_{name.upper()}" in env
    }
    try:
        return AnalyticsConfig.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        var = f"CXOPS_ANALYTICS_{str(first['loc'][0]).upper()}"
        raise ConfigurationError(f"{var}: {first['msg']}", field=var) from None
