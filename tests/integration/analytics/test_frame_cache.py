"""The contact frame cache on a real database: reload on new contacts (in the background), row cap, config."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from cxops.core import keys
from cxops.core.db import unit_of_work
from cxops.core.errors import ConfigurationError, ServiceUnavailable
from cxops.domains.analytics.cache import FrameCache
from cxops.domains.analytics.config import AnalyticsConfig, load_analytics_config
from cxops.domains.interactions.public import BatchIngestor, parse_obj
from tests.factories import interaction

RECENT = datetime.now(UTC) - timedelta(days=2)


def _ingest(factory, org_id, numbers) -> None:  # type: ignore[no-untyped-def]
    ingestor = BatchIngestor(factory, org_id, batch_size=100)
    for n in numbers:
        start = (RECENT + timedelta(minutes=n)).isoformat()
        ingestor.add(parse_obj(n, interaction(n, started_at=start, ended_at=start)), n)
    ingestor.flush()
    assert ingestor.summary.failed == 0


def _org(factory):  # type: ignore[no-untyped-def]
    with unit_of_work(factory) as session:
        return keys.ensure_organisation(session, slug="cache").id


def test_background_reload_serves_the_old_frame_then_the_new(session_factory) -> None:  # type: ignore[no-untyped-def]
    org_id = _org(session_factory)
    _ingest(session_factory, org_id, range(10))
    cache = FrameCache(AnalyticsConfig(min_reload_s=0, background_reload=True))
    with session_factory() as session:
        first = cache.get(session, org_id)
    assert len(first.df) == 10 and first.load_ms > 0
    _ingest(session_factory, org_id, range(10, 15))
    with session_factory() as session:
        assert cache.get(session, org_id) is first  # answered at once from the loaded frame
    for _ in range(200):
        if len(cache.frames()[org_id].df) == 15:
            break
        time.sleep(0.02)
    assert len(cache.frames()[org_id].df) == 15
    with session_factory() as session:
        assert cache.get(session, org_id) is cache.frames()[org_id]  # same watermark: no further reload


def test_min_reload_interval_keeps_the_frame(session_factory) -> None:  # type: ignore[no-untyped-def]
    org_id = _org(session_factory)
    _ingest(session_factory, org_id, range(3))
    cache = FrameCache(AnalyticsConfig(min_reload_s=3600, background_reload=False))
    with session_factory() as session:
        first = cache.get(session, org_id)
    _ingest(session_factory, org_id, range(3, 6))
    with session_factory() as session:
        assert len(cache.get(session, org_id).df) == 3 and cache.get(session, org_id) is first


def test_row_cap_refuses_an_oversized_frame(session_factory) -> None:  # type: ignore[no-untyped-def]
    org_id = _org(session_factory)
    _ingest(session_factory, org_id, range(5))
    cache = FrameCache(AnalyticsConfig.model_construct(**{**AnalyticsConfig().model_dump(), "max_frame_rows": 4}))
    with session_factory() as session, pytest.raises(ServiceUnavailable, match="more than 4 contacts"):
        cache.get(session, org_id)


def test_config_from_environment() -> None:
    cfg = load_analytics_config({"CXOPS_ANALYTICS_REPEAT_DAYS": "3", "CXOPS_ANALYTICS_BACKGROUND_RELOAD": "false"})
    assert cfg.repeat_days == 3 and cfg.background_reload is False
    with pytest.raises(ConfigurationError, match="CXOPS_ANALYTICS_REPEAT_DAYS"):
        load_analytics_config({"CXOPS_ANALYTICS_REPEAT_DAYS": "90"})
