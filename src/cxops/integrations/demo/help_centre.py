"""The demo's help centre: one Markdown article per demo intent, written from the same catalogue that drives the
generated conversations (what to ask for, what to check, what to do, what to say when it cannot be done), so
knowledge search, live-assist suggestions and knowledge coverage have real content in the demo."""

from __future__ import annotations

import re
from pathlib import Path

from cxops.integrations.demo.catalogue import FAMILY_ASK, FAMILY_ELIGIBLE, FAMILY_LOOKUP, INTENTS, Intent

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_EXAMPLES = {
    "order": "A10042",
    "date": "12 March",
    "amount": "$49.90",
    "last4": "4242",
    "email": "@example.com",
    "booking": "BK7Q2L",
    "tracking": "TRK4471",
    "device": "phone",
    "plan": "Plus",
    "points": "1,200",
}


def _plain(text: str) -> str:
    """Template text with example values in its placeholders ("{order}" -> "A10042")."""
    return _PLACEHOLDER.sub(lambda m: _EXAMPLES.get(m.group(1), m.group(1)), text)


def _title(intent: Intent) -> str:
    return intent.code.replace("_", " ").capitalize()


def article(intent: Intent) -> str:
    """The help article of one intent, as Markdown."""
    ask, _ = FAMILY_ASK[intent.family]
    lines = [
        f"# {_title(intent)}",
        "",
        "Customers contact us about this when they say things like: "
        + "; ".join(f'"{_plain(o)}"' for o in intent.openings),
        "",
        "## Verify and look up",
        "",
        f'Confirm who you are speaking to, then ask: "{_plain(ask)}" '
        f'Look the record up and read back what you see: "{_plain(FAMILY_LOOKUP[intent.family])}"',
        "",
        "## Check eligibility",
        "",
        f"{_plain(FAMILY_ELIGIBLE[intent.family])} Typical details customers give: "
        + "; ".join(f'"{_plain(d)}"' for d in intent.details),
        "",
        "## Resolve",
        "",
        f"When the checks pass: {_plain(intent.action)}",
        "",
        "## When it cannot be done",
        "",
        f"Explain why and what happens next: {_plain(intent.fail)}",
        "",
    ]
    if not intent.ai_ok:
        lines += ["Virtual agents hand this contact to a person.", ""]
    return "\n".join(lines)


def write_help_centre(folder: Path) -> list[Path]:
    """Write one article per demo intent into `folder` (created if needed); returns the files."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for intent in INTENTS:
        path = folder / f"{intent.code}.md"
        path.write_text(article(intent), encoding="utf-8")
        out.append(path)
    return out
