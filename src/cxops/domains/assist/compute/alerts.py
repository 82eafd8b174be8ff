"""Supervisor alerts on a live interaction: sentiment drop, escalation risk, long silence or hold, compliance miss.

Each kind is raised once per interaction (compliance once per rule), so a board is not flooded by one call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cxops.domains.assist.compute.phrases import compile_phrases, first_match

#: Customer sentiment (mean of the last two segments) this far below its best so far is a drop.
DROP_POINTS = 3.0
#: A customer segment at or below this score is very negative.
VERY_NEGATIVE = -3.0
#: Escalation risk at or above this raises an alert.
RISK_ALERT = 0.6
ESCALATION_PHRASES = compile_phrases([
    "manager", "supervisor", "complaint", "complain", "cancel my account", "lawyer", "ombudsman", "unacceptable",
    "not good enough", "ridiculous", "third time", "keeps happening", "keep happening", "waste of time",
    "close my account", "speak to someone else",
])  # fmt: skip
HOLD_PHRASES = compile_phrases(["bear with me", "put you on hold", "place you on hold", "one moment while i"])


@dataclass
class AlertState:
    """Which alerts an interaction has raised, and the inputs of its escalation risk."""

    raised: set[str] = field(default_factory=set)
    risk: float = 0.0
    escalation_cues: int = 0
    issues: int = 0
    on_hold_since_ms: int | None = None

    def _raise(self, key: str, alert: dict[str, Any], out: list[dict[str, Any]]) -> None:
        if key not in self.raised:
            self.raised.add(key)
            out.append(alert)

    def escalation_risk(self, *, speaker: str, text_norm: str, score: float, drop: float,
                        issues: int, negative_label: bool, intent: str | None) -> float:  # fmt: skip
        """Risk 0..1: 0.35 per escalation cue said by the customer (max 2), +0.25 very negative, +0.2 for a
        sentiment drop of 2+, +0.1 per detected issue (max 2), +0.1 for a complaint intent."""
        if speaker == "customer":
            if first_match(text_norm, ESCALATION_PHRASES):
                self.escalation_cues += 1
            self.issues += issues + (1 if negative_label else 0)
        risk = 0.35 * min(2, self.escalation_cues) + 0.1 * min(2, self.issues)
        risk += (0.25 if score <= VERY_NEGATIVE and speaker == "customer" else 0.0) + (0.2 if drop >= 2 else 0.0)
        risk += 0.1 if intent and intent.startswith("complaint") else 0.0
        self.risk = round(min(1.0, max(self.risk * 0.8, risk)), 2)
        return self.risk

    def on_segment(self, *, seq: int, speaker: str, text_norm: str, score: float, drop: float,
                   begin_ms: int, gap_ms: int | None, silence_ms: int) -> list[dict[str, Any]]:  # fmt: skip
        """Alerts raised by one processed segment (escalation risk must be updated first)."""
        out: list[dict[str, Any]] = []
        if speaker == "customer" and (drop >= DROP_POINTS or score <= VERY_NEGATIVE):
            why = f"fell {drop:.1f} points" if drop >= DROP_POINTS else f"is {score:+.1f}"
            self._raise("sentiment_drop", _alert("sentiment_drop", "warning", f"customer sentiment {why}", seq,
                                                 score=score, drop=drop), out)  # fmt: skip
        if self.risk >= RISK_ALERT:
            self._raise("escalation_risk", _alert("escalation_risk", "critical",
                        f"escalation risk {self.risk:.2f}", seq, risk=self.risk), out)  # fmt: skip
        if speaker != "customer" and first_match(text_norm, HOLD_PHRASES):
            self.on_hold_since_ms = begin_ms
        elif gap_ms is not None and gap_ms >= silence_ms:
            what = "hold" if self.on_hold_since_ms is not None else "silence"
            self._raise("long_silence", _alert("long_silence", "warning",
                        f"{what} of {gap_ms / 1000:.0f} s in the conversation", seq, gap_ms=gap_ms), out)  # fmt: skip
            self.on_hold_since_ms = None
        else:
            self.on_hold_since_ms = None
        return out

    def on_idle(self, idle_s: float, silence_s: float) -> list[dict[str, Any]]:
        """A long silence measured on the wall clock (no segment for `idle_s` seconds)."""
        out: list[dict[str, Any]] = []
        if idle_s >= silence_s:
            what = "hold" if self.on_hold_since_ms is not None else "silence"
            self._raise("long_silence", _alert("long_silence", "warning",
                        f"no speech for {idle_s:.0f} s ({what})", None, idle_s=round(idle_s, 1)), out)  # fmt: skip
        return out

    def on_compliance(self, misses: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One alert per compliance rule missed."""
        out: list[dict[str, Any]] = []
        for m in misses:
            said = f": said {m['phrase']!r}" if m.get("phrase") else ": not said in time"
            self._raise(f"compliance:{m['rule']}", _alert("compliance_miss", "critical", m["title"] + said, m["seq"],
                                                           rule=m["rule"], rule_kind=m["kind"]), out)  # fmt: skip
        return out


def _alert(kind: str, severity: str, message: str, seq: int | None, **detail: Any) -> dict[str, Any]:
    return {"kind": kind, "severity": severity, "message": message, "seq": seq, "detail": detail}
