"""`cxops import` end to end on a real database: summaries, exit codes, idempotent re-imports."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from cxops.core.config import get_settings
from cxops.domains.interactions.public import Interaction, Turn
from cxops.entrypoints.cli.main import app
from tests.conftest import REPO, SHARED_DATA
from tests.factories import interaction

CONTACT_LENS = SHARED_DATA / "amazon_connect_contact_lens"
FIXTURES = REPO / "tests" / "fixtures"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str) -> Iterator[None]:
    monkeypatch.setenv("CXOPS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CXOPS_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def cli(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(app, ["import", *map(str, args)])
    return result.exit_code, result.output


def counts(factory: sessionmaker[Session]) -> tuple[int, int]:
    with factory() as s:
        return (
            s.scalar(select(func.count()).select_from(Interaction)) or 0,
            s.scalar(select(func.count()).select_from(Turn)) or 0,
        )


def test_contact_lens_chat_import_then_reimport_changes_nothing(session_factory: sessionmaker[Session]) -> None:
    code, out = cli(CONTACT_LENS / "chat_analysis_original.json", "--format", "contact-lens")
    assert code == 0, out
    assert "received 1  created 1  updated 0  unchanged 0  failed 0" in out
    assert counts(session_factory) == (1, 31)
    code, out = cli(CONTACT_LENS / "chat_analysis_original.json", "--format", "contact-lens")
    assert code == 0 and "created 0  updated 0  unchanged 1" in out
    assert counts(session_factory) == (1, 31)


def test_contact_lens_voice_from_an_amazon_named_file(tmp_path: Path, session_factory: sessionmaker[Session]) -> None:
    named = tmp_path / "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d_analysis_2022-11-30T14:05:00Z.json"
    shutil.copy(CONTACT_LENS / "voice_call_analysis_original.json", named)
    code, out = cli(named, "--format", "contact-lens", "--agent", "a-17", "--org", "acme")
    assert code == 0, out
    with session_factory() as s:
        row = s.scalars(select(Interaction)).one()
        assert row.external_id == "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d" and row.channel == "voice"
        assert row.turn_count == 10 and row.primary_agent_id is not None


def test_zendesk_page_then_the_same_tickets_as_jsonl_are_unchanged(session_factory: sessionmaker[Session]) -> None:
    code, out = cli(FIXTURES / "zendesk" / "tickets_page.json", "--format", "zendesk", "--batch-size", "2")
    assert code == 0 and "created 3" in out
    code, out = cli(FIXTURES / "zendesk" / "export.jsonl", "--format", "zendesk")
    assert code == 0 and "created 0  updated 0  unchanged 3" in out
    assert counts(session_factory)[0] == 3


def test_genesys_and_csv_imports(tmp_path: Path, session_factory: sessionmaker[Session]) -> None:
    assert cli(FIXTURES / "genesys" / "messaging_transcripts.json", "--format", "genesys")[0] == 0
    csv_file = tmp_path / "turns.csv"
    csv_file.write_text(
        "external_id,channel,started_at,turn_speaker,turn_offset_ms,turn_text\n"
        "x-1,email,2026-03-02T09:00:00Z,customer,0,Where is my order?\n"
        "x-1,email,2026-03-02T09:00:00Z,agent,60000,It ships today.\n"
    )
    code, out = cli(csv_file, "--format", "csv", "--source", "mailbox")
    assert code == 0, out
    assert counts(session_factory) == (3, 7 + 3 + 2)


def test_bad_records_exit_1_keep_good_ones_and_report_line_and_field(
    tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    lines = [json.dumps(interaction(n)) for n in range(1, 6)]
    lines[1] = json.dumps({**interaction(2), "channel": "fax"})
    lines[3] = '{"source": "test", "external_id": '
    path = tmp_path / "batch.ndjson"
    path.write_text("\n".join(lines) + "\n")
    code, out = cli(path, "--format", "ndjson", "--batch-size", "2")
    assert code == 1
    assert "received 5  created 3  updated 0  unchanged 0  failed 2" in out
    assert "line 2: channel: Input should be" in out
    assert "line 4: (line): invalid JSON" in out
    assert counts(session_factory)[0] == 3
    code, out = cli(path, "--format", "ndjson", "--json")
    assert code == 1
    summary = json.loads(out)
    assert (summary["created"], summary["unchanged"], summary["failed"]) == (0, 3, 2)
    assert [e["line"] for e in summary["errors"]] == [2, 4]
    assert counts(session_factory)[0] == 3


def test_changed_record_is_updated_not_duplicated(tmp_path: Path, session_factory: sessionmaker[Session]) -> None:
    path = tmp_path / "one.ndjson"
    path.write_text(json.dumps(interaction(1, turns=4)) + "\n")
    assert cli(path, "--format", "ndjson")[0] == 0
    path.write_text(json.dumps(interaction(1, turns=6)) + "\n")
    code, out = cli(path, "--format", "ndjson")
    assert code == 0 and "updated 1" in out
    assert counts(session_factory) == (1, 6)


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (None, ["--format", "ndjson"], "does not exist"),
        (b"{}", ["--format", "excel"], "contact-lens, genesys, zendesk, ndjson, csv"),
        (b"", ["--format", "zendesk"], "empty"),
        (b"hello world\n", ["--format", "genesys"], "not JSON"),
        (b'{"tickets": []}', ["--format", "zendesk"], "no records"),
        (b"{}", ["--format", "contact-lens", "--started-at", "yesterday"], "ISO 8601"),
        (b"{}", ["--format", "contact-lens", "--started-at", "2026-01-01T09:00:00"], "timezone"),
        (b"{}", ["--format", "ndjson", "--org", "no spaces allowed"], "slug"),
    ],
)
def test_unusable_input_exits_2(tmp_path: Path, content: bytes | None, args: list[str], message: str) -> None:
    path = tmp_path / "input.json"
    if content is not None:
        path.write_bytes(content)
    code, out = cli(path, *args)
    assert code == 2, out
    assert message in " ".join(out.split())


def test_progress_bar_on_a_terminal_for_large_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, session_factory: sessionmaker[Session]
) -> None:
    monkeypatch.setattr("cxops.entrypoints.cli.importer.is_tty", lambda: True)
    path = tmp_path / "large.ndjson"
    with path.open("w") as f:
        for n in range(1200):
            f.write(json.dumps(interaction(n, turns=6)) + "\n")
    assert path.stat().st_size > 1024 * 1024
    code, out = cli(path, "--format", "ndjson", "--batch-size", "400")
    assert code == 0, out
    assert "received 1200  created 1200" in out
    assert counts(session_factory) == (1200, 1200 * 6)


def test_imported_turns_are_redacted_like_api_ingestion(tmp_path: Path, session_factory: sessionmaker[Session]) -> None:
    record = interaction(1, turns=1)
    record["turns"][0]["text"] = "my card is 4111 1111 1111 1111, mail jane.doe@example.com"
    path = tmp_path / "pii.ndjson"
    path.write_text(json.dumps(record) + "\n")
    assert cli(path, "--format", "ndjson")[0] == 0
    with session_factory() as s:
        text = s.scalars(select(Turn.text)).one()
    assert "4111" not in text and "jane.doe" not in text
    assert "[CARD]" in text and "[EMAIL]" in text
    code, out = cli(path, "--format", "ndjson")
    assert code == 0 and "unchanged 1" in out  # the digest is taken before redaction
