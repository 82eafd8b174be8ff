"""A savepoint is part of its transaction on every database: rolling the transaction back undoes what was written
under a savepoint released earlier in it. SQLite's Python driver opens a transaction only before a data-changing
statement, so a SAVEPOINT issued first opened one that RELEASE committed: the workflows' first run of a backfill
stayed written (as pending, with no run_requested event) when the rest of its transaction failed."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cxops.core import keys
from cxops.core.db import savepoint, unit_of_work
from cxops.core.models import Organisation


def _count(factory: sessionmaker[Session], slug: str) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(Organisation).where(Organisation.slug == slug)) or 0


def test_a_released_savepoint_is_rolled_back_with_its_transaction(session_factory: sessionmaker[Session]) -> None:
    slug = f"sp-{uuid.uuid4().hex[:8]}"
    with session_factory() as s:
        s.execute(select(func.count()).select_from(Organisation))  # a read first, as a consumer's look-up
        with savepoint(s):
            keys.ensure_organisation(s, slug=slug)
        s.rollback()
    assert _count(session_factory, slug) == 0


def test_a_failed_savepoint_keeps_the_rest_of_the_transaction(session_factory: sessionmaker[Session]) -> None:
    kept, undone = f"sp-{uuid.uuid4().hex[:8]}", f"sp-{uuid.uuid4().hex[:8]}"
    with unit_of_work(session_factory) as s:
        keys.ensure_organisation(s, slug=kept)
        with pytest.raises(RuntimeError), savepoint(s):
            keys.ensure_organisation(s, slug=undone)
            raise RuntimeError("this step fails")
    assert (_count(session_factory, kept), _count(session_factory, undone)) == (1, 0)
