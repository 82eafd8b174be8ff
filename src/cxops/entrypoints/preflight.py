"""Start-up checks shared by `cxops serve` and `cxops worker`: clear messages instead of a silent crash loop."""

from __future__ import annotations

import logging
import time

from sqlalchemy import text
from sqlalchemy.engine import Engine

from cxops.core.config import Settings
from cxops.core.db import make_engine
from cxops.core.errors import ConfigurationError
from cxops.integrations.nats import health
from cxops.integrations.nats.config import safe_url

log = logging.getLogger("cxops.preflight")


class ServiceUnavailable(ConfigurationError):
    """A service the process needs (PostgreSQL, NATS) did not answer within the start-up wait."""

    code = "service_unavailable"


def database_problem(engine: Engine) -> str | None:
    """None when the database answers, else a clear message naming its URL (no password) and what to check."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        first = (str(exc).splitlines() or [""])[0][:200]
        return (
            f"cannot reach the database at {safe_url(engine.url.render_as_string(hide_password=True))} "
            f"({type(exc).__name__}: {first}). Check CXOPS_DATABASE_URL, that the server is running and accepts "
            "connections from this host, and the user's credentials."
        )
    return None


def wait_for(check_name: str, probe: object, wait_s: float) -> None:
    """Call `probe()` (returns None or a message) until it succeeds or `wait_s` passes; then ServiceUnavailable."""
    deadline = time.monotonic() + wait_s
    delay = 0.5
    while True:
        problem = probe()  # type: ignore[operator]
        if problem is None:
            return
        if time.monotonic() + delay > deadline:
            raise ServiceUnavailable(f"{problem} (gave up after waiting {wait_s:.0f} s)", field=check_name)
        log.warning("waiting for %s: %s", check_name, problem)
        time.sleep(delay)
        delay = min(delay * 2, 5.0)


def require_services(settings: Settings, *, wait_s: float, need_nats: bool) -> Engine:
    """An engine on a reachable database, having also checked NATS (when needed); ServiceUnavailable otherwise."""
    engine = make_engine(settings.effective_database_url)
    wait_for("CXOPS_DATABASE_URL", lambda: database_problem(engine), wait_s)
    if need_nats and settings.nats_url:
        wait_for("CXOPS_NATS_URL", lambda: health.check(settings.nats_url, cache_s=0), wait_s)
    return engine
