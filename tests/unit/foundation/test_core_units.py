"""Pure units of the core: line splitting, log scrubbing, ids, settings, contract validation."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from cxops.core.config import load_settings
from cxops.core.errors import ConfigurationError
from cxops.core.ids import new_id
from cxops.core.logging import JsonFormatter, scrub
from cxops.domains.interactions.ingest import LineSplitter, content_hash, iter_lines, parse_obj
from tests.factories import interaction


def test_line_splitter_across_chunks_and_oversized_lines() -> None:
    data = b'{"a":1}\n\n{"b":2}\n' + b"x" * 50 + b'\n{"c":3}'
    for size in (1, 3, 7, 1000):
        chunks = [data[i : i + size] for i in range(0, len(data), size)]
        out = list(iter_lines(chunks, max_line_bytes=20))
        assert out == [(1, b'{"a":1}'), (3, b'{"b":2}'), (4, None), (5, b'{"c":3}')], size


def test_splitter_keeps_no_more_than_a_line() -> None:
    s = LineSplitter(max_line_bytes=10)
    assert s.feed(b"y" * 25) == [(1, None)]
    assert s.feed(b"y" * 25) == []
    assert s.feed(b"yy\nok\n") == [(2, b"ok")]


def test_scrub_masks_personal_data_and_keys() -> None:
    text = "mail jane.doe@example.com card 4111 1111 1111 1111 call +44 20 7946 0958 key cx_abcdefghijklmnop"
    out = scrub(text)
    assert "jane" not in out and "4111" not in out and "7946" not in out and "abcdefghij" not in out


def test_json_formatter_scrubs_extra_fields() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("bob@example.org",), None)
    record.customer = "bob@example.org"
    line = JsonFormatter().format(record)
    assert "bob@" not in line and '"customer":"<email>"' in line


def test_ids_are_time_ordered_version_7() -> None:
    ids = [new_id() for _ in range(200)]
    assert all(i.version == 7 for i in ids)
    assert [i.int >> 80 for i in ids] == sorted(i.int >> 80 for i in ids)
    assert len(set(ids)) == 200


def test_ids_made_in_the_same_millisecond_keep_their_order() -> None:
    """Many ids per millisecond (the outbox orders events by id): strictly increasing, variant bits intact."""
    ids = [new_id() for _ in range(20_000)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    per_ms: dict[int, int] = {}
    for i in ids:
        per_ms[i.int >> 80] = per_ms.get(i.int >> 80, 0) + 1
    assert max(per_ms.values()) > 1  # the property was exercised within one millisecond
    assert all(i.version == 7 and (i.int >> 62) & 0b11 == 0b10 for i in ids)


def test_settings_errors_name_the_variable() -> None:
    with pytest.raises(ConfigurationError) as exc:
        load_settings({"CXOPS_PORT": "eighty"})
    assert exc.value.field == "CXOPS_PORT"
    assert load_settings({"CXOPS_EMBEDDED_DISPATCH": "no"}).embedded_dispatch is False


def test_content_hash_is_stable_and_sensitive() -> None:
    a, b = parse_obj(1, interaction(1)), parse_obj(1, interaction(1))
    c = parse_obj(1, interaction(1, csat=2))
    assert content_hash(a) == content_hash(b) != content_hash(c)  # type: ignore[arg-type]


def test_knowledge_roots_default_to_the_organisations_folder_and_expand_org() -> None:
    default = load_settings({"CXOPS_DATA_DIR": "/srv/cx"})
    assert default.knowledge_roots_for("acme") == [Path("/srv/cx/knowledge-sources/acme")]
    custom = load_settings({"CXOPS_DATA_DIR": "/srv/cx", "CXOPS_KNOWLEDGE_ROOTS": "/kb/{org}:/shared/policies: "})
    assert custom.knowledge_roots_for("globex") == [Path("/kb/globex"), Path("/shared/policies")]
