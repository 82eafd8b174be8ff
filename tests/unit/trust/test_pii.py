"""PII detection and redaction: every kind, look-alikes refused, multi-byte text never split."""

from __future__ import annotations

import re

import pytest

from cxops.domains.trust.compute import pii
from cxops.domains.trust.compute.evaluation import load_items, score


def kinds(text: str) -> list[str]:
    return [s.kind for s in pii.detect(text)]


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("write to maria.lopez@example.org today", "EMAIL", "maria.lopez@example.org"),
        ("it's tom dot baker at gmail dot com", "EMAIL", "tom dot baker at gmail dot com"),
        ("call me on (415) 555-2671 please", "PHONE", "(415) 555-2671"),
        ("my mobile is +44 7911 123456", "PHONE", "+44 7911 123456"),
        ("card 4111 1111 1111 1111 exp 10/27", "CARD", "4111 1111 1111 1111"),
        ("amex 3782-822463-10005", "CARD", "3782-822463-10005"),
        ("iban DE89 3704 0044 0532 0130 00 thanks", "IBAN", "DE89 3704 0044 0532 0130 00"),
        ("my ssn is 219-09-9999", "NATIONAL_ID", "219-09-9999"),
        ("NI number AB123456C", "NATIONAL_ID", "AB123456C"),
        ("deliver to 42 Baker Street please", "ADDRESS", "42 Baker Street"),
    ],
)
def test_each_kind_is_found_with_its_exact_span(text: str, kind: str, value: str) -> None:
    spans = pii.detect(text)
    assert [(s.kind, text[s.start : s.end]) for s in spans] == [(kind, value)]
    assert pii.redact(text) == text.replace(value, f"[{kind}]")


@pytest.mark.parametrize(
    "text",
    [
        "my order number is 4837291056",
        "tracking 1Z999AA10123456784 is late",
        "it cost $1,249.99 on 03/12/2026",
        "card 4111 1111 1111 1112 was refused",  # fails Luhn
        "IBAN DE89 3704 0044 0532 0130 01",  # fails mod 97
        "ssn 666-12-3456",  # area 666 is never issued
        "the IMEI is 356938035643809",  # Luhn-valid but no card network issues 15 digits on 35
        "there were 3 more items on the way",
        "the reference is ORD-2026-118734",
    ],
)
def test_look_alikes_are_not_pii(text: str) -> None:
    assert pii.detect(text) == []
    assert pii.redact(text) == text


def test_checksums() -> None:
    assert pii.luhn_ok("79927398713") and not pii.luhn_ok("79927398710")
    assert pii.iban_ok("GB82WEST12345698765432") and not pii.iban_ok("GB82WEST12345698765433")
    assert not pii.iban_ok("GB82WEST1234569876543")  # wrong length for GB


@pytest.mark.parametrize(
    "text",
    [
        "📧jane@example.com👍🏽",
        "Zoë́ wrote from zoë@exämple.de\u0301 ok",
        "👩‍👩‍👧 call +44 7911 123456\u200d👦 now",
        "日本語 4111 1111 1111 1111 カード",
        "emoji flag 🇬🇧 and ssn 219-09-9999\ufe0f",
    ],
)
def test_redaction_never_splits_a_character(text: str) -> None:
    spans = pii.detect(text)
    assert spans, text
    out = pii.redact(text, spans)
    out.encode("utf-8")  # no lone surrogate or broken sequence
    for span in spans:
        assert span.start == 0 or not pii._is_extender(text[span.start])
        assert span.end == len(text) or not pii._is_extender(text[span.end])
        assert text[span.end - 1] != "\u200d"
    # everything outside the spans is kept verbatim
    kept = "".join(text[a:b] for a, b in _gaps(spans, len(text)))
    assert kept == "".join(p for p in _parts(out) if not p.startswith("["))


def test_span_that_would_cut_a_cluster_is_widened() -> None:
    text = "xe\u0301y"
    widened = pii.snap(text, pii.Span("PERSON", 0, 2))
    assert (widened.start, widened.end) == (0, 3)
    assert pii.redact(text, [pii.Span("PERSON", 0, 2)]) == "[PERSON]y"


def test_byte_offsets_are_widened_to_whole_characters() -> None:
    data = "a€b".encode()  # € is three bytes: 1..4
    assert pii.byte_span_to_chars(data, 2, 3) == (1, 2)
    assert pii.byte_span_to_chars(data, 0, 1) == (0, 1)


def test_optional_name_finder_is_used_when_given() -> None:
    text = "this is Alice Smith calling"
    start = text.index("Alice")
    spans = pii.detect(text, names=lambda t: [(start, start + 11)])
    assert [(s.kind, text[s.start : s.end]) for s in spans] == [("PERSON", "Alice Smith")]


def test_evaluation_set_is_large_labelled_and_covers_every_structured_kind() -> None:
    items = load_items()
    assert len(items) >= 300
    labelled = {p["kind"] for i in items for p in i["pii"]}
    assert labelled >= {"EMAIL", "PHONE", "CARD", "IBAN", "NATIONAL_ID", "ADDRESS"}
    assert sum(1 for i in items if not i["pii"]) >= 100
    summary = score(items).summary()
    assert summary["recall_min_structured"] >= 0.98
    assert summary["precision_overall"] >= 0.95


def _gaps(spans: list[pii.Span], n: int) -> list[tuple[int, int]]:
    out, pos = [], 0
    for s in sorted(spans, key=lambda s: s.start):
        out.append((pos, s.start))
        pos = s.end
    out.append((pos, n))
    return out


def _parts(out: str) -> list[str]:
    return re.split(r"(\[[A-Z_]+\])", out)
