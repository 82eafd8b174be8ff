"""Ports the trust domain needs from elsewhere; entrypoints bind implementations."""

from __future__ import annotations

from typing import Protocol


class NameFinder(Protocol):
    """Finds person names in text (optional; e.g. a Presidio adapter in integrations/)."""

    def __call__(self, text: str) -> list[tuple[int, int]]:
        """(start, end) code point offsets of person names in `text`."""
        ...
