"""Refuse regular expressions that do not compile or could backtrack catastrophically.

A pattern is refused when an unbounded repeat contains another unbounded repeat (`(a+)+`, `(a*b?)*`) or an
alternation whose branches can match the same text (`(a|a)*`, `(a|ab)*`) - the shapes behind exponential
backtracking (the same heuristic as the safe-regex family of linters). Patterns are also length-limited.
"""

from __future__ import annotations

import re
import re._parser as sre_parse  # the stdlib's own parser (Python 3.11+), so the check sees what re compiles
from re._constants import BRANCH, MAX_REPEAT, MAXREPEAT, MIN_REPEAT, SUBPATTERN
from typing import Any

MAX_PATTERN_LENGTH = 500


class UnsafePattern(ValueError):
    """A pattern that is refused, with the reason."""


def check_pattern(pattern: str) -> re.Pattern[str]:
    """The compiled pattern, or UnsafePattern saying why it is refused."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise UnsafePattern(f"pattern longer than {MAX_PATTERN_LENGTH} characters")
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
        parsed = sre_parse.parse(pattern)
    except re.error as exc:
        raise UnsafePattern(f"does not compile: {exc}") from None
    if _nested(list(parsed), inside_unbounded=False):
        raise UnsafePattern(
            "would backtrack catastrophically (an unbounded repeat inside an unbounded repeat, "
            "or a repeated alternation with overlapping branches)"
        )
    return compiled


def _unbounded(op: Any, av: Any) -> bool:
    return op in (MAX_REPEAT, MIN_REPEAT) and av[1] == MAXREPEAT


def _nested(items: list[tuple[Any, Any]], *, inside_unbounded: bool) -> bool:
    for op, av in items:
        if op in (MAX_REPEAT, MIN_REPEAT):
            unbounded = _unbounded(op, av)
            if unbounded and inside_unbounded:
                return True
            body = list(av[2])
            if unbounded and _overlapping_branches(body):
                return True
            if _nested(body, inside_unbounded=inside_unbounded or unbounded):
                return True
        elif _nested_children(op, av, inside_unbounded):
            return True
    return False


def _nested_children(op: Any, av: Any, inside_unbounded: bool) -> bool:
    """Descend into groups and alternation branches."""
    if op == SUBPATTERN:
        return _nested(list(av[-1]), inside_unbounded=inside_unbounded)
    if op == BRANCH:
        return any(_nested(list(b), inside_unbounded=inside_unbounded) for b in av[1])
    return False


def _overlapping_branches(body: list[tuple[Any, Any]]) -> bool:
    """A repeated group whose alternation has branches where one is a prefix of another (e.g. a|ab, a|a)."""
    for op, av in body:
        if op == SUBPATTERN:
            return _overlapping_branches(list(av[-1]))
        if op == BRANCH:
            texts = [_literal_prefix(list(b)) for b in av[1]]
            for i, a in enumerate(texts):
                for j, b in enumerate(texts):
                    if i != j and a is not None and b is not None and (a == b or b.startswith(a)):
                        return True
    return False


def _literal_prefix(branch: list[tuple[Any, Any]]) -> str | None:
    out = []
    for op, av in branch:
        if str(op) != "LITERAL":
            break
        out.append(chr(av))
    return "".join(out) if out else None
