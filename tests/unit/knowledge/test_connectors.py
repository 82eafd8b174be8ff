"""Connectors: every format reads, and every kind of bad file gets its own error while the rest goes on."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cxops.domains.knowledge.compute.connectors import read_source, stated_date
from tests.knowledge_support import write_all_formats


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_all_formats(tmp_path_factory.mktemp("kb"))


def test_every_format_yields_articles(sources: dict[str, Path]) -> None:
    titles = {kind: [d.title for d in read_source(kind, str(p)).docs] for kind, p in sources.items()}
    assert sorted(titles["markdown"]) == ["Refund policy", "Reset your password", "Shipping times"]
    assert titles["html"] == ["Lost card"]
    assert titles["confluence"] == ["Wire transfers"]
    assert titles["zendesk"] == ["Dispute a charge"]  # the draft is skipped
    assert sorted(titles["faq"]) == ["Can I change my PIN?", "How do I close my account?"]
    assert len(titles["jsonl"]) == 12
    pdf = read_source("pdf", str(sources["pdf"])).docs[0]
    assert "Overdraft fee is 25 dollars" in pdf.body
    assert all(not r.errors for r in (read_source(k, str(p)) for k, p in sources.items()))


def test_html_scripts_and_styles_are_stripped_and_headings_kept(sources: dict[str, Path]) -> None:
    doc = read_source("html", str(sources["html"])).docs[0]
    assert "alert" not in doc.body and "pwned" not in doc.body and "p{}" not in doc.body
    assert "## Replacement" in doc.body


def test_bad_files_get_specific_errors_and_good_files_still_load(tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text("# Good\n\nFine text.")
    (tmp_path / "empty.md").write_text("   \n")
    (tmp_path / "latin1.md").write_bytes("# Caf\xe9 hours\n\nOpen daily.".encode("latin-1"))
    (tmp_path / "huge.md").write_text("# Big\n\n" + "word " * 5000)
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    result = read_source("markdown", str(tmp_path), max_file_bytes=10_000)
    assert [d.title for d in result.docs] == ["Good"]
    errors = {e.file: e.message for e in result.errors}
    assert errors["empty.md"] == "empty file"
    assert "not valid UTF-8" in errors["latin1.md"] and "offset" in errors["latin1.md"]
    assert errors["huge.md"].startswith("file too large")
    assert errors["image.png"] == "unsupported format .png for a markdown source"


def test_corrupt_pdf_is_reported(tmp_path: Path) -> None:
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage without xref")
    (tmp_path / "notpdf.pdf").write_bytes(b"this is not a pdf at all")
    result = read_source("pdf", str(tmp_path))
    assert not result.docs
    assert {e.file for e in result.errors} == {"broken.pdf", "notpdf.pdf"}
    assert all("PDF" in e.message for e in result.errors)


def test_missing_path_and_unknown_kind(tmp_path: Path) -> None:
    result = read_source("markdown", str(tmp_path / "nope"))
    assert result.errors[0].message == "source path does not exist"
    with pytest.raises(ValueError, match="unknown source kind"):
        read_source("docx", str(tmp_path))


def test_faq_without_columns_and_bad_json(tmp_path: Path) -> None:
    (tmp_path / "faq.csv").write_text("q,a\nx,y\n")
    assert "needs 'question' and 'answer'" in read_source("faq", str(tmp_path)).errors[0].message
    bad = tmp_path / "docs"
    bad.mkdir()
    (bad / "a.json").write_text('{"id": "x", "title": "t"')
    (bad / "b.json").write_text('{"id": "y", "title": "no content"}')
    (bad / "c.jsonl").write_text('{"id": "z", "content": "ok"}\n{"id": 1\n')
    errors = {e.file: e.message for e in read_source("jsonl", str(bad)).errors}
    assert errors["a.json"].startswith("invalid JSON at line 1")
    assert "non-empty 'content'" in errors["b.json"]
    assert errors["c.jsonl"].startswith("line 2: invalid JSON")


def test_unusable_paths_are_errors_not_crashes(tmp_path: Path) -> None:
    for path in (str(tmp_path / ("x" * 300)), "a\x00b"):
        result = read_source("markdown", path)
        assert not result.docs and "source path" in result.errors[0].message


def test_a_sources_own_modification_date_is_read_and_a_bad_one_only_lost(tmp_path: Path) -> None:
    assert stated_date("2026-10-16T08:00:00Z") == datetime(2026, 10, 16, 8, tzinfo=UTC)
    assert stated_date("2026-10-16T10:00:00+02:00") == datetime(2026, 10, 16, 8, tzinfo=UTC)
    assert stated_date("2026-10-16") == datetime(2026, 10, 16, tzinfo=UTC)  # no offset: UTC
    assert stated_date("last tuesday") is None and stated_date(None) is None and stated_date(1_700_000_000) is None
    export = tmp_path / "zendesk.json"
    export.write_text(
        json.dumps({"articles": [
            {"id": 1, "title": "Dated", "body": "<p>a</p>", "updated_at": "2025-01-31T12:00:00Z"},
            {"id": 2, "title": "Bad date", "body": "<p>b</p>", "updated_at": "soon"},
            {"id": 3, "title": "Undated", "body": "<p>c</p>"},
        ]})
    )  # fmt: skip
    result = read_source("zendesk", str(export))
    assert not result.errors
    dates = {d.title: d.updated_at for d in result.docs}
    assert dates == {"Dated": datetime(2025, 1, 31, 12, tzinfo=UTC), "Bad date": None, "Undated": None}
    doc = tmp_path / "docs.jsonl"
    doc.write_text(json.dumps({"id": "a", "title": "T", "content": "x y z", "last_modified": "2024-05-01"}) + "\n")
    assert read_source("jsonl", str(doc)).docs[0].updated_at == datetime(2024, 5, 1, tzinfo=UTC)
