"""Labelled customer utterances of the demo intents, for training and testing intent models."""

from __future__ import annotations

import random
from datetime import date

from cxops.integrations.demo.catalogue import INTENTS
from cxops.integrations.demo.dialogue import slots

PREFIXES = ("", "", "Hi, ", "Hello, ", "Hi there. ", "Good morning. ", "Yeah, hi, ", "Hey, ")
SUFFIXES = ("", "", "", " Thanks.", " Can you help?", " Please help.", " Thank you.")
NAMES = ("Alex Smith", "Maria Garcia", "Wei Chen", "Aoife Kelly")


def labelled_utterances(seed: int = 7, per_intent: int = 40) -> list[tuple[str, str]]:
    """(text, intent code) pairs: each intent's openings and details with slots filled and light variation.

    Deterministic by seed; texts within an intent are distinct where the templates allow it.
    """
    r = random.Random(seed)
    out: list[tuple[str, str]] = []
    for intent in INTENTS:
        seen: set[str] = set()
        for _ in range(per_intent * 10):
            if len(seen) >= per_intent:
                break
            values = slots(r, date(2026, 1, 1), r.choice(("emea", "amer", "apac")), r.choice(NAMES))
            text = r.choice(intent.openings)
            if r.random() < 0.3:
                text = f"{text} {r.choice(intent.details)}"
            text = (r.choice(PREFIXES) + text.format(**values) + r.choice(SUFFIXES)).strip()
            if text not in seen:
                seen.add(text)
                out.append((text, intent.code))
    return out
