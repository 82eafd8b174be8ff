"""Is the NATS server reachable with JetStream enabled? Used at start and by /readyz."""

from __future__ import annotations

import asyncio
import time

from cxops.integrations.nats.bus import connect
from cxops.integrations.nats.config import NatsBusConfig, safe_url

_CACHE: dict[str, tuple[float, str | None]] = {}


async def probe(url: str, timeout: float = 2.0) -> str | None:
    """None when the server answers with JetStream enabled, else a clear message naming the URL (no password)."""
    config = NatsBusConfig(url=url)
    try:
        nc = await asyncio.wait_for(connect(config, reconnect=False), timeout + 1)
    except Exception as exc:
        return (
            f"cannot reach NATS at {safe_url(url)} ({type(exc).__name__}). Check CXOPS_NATS_URL, that nats-server "
            "is running and listening there, and the credentials in the URL."
        )
    try:
        await asyncio.wait_for(nc.jetstream(timeout=timeout).account_info(), timeout + 1)
    except Exception as exc:
        return (
            f"NATS at {safe_url(url)} answers but JetStream is not available ({type(exc).__name__}). "
            "Start nats-server with -js (JetStream) and a store directory (-sd)."
        )
    finally:
        await nc.close()
    return None


def check(url: str, timeout: float = 2.0, cache_s: float = 2.0) -> str | None:
    """Synchronous probe (for /readyz and the CLI), cached for `cache_s` so health checks stay cheap."""
    now = time.monotonic()
    hit = _CACHE.get(url)
    if hit is not None and now - hit[0] < cache_s:
        return hit[1]
    result = asyncio.run(probe(url, timeout))
    _CACHE[url] = (time.monotonic(), result)
    return result
