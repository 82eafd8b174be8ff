"""PII detection and redaction: pure compute (no database, no web), fast enough for ingestion.

Detectors are regular expressions for candidates followed by validation, so look-alikes are refused:

* EMAIL: RFC 5322-ish local@domain.tld, plus the spoken form "jane dot doe at example dot com".
* PHONE: digit runs of 7-15 digits validated by Google's libphonenumber (`phonenumbers.is_valid_number`)
  for an international prefix or one of the default regions; refused after order/tracking/reference words.
* CARD: 13-19 digits (spaces or dashes allowed) with a known issuer prefix (IIN) and a valid Luhn checksum
  (Luhn, US patent 2,950,048, 1960).
* IBAN: country code, check digits and BBAN of the country's registered length, ISO 13616 mod-97 == 1.
* NATIONAL_ID: US SSN (AAA-GG-SSSS, excluding 000/666/9xx areas, 00 groups, 0000 serials; the bare nine
  digits only next to "ssn"/"social security") and UK NINO (two prefix letters from the HMRC-allowed set,
  six digits, suffix A-D).
* ADDRESS: a house number, one to four street-name words and a street suffix (Street, Rd, Avenue...),
  optionally followed by a flat/unit number and a UK postcode or US ZIP.
* PERSON: only when an optional name detector (e.g. Presidio) is supplied by the caller.

Redaction replaces each span by a typed placeholder such as ``[EMAIL]``. Spans are Python string
(code point) offsets, never byte offsets, and are widened to whole grapheme clusters (combining marks,
zero-width joiners, variation selectors, emoji modifiers), so a redaction never splits a character.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import phonenumbers

KINDS = ("EMAIL", "PHONE", "CARD", "IBAN", "NATIONAL_ID", "ADDRESS", "PERSON")
STRUCTURED = ("CARD", "EMAIL", "PHONE")

NameFinder = Callable[[str], list[tuple[int, int]]]


@dataclass(frozen=True, slots=True)
class Span:
    """A detected piece of personal data: its kind and [start, end) code point offsets."""

    kind: str
    start: int
    end: int


_EMAIL = re.compile(r"(?<![\w.+-])[^\W_][\w.%+-]{0,63}@[^\W_](?:[\w-]{0,62}\.)+[^\W\d_]{2,24}")
_SPOKEN_EMAIL = re.compile(
    r"\b[a-z0-9]+(?:\s(?:dot|underscore)\s[a-z0-9]+)*\sat\s[a-z0-9-]+(?:\sdot\s[a-z]{2,6}){1,2}\b", re.IGNORECASE
)
_DIGITY = re.compile(r"(?<![\w+\-/])(?:\+|00)?\(?\d[\d\s().\-/]{5,22}\d(?![\w\-/])")
_CARD = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b", re.IGNORECASE)
_SSN = re.compile(r"(?<![\w-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w-])")
_SSN_BARE = re.compile(r"(?<![\w-])\d{9}(?![\w-])")
_NINO = re.compile(r"\b([A-Z]{2}) ?(\d{2}) ?(\d{2}) ?(\d{2}) ?([A-D])\b", re.IGNORECASE)
_SUFFIX = (
    r"street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|court|ct|way|place|pl|close|crescent|"
    r"terrace|circle|parkway|pkwy|highway|hwy|square|sq|gardens|grove|mews|row|walk|hill"
)
_ADDRESS = re.compile(
    r"\b\d{1,5}[A-Za-z]?,?\s+((?:[A-Za-z][A-Za-z'\-]+\s+|\d{1,3}(?:st|nd|rd|th)\s+){1,4})(?:" + _SUFFIX + r")\b\.?"
    r"(?:,?\s+(?:apt|apartment|flat|unit|suite)\.?\s*#?\s*\w{1,5})?"
    r"(?-i:(?:,?\s+[A-Z][a-z]+(?:\s[A-Z][a-z]+)?)?"
    r"(?:,?\s+(?:[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}|[A-Z]{2}\s\d{5}(?:-\d{4})?|\d{5}(?:-\d{4})?))?)",
    re.IGNORECASE,
)
_STOP_WORDS_TEXT = (
    "the a an my your our his her their this that these those of on in at to for by and or is was it "
    "more less items item times days weeks months years hours minutes orders boxes all other same "
    "different wrong whole rest way"
)
_STOP_STREET_WORDS = frozenset(_STOP_WORDS_TEXT.split())
_NEG_CONTEXT = re.compile(
    r"(?:order|tracking|track|reference|ref|invoice|ticket|case|booking|confirmation|receipt|account|acct|"
    r"policy|serial|model|sku|parcel|shipment|claim|membership|transaction|item|request|imei|batch|lot|voucher|coupon|promo|gift|pin|code|#)\W{0,3}"
    r"(?:number|no|num|id|code|#)?\.?(?:\s+(?:is|was|of))?\W{0,3}$",
    re.IGNORECASE,
)
_PHONE_CONTEXT = re.compile(r"(?:phone|call|mobile|cell|tel|number|ring|text|reach|contact|whatsapp)\W", re.IGNORECASE)
_SSN_CONTEXT = re.compile(r"(?:ssn|social security)", re.IGNORECASE)
_NINO_BAD_PREFIX = frozenset({"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"})
_NINO_FIRST = set("ABCEGHJKLMNOPRSTWXYZ")
_NINO_SECOND = set("ABCEGHJKLMNPRSTWXYZ")
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
    "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24,
    "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21,
    "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31,
    "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
    "SA": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24,
    "XK": 20,
}  # fmt: skip
#: Issuer prefixes (IIN ranges) and the lengths each network issues.
_CARD_NETWORKS = (
    (re.compile(r"^4"), (13, 16, 19)),
    (re.compile(r"^(?:5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720))"), (16,)),
    (re.compile(r"^3[47]"), (15,)),
    (re.compile(r"^(?:6011|65|64[4-9])"), (16, 17, 18, 19)),
    (re.compile(r"^35(?:2[89]|[3-8]\d)"), (16, 17, 18, 19)),
    (re.compile(r"^3(?:0[0-5]|[68])"), (14, 15, 16, 17, 18, 19)),
)
_HAS_DIGIT = re.compile(r"\d").search
_NOT_DIGITS = re.compile(r"\D+").sub
_EXTEND = frozenset({"\u200d", "\u20e3"})
_NATIONAL_PREFIX: dict[str, str] = {}


def _national_prefix(region: str) -> str:
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    return (meta.national_prefix or "") if meta is not None else ""


for _region in ("US", "GB", "CA", "IE", "AU", "FR", "DE", "ES", "IT", "NL", "IN"):
    _NATIONAL_PREFIX[_region] = _national_prefix(_region)


def luhn_ok(digits: str) -> bool:
    """True when `digits` passes the Luhn mod-10 check (double every second digit from the right)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(compact: str) -> bool:
    """True when `compact` (no spaces, upper case) has its country's length and mod-97 remainder 1."""
    if _IBAN_LENGTHS.get(compact[:2]) != len(compact):
        return False
    moved = compact[4:] + compact[:4]
    try:
        number = int("".join(str(int(ch, 36)) for ch in moved))
    except ValueError:
        return False
    return number % 97 == 1


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _negative_context(text: str, start: int) -> bool:
    return _NEG_CONTEXT.search(text[max(0, start - 30) : start]) is not None


def _find_emails(text: str) -> Iterable[Span]:
    if "@" in text:
        for m in _EMAIL.finditer(text):
            yield Span("EMAIL", m.start(), m.end())
    if " at " in text.lower():
        for m in _SPOKEN_EMAIL.finditer(text):
            yield Span("EMAIL", m.start(), m.end())


def _find_cards(text: str) -> Iterable[Span]:
    for m in _CARD.finditer(text):
        digits = _digits(m.group())
        if _issued_length(digits) and luhn_ok(digits):
            yield Span("CARD", m.start(), m.end())


def _issued_length(digits: str) -> bool:
    return any(prefix.match(digits) and len(digits) in lengths for prefix, lengths in _CARD_NETWORKS)


def _find_ibans(text: str) -> Iterable[Span]:
    for m in _IBAN.finditer(text):
        raw = m.group()
        compact = raw.replace(" ", "").upper()
        # The regex may run into a following word; trim to the country's length when the prefix validates.
        want = _IBAN_LENGTHS.get(compact[:2])
        if want is None or len(compact) < want:
            continue
        if iban_ok(compact[:want]):
            end, seen = m.start(), 0
            while seen < want:
                if raw[end - m.start()] != " ":
                    seen += 1
                end += 1
            yield Span("IBAN", m.start(), end)


def _find_national_ids(text: str) -> Iterable[Span]:
    for m in _SSN.finditer(text):
        area, group, serial = m.group(1), m.group(3), m.group(4)
        if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
            continue
        if m.group(2) == " " and not _SSN_CONTEXT.search(text[max(0, m.start() - 40) : m.start()]):
            continue
        yield Span("NATIONAL_ID", m.start(), m.end())
    for m in _SSN_BARE.finditer(text):
        if _SSN_CONTEXT.search(text[max(0, m.start() - 40) : m.start()]):
            yield Span("NATIONAL_ID", m.start(), m.end())
    for m in _NINO.finditer(text):
        prefix = m.group(1).upper()
        if prefix in _NINO_BAD_PREFIX or prefix[0] not in _NINO_FIRST or prefix[1] not in _NINO_SECOND:
            continue
        yield Span("NATIONAL_ID", m.start(), m.end())


def _find_phones(text: str, regions: tuple[str, ...], taken: list[Span]) -> Iterable[Span]:
    for m in _DIGITY.finditer(text):
        if _overlaps(m.start(), m.end(), taken):
            continue
        around = text[max(0, m.start() - 40) : m.start()] + " " + text[m.end() : m.end() + 30]
        explicit = _PHONE_CONTEXT.search(around) is not None
        raw = m.group().rstrip(" .-/")
        # A run may begin with an unrelated number ("ends in 45 - (718) 555-0145"): retry without it.
        for offset in _group_starts(raw):
            part = raw[offset:]
            n = len(_digits(part))
            if n < 7 or n > 15 or _negative_context(text, m.start() + offset):
                continue
            if _valid_phone(part, regions, explicit=explicit):
                yield Span("PHONE", m.start() + offset, m.start() + len(raw))
                break


def _group_starts(raw: str) -> list[int]:
    starts = [0]
    for i in range(1, len(raw)):
        if raw[i - 1] == " " and raw[i] != " " and len(starts) < 3:
            starts.append(i)
    return starts


def _region_order(digits: str, regions: tuple[str, ...]) -> tuple[str, ...]:
    """Regions whose national prefix the number starts with first (one parse instead of several)."""
    matching = tuple(r for r in regions if _NATIONAL_PREFIX.get(r) and digits.startswith(_NATIONAL_PREFIX[r]))
    return matching + tuple(r for r in regions if r not in matching)


def _valid_phone(raw: str, regions: tuple[str, ...], *, explicit: bool) -> bool:
    international = raw.startswith(("+", "00"))
    digits = _digits(raw)
    # No national numbering plan in the default regions is shorter than 9 digits without a context word.
    if not international and len(digits) < 9 and not explicit:
        return False
    candidates: tuple[str | None, ...] = (None,) if international else _region_order(digits, regions)
    for region in candidates:
        number = raw if region is not None or raw.startswith("+") else "+" + raw.lstrip("( ")[2:]
        try:
            parsed = phonenumbers.parse(number, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed) or (explicit and phonenumbers.is_possible_number(parsed)):
            return True
    return False


def _find_addresses(text: str) -> Iterable[Span]:
    for m in _ADDRESS.finditer(text):
        words = m.group(1).lower().split()
        if not words or any(w in _STOP_STREET_WORDS for w in words):
            continue
        yield Span("ADDRESS", m.start(), m.end())


def _overlaps(start: int, end: int, spans: list[Span]) -> bool:
    return any(s.start < end and start < s.end for s in spans)


def detect(text: str, *, regions: tuple[str, ...] = ("US", "GB"), names: NameFinder | None = None) -> list[Span]:
    """Every PII span in `text`, non-overlapping, in order; earlier kinds win overlaps.

    Args:
        text: the utterance.
        regions: default regions for phone numbers written without an international prefix.
        names: optional person-name finder returning (start, end) pairs (e.g. a Presidio adapter).

    Returns:
        Spans sorted by start, widened to grapheme cluster boundaries.
    """
    spans: list[Span] = []
    # Each detector needs a minimum number of digits (card 13, phone 7, SSN 9, NINO 6), so most utterances
    # (no digits, or an amount or a short order number) skip most of them: a quarter of ingestion was here.
    digits = len(_NOT_DIGITS("", text)) if _HAS_DIGIT(text) is not None else 0
    if "@" in text or " at " in text:
        _add(spans, _find_emails(text))
    if digits:
        _add(spans, _find_ibans(text))
        if digits >= 13:
            _add(spans, _find_cards(text))
        if digits >= 6:
            _add(spans, _find_national_ids(text))
        _add(spans, _find_addresses(text))
        if digits >= 7:
            _add(spans, _find_phones(text, regions, spans))
    if names is not None:
        _add(spans, (Span("PERSON", s, e) for s, e in names(text)))
    spans.sort(key=lambda s: s.start)
    return [snap(text, s) for s in spans]


def _add(spans: list[Span], found: Iterable[Span]) -> None:
    for span in found:
        if span.end > span.start and not _overlaps(span.start, span.end, spans):
            spans.append(span)


def _is_extender(ch: str) -> bool:
    cp = ord(ch)
    return (
        unicodedata.combining(ch) != 0
        or ch in _EXTEND
        or 0xFE00 <= cp <= 0xFE0F
        or 0x1F3FB <= cp <= 0x1F3FF
        or 0xE0020 <= cp <= 0xE007F
        or unicodedata.category(ch) in ("Mn", "Me", "Mc")
    )


def snap(text: str, span: Span) -> Span:
    """`span` widened so it neither starts nor ends inside a grapheme cluster (or a surrogate pair)."""
    start, end = span.start, span.end
    while start > 0 and (_is_extender(text[start]) or text[start - 1] == "\u200d" or _low_surrogate(text[start])):
        start -= 1
    while end < len(text) and (_is_extender(text[end]) or text[end - 1] == "\u200d" or _low_surrogate(text[end])):
        end += 1
    return span if (start, end) == (span.start, span.end) else Span(span.kind, start, end)


def _low_surrogate(ch: str) -> bool:
    return "\udc00" <= ch <= "\udfff"


def redact(text: str, spans: list[Span] | None = None, **kwargs: object) -> str:
    """`text` with every PII span replaced by ``[KIND]`` (spans from `detect` unless given)."""
    found = detect(text, **kwargs) if spans is None else [snap(text, s) for s in spans]  # type: ignore[arg-type]
    if not found:
        return text
    out: list[str] = []
    pos = 0
    for span in sorted(found, key=lambda s: s.start):
        if span.start < pos:
            continue
        out.append(text[pos : span.start])
        out.append(f"[{span.kind}]")
        pos = span.end
    out.append(text[pos:])
    return "".join(out)


def byte_span_to_chars(data: bytes, start: int, end: int) -> tuple[int, int]:
    """Code point offsets for a UTF-8 byte range, widened outwards when it cuts a multi-byte character."""
    while start > 0 and (data[start] & 0xC0) == 0x80:
        start -= 1
    while end < len(data) and (data[end] & 0xC0) == 0x80:
        end += 1
    return len(data[:start].decode("utf-8")), len(data[:end].decode("utf-8"))
