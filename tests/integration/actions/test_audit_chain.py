"""The audit chain on a real database: tampering with a row is detected and named; tombstones are not."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from cxops.core import keys
from cxops.core.config import get_settings
from cxops.core.db import unit_of_work
from cxops.domains.actions import audit
from cxops.domains.actions.models import AuditEntry
from cxops.entrypoints.cli.main import app as cli


def seed(factory, n=5):
    with unit_of_work(factory) as s:
        org = keys.ensure_organisation(s, slug="acme")
        rows = [
            audit.append(s, org_id=org.id, kind="decision", payload={"i": i, "customer": f"cust-{i}"}) for i in range(n)
        ]
        return org.id, [r.id for r in rows]


def test_altered_row_is_named(session_factory):
    org_id, ids = seed(session_factory)
    with session_factory() as s:
        assert audit.verify(s, org_id=org_id)["ok"] is True
        s.execute(update(AuditEntry).where(AuditEntry.id == ids[2]).values(payload={"i": 999}))
        s.commit()
        result = audit.verify(s, org_id=org_id)
    assert result["ok"] is False
    assert result["first_bad_row"] == str(ids[2]) and result["first_bad_seq"] == 3
    assert "payload was altered" in result["detail"]


def test_deleted_row_is_detected(session_factory):
    org_id, ids = seed(session_factory)
    with session_factory() as s:
        s.delete(s.get(AuditEntry, ids[1]))
        s.commit()
        result = audit.verify(s, org_id=org_id)
    assert result["ok"] is False and result["first_bad_row"] == str(ids[2])


def test_tombstone_for_erasure_keeps_chain(session_factory):
    org_id, ids = seed(session_factory)
    with unit_of_work(session_factory) as s:
        assert audit.tombstone_customer(s, org_id=org_id, customer_ref="cust-3", reason="erasure request 7") == 1
    with session_factory() as s:
        row = s.get(AuditEntry, ids[3])
        assert row.tombstoned and "cust-3" not in str(row.payload)
        assert audit.verify(s, org_id=org_id)["ok"] is True


def test_cli_verify_exit_codes(session_factory, settings, monkeypatch):
    _, ids = seed(session_factory)
    monkeypatch.setenv("CXOPS_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("CXOPS_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    runner = CliRunner()
    ok = runner.invoke(cli, ["audit", "verify"])
    assert ok.exit_code == 0 and "5 rows verified" in ok.output
    with session_factory() as s:
        s.execute(update(AuditEntry).where(AuditEntry.id == ids[4]).values(kind="approval"))
        s.commit()
    bad = runner.invoke(cli, ["audit", "verify"])
    get_settings.cache_clear()
    assert bad.exit_code == 1 and str(ids[4]) in bad.output and "hash mismatch" in bad.output


def test_concurrent_appends_keep_one_chain(session_factory, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has a single writer; the row lock matters on PostgreSQL")
    org_id, _ = seed(session_factory, n=1)

    def work(tag: str) -> None:
        for i in range(15):
            with unit_of_work(session_factory) as s:
                audit.append(s, org_id=org_id, kind="decision", payload={"t": tag, "i": i})

    threads = [threading.Thread(target=work, args=(t,)) for t in "abc"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with session_factory() as s:
        result = audit.verify(s, org_id=org_id)
    assert result["ok"] is True and result["rows"] == 46
