"""Phrase matching on normalised text: lower case, apostrophes folded, punctuation to spaces, padded words."""

from __future__ import annotations

import re

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})
_NON_WORD = re.compile(r"[^a-z0-9'%#]+")


def normalise(text: str) -> str:
    """' words separated by single spaces ' (padded, so ' phrase ' matches whole words only)."""
    return " " + _NON_WORD.sub(" ", text.translate(_APOSTROPHES).lower()).strip() + " "


def compile_phrases(phrases: list[str]) -> tuple[str, ...]:
    """Phrases in the same normalised form as `normalise` gives texts."""
    out = tuple(normalise(p) for p in phrases if p.strip())
    return tuple(p for p in out if p.strip())


def first_match(normalised_text: str, phrases: tuple[str, ...]) -> str | None:
    """The first phrase found in the text (both normalised), stripped; None when none is."""
    for phrase in phrases:
        if phrase in normalised_text:
            return phrase.strip()
    return None
