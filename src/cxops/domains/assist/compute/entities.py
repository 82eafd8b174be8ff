"""Entities and agent commitments in a transcript, for CRM-ready documentation (pure: regular expressions only).

Entities are order, account, booking, tracking and case references, card endings, amounts with their ISO 4217
currency, and dates normalised to ISO 8601 against the interaction's start date (absolute "November 3", "3rd of
March 2026", "2026-11-03"; relative "today", "tomorrow", "next Friday"). Personal data appears ONLY redacted:
transcripts are PII-redacted at ingestion (placeholders such as ``[EMAIL]``), and an e-mail address or phone
number that slipped through is reported as its placeholder, never its value (`mask_pii` does the same for any
text this module hands back).

Action items are sentences of agent (or AI agent) turns with a commitment: a future marker ("I'll", "we will",
"you'll receive", "will be processed", "takes 3 to 5 working days") and an action verb (send, refund, call back,
escalate...), minus in-call moves ("I'll transfer you", "let me pull that up"). Each carries its owner (agent,
company or customer) and, when the sentence says when, a due date.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

ACTION_SPEAKERS = frozenset({"agent", "ai"})

_MONTHS = {
    name: i
    for i, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WEEKDAYS = {d: i for i, d in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))}
_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fourteen": 14,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
}
_NUM = r"(?:\d{1,3}|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"

_CURRENCY_SYMBOLS = {"A$": "AUD", "AU$": "AUD", "C$": "CAD", "CA$": "CAD", "US$": "USD", "NZ$": "NZD", "$": "USD",
                     "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "CHF": "CHF"}  # fmt: skip
_CURRENCY_WORDS = {"dollars": "USD", "dollar": "USD", "euros": "EUR", "euro": "EUR", "pounds": "GBP", "pound": "GBP",
                   "usd": "USD", "eur": "EUR", "gbp": "GBP", "aud": "AUD", "cad": "CAD", "nzd": "NZD", "chf": "CHF",
                   "jpy": "JPY", "inr": "INR"}  # fmt: skip
_AMOUNT_NUM = r"(\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)"
_SYMBOL_RE = "|".join(re.escape(s) for s in sorted(_CURRENCY_SYMBOLS, key=len, reverse=True))
_AMOUNT_BEFORE = re.compile(r"(?<![\w$€£¥₹])(" + _SYMBOL_RE + r")\s?" + _AMOUNT_NUM + r"(?![\d,]*\d)")
_CODE_BEFORE = re.compile(r"\b(USD|EUR|GBP|AUD|CAD|NZD|CHF|JPY|INR)\s?" + _AMOUNT_NUM + r"\b")
_AMOUNT_AFTER = re.compile(
    r"(?<![\w.$€£])" + _AMOUNT_NUM + r"\s?(dollars?|euros?|pounds?|usd|eur|gbp|aud|cad|nzd|chf|jpy|inr)\b",
    re.IGNORECASE,
)

_REF_TAIL = r"(?:\s+(?:number|no\.?|num|id|ref(?:erence)?|code))?(?:\s+(?:is|was))?\s*[:#]?\s*"
_REF_VALUE = r"(#?[A-Z]{0,4}-?\d[A-Z0-9-]{2,23})\b"
_REFERENCES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("order_id", re.compile(r"(#W\d{5,10})\b")),
    ("order_id", re.compile(r"\border" + _REF_TAIL + _REF_VALUE, re.IGNORECASE)),
    ("booking_ref", re.compile(r"\b(BK\d{5,8})\b")),
    ("booking_ref", re.compile(r"\b(?:booking|reservation|confirmation)" + _REF_TAIL + _REF_VALUE, re.IGNORECASE)),
    ("tracking_number", re.compile(r"\b(1Z[0-9A-Z]{8,16})\b")),
    ("tracking_number", re.compile(r"\btracking" + _REF_TAIL + _REF_VALUE, re.IGNORECASE)),
    ("case_id", re.compile(r"\b(CS-\d{4,10})\b")),
    ("case_id", re.compile(r"\b(?:case|ticket|incident|complaint)" + _REF_TAIL + _REF_VALUE, re.IGNORECASE)),
    ("account_id", re.compile(r"\b(?:account|acct|membership|member|customer)" + _REF_TAIL + _REF_VALUE, re.I)),
    ("card_last4", re.compile(r"\bcard\b[^.?!]{0,20}?\bending(?:\s+in)?\s+(\d{4})\b", re.IGNORECASE)),
)
_PLACEHOLDER = re.compile(r"\[(EMAIL|PHONE|CARD|IBAN|NATIONAL_ID|ADDRESS|PERSON)\]")
_RAW_EMAIL = re.compile(r"(?<![\w.+-])[^\W_][\w.%+-]{0,63}@[^\W_](?:[\w-]{0,62}\.)+[^\W\d_]{2,24}")
_RAW_PHONE = re.compile(
    r"(?<![\w#/-])(?:\+|00)\d[\d\s().-]{6,18}\d(?![\w-])|(?<![\w#/-])\(?0\d{2,4}\)?[\s.-]?\d{3}[\s.-]?\d{3,4}(?![\w-])"
)

_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_MONTH_DAY = re.compile(
    r"\b(" + _MONTH_RE + r")\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4})(?![-/]\d))?\b(?!:)", re.IGNORECASE
)
_DAY_MONTH = re.compile(
    r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(" + _MONTH_RE + r")\b\.?(?:,?\s+(\d{4})(?![-/]\d))?", re.IGNORECASE
)
_RELATIVE = re.compile(
    r"\b(today|tonight|tomorrow|yesterday|(?:next|this|last|on|by)\s+(?:"
    + "|".join(_WEEKDAYS)
    + r")|next week|next month)\b",
    re.IGNORECASE,
)

_FUTURE = re.compile(r"(?:'ll|\bwill|\bgoing to|\bshall)\b", re.IGNORECASE)
_WEAK_FUTURE = re.compile(r"\b(?:should|takes?|within|expect(?:ed)?)\b", re.IGNORECASE)
_ACTION_VERBS = re.compile(
    r"\b(?:send|sent|email|e-mail|call(?:\s+you)?\s+back|call|ring|text|refund(?:ed)?|credit(?:ed)?|process(?:ed)?|"
    r"post|ship|dispatch(?:ed)?|arrange|book|escalate|follow(?:\s+|-)up|update|raise|cancel|replace|reissue|review|"
    r"investigate|chase|contact|get back|notify|hear(?:\s+back)?|receive|see|get|be back|reply|respond|waive|apply|"
    r"reset|schedule|deliver(?:ed)?|arrive|confirm|check|release|reverse|appear|go through)\b",
    re.IGNORECASE,
)
_IN_CALL = re.compile(
    r"\b(?:transfer(?:ring)? you|put you through|pull (?:that|it|this) up|have a look|bear with|be right back|"
    r"sort (?:this|that|it) out|anything else|one moment|double-check|repeat that|let me)\b",
    re.IGNORECASE,
)
_CUSTOMER_OWNED = re.compile(
    r"\b(?:you'll need to|you will need to|you need to|please|you should|you can)\b"
    r"|[;,]\s*(?:just\s+)?(?:drop|send|bring|return|call|contact|keep|post|take|sign|reply)\b",  # "...; drop it at..."
    re.IGNORECASE,
)
_AGENT_OWNED = re.compile(r"\b(?:I'll|I will|I'm going to|I am going to)\b", re.IGNORECASE)
_DUE_SPAN = re.compile(
    r"\b(?:(?:with)?in|up to|takes?|by|over)\s+(?:the\s+next\s+)?(?:up\s+to\s+)?"
    r"(" + _NUM + r")(?:\s*(?:to|-|or)\s*(" + _NUM + r"))?\s+(working\s+|business\s+)?(day|hour|week)s?\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(\[])")


@dataclass(frozen=True, slots=True)
class TurnText:
    """One turn as documentation sees it: sequence number, speaker and (redacted) text."""

    seq: int
    speaker: str
    text: str


def split_sentences(text: str) -> list[str]:
    """Sentences of a turn (on . ! ? followed by a capitalised word); blank pieces dropped."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def mask_pii(text: str) -> str:
    """`text` with any e-mail address or phone number that escaped redaction replaced by its placeholder."""
    return _RAW_PHONE.sub("[PHONE]", _RAW_EMAIL.sub("[EMAIL]", text))


def _number(token: str) -> int:
    return int(token) if token.isdigit() else _NUMBER_WORDS[token.lower()]


def _add_business_days(start: date, days: int) -> date:
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def _nearest_year(month: int, day: int, reference: date) -> date | None:
    """The date month/day in the year that puts it closest to `reference` (transcripts rarely say the year)."""
    best: date | None = None
    for year in (reference.year - 1, reference.year, reference.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if best is None or abs((candidate - reference).days) < abs((best - reference).days):
            best = candidate
    return best


def _weekday(word: str, reference: date) -> date:
    mode, name = word.lower().split()
    target = _WEEKDAYS[name]
    delta = (target - reference.weekday()) % 7
    if mode == "last":
        return reference - timedelta(days=(reference.weekday() - target) % 7 or 7)
    if mode == "next":
        return reference + timedelta(days=delta or 7)
    return reference + timedelta(days=delta)


def find_dates(text: str, reference: date) -> list[tuple[str, str]]:
    """(as written, ISO date) for every date in `text`, resolved against `reference` (the interaction's day)."""
    out: list[tuple[int, str, str]] = []
    taken: list[tuple[int, int]] = []

    def add(match: re.Match[str], value: date | None) -> None:
        if value is None or any(match.start() < e and s < match.end() for s, e in taken):
            return
        taken.append((match.start(), match.end()))
        out.append((match.start(), match.group(0).strip(), value.isoformat()))

    for m in _ISO_DATE.finditer(text):
        try:
            add(m, date(int(m.group(1)), int(m.group(2)), int(m.group(3))))
        except ValueError:
            continue
    for pattern, month_group, day_group in ((_MONTH_DAY, 1, 2), (_DAY_MONTH, 2, 1)):
        for m in pattern.finditer(text):
            month, day = _MONTHS[m.group(month_group).lower()], int(m.group(day_group))
            try:
                value = date(int(m.group(3)), month, day) if m.group(3) else _nearest_year(month, day, reference)
            except ValueError:
                value = None
            add(m, value)
    for m in _RELATIVE.finditer(text):
        word = m.group(1).lower()
        relative = {"today": 0, "tonight": 0, "tomorrow": 1, "yesterday": -1, "next week": 7, "next month": 30}
        add(m, reference + timedelta(days=relative[word]) if word in relative else _weekday(word, reference))
    return [(raw, iso) for _, raw, iso in sorted(out)]


def find_amounts(text: str) -> list[tuple[str, float, str]]:
    """(as written, value, ISO 4217 currency) for every amount with a currency in `text`."""
    out: list[tuple[int, str, float, str]] = []
    taken: list[tuple[int, int]] = []
    for pattern, currency_group, value_group in ((_AMOUNT_BEFORE, 1, 2), (_CODE_BEFORE, 1, 2), (_AMOUNT_AFTER, 2, 1)):
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            symbol = m.group(currency_group)
            currency = _CURRENCY_SYMBOLS.get(symbol) or _CURRENCY_WORDS.get(symbol.lower(), "")
            if not currency:
                continue
            taken.append((m.start(), m.end()))
            out.append((m.start(), m.group(0), float(m.group(value_group).replace(",", "")), currency))
    return [(raw, value, cur) for _, raw, value, cur in sorted(out)]


def _normalise_ref(value: str) -> str:
    return value.lstrip("#").upper()


def extract_entities(turns: Sequence[TurnText], reference: date) -> list[dict[str, Any]]:
    """Entities of a transcript, deduplicated by (type, normalised value), with the turns that mention them."""
    found: dict[tuple[str, str], dict[str, Any]] = {}

    def note(kind: str, key: str, seq: int, **fields: Any) -> None:
        item = found.setdefault((kind, key), {"type": kind, **fields, "turns": []})
        if seq not in item["turns"]:
            item["turns"].append(seq)

    for turn in turns:
        text = turn.text
        for kind, pattern in _REFERENCES:
            for m in pattern.finditer(text):
                raw = m.group(1)
                if kind != "card_last4" and not any(c.isdigit() for c in raw):
                    continue
                key = _normalise_ref(raw)
                note(kind, key, turn.seq, value=key)
        for raw, value, currency in find_amounts(text):
            note("amount", f"{currency}:{value:.2f}", turn.seq, text=raw, value=value, currency=currency)
        for raw, iso in find_dates(text, reference):
            note("date", iso, turn.seq, text=raw, value=iso)
        for m in _PLACEHOLDER.finditer(text):
            kind = m.group(1).lower()
            note(kind, kind, turn.seq, value=m.group(0), redacted=True)
        if _RAW_EMAIL.search(text):
            note("email", "email", turn.seq, value="[EMAIL]", redacted=True)
        if _RAW_PHONE.search(_RAW_EMAIL.sub(" ", text)):
            note("phone", "phone", turn.seq, value="[PHONE]", redacted=True)
    return _drop_shadowed(list(found.values()))


def _drop_shadowed(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A value caught by a specific pattern (booking BK..., case CS-...) is not also an order or account id."""
    specific = {i["value"] for i in items if i["type"] in ("booking_ref", "case_id", "tracking_number")}
    return [i for i in items if not (i["type"] in ("order_id", "account_id") and i["value"] in specific)]


def _due(sentence: str, reference: date) -> tuple[str | None, str | None]:
    """(ISO due date, the words saying when) for a commitment, or (None, None)."""
    m = _DUE_SPAN.search(sentence)
    if m:
        count = _number(m.group(2) or m.group(1))
        unit = m.group(4).lower()
        if unit == "hour":
            when = reference + timedelta(days=max(1, -(-count // 24)))
        elif unit == "week":
            when = reference + timedelta(days=7 * count)
        elif m.group(3):
            when = _add_business_days(reference, count)
        else:
            when = reference + timedelta(days=count)
        return when.isoformat(), m.group(0)
    dates = find_dates(sentence, reference)
    if dates:
        return dates[-1][1], dates[-1][0]
    return None, None


def extract_action_items(turns: Iterable[TurnText], reference: date) -> list[dict[str, Any]]:
    """Commitments made by agents (human or AI): text, owner, due date when stated, and the turn."""
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    for turn in turns:
        if turn.speaker not in ACTION_SPEAKERS:
            continue
        for sentence in split_sentences(turn.text.replace("\u2019", "'")):
            if sentence.endswith("?") or _IN_CALL.search(sentence):
                continue
            if not _ACTION_VERBS.search(sentence):
                continue
            due, due_text = _due(sentence, reference)
            if not (_FUTURE.search(sentence) or (_WEAK_FUTURE.search(sentence) and due is not None)):
                continue
            key = " ".join(sentence.lower().split())
            if key in seen:
                continue
            seen.add(key)
            owner = (
                "customer"
                if _CUSTOMER_OWNED.search(sentence)
                else "agent"
                if _AGENT_OWNED.search(sentence)
                else "company"
            )
            items.append(
                {
                    "text": mask_pii(sentence),
                    "owner": owner,
                    "due": due,
                    "due_text": due_text,
                    "turn": turn.seq,
                    "speaker": turn.speaker,
                }
            )
    return items
