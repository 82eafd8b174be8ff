"""Per-speaker sentiment on -5..+5 with a trend over the last segments (VADER, lexicon based, ~35k/s per core)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

_ANALYZER = SentimentIntensityAnalyzer()
#: How many recent segments of one speaker the trend looks at.
TREND_WINDOW = 6
#: A slope (points per segment) beyond which the trend is called rising or falling.
TREND_THRESHOLD = 0.25


def score(text: str) -> float:
    """VADER's compound score (-1..1) scaled to -5..+5, rounded to 0.01."""
    return round(5.0 * float(_ANALYZER.polarity_scores(text)["compound"]), 2)


def slope(values: list[float]) -> float:
    """Least-squares slope of values against their index (points per segment); 0 for fewer than two values.

    slope = sum((i - i_mean) * (v - v_mean)) / sum((i - i_mean)^2)
    """
    n = len(values)
    if n < 2:
        return 0.0
    mean_i = (n - 1) / 2
    mean_v = sum(values) / n
    num = sum((i - mean_i) * (v - mean_v) for i, v in enumerate(values))
    den = sum((i - mean_i) ** 2 for i in range(n))
    return num / den


@dataclass
class SpeakerSentiment:
    """Running sentiment of one speaker: the latest score, the recent window, and the first score."""

    window: deque[float] = field(default_factory=lambda: deque(maxlen=TREND_WINDOW))
    first: float | None = None
    peak: float | None = None

    def add(self, value: float) -> None:
        self.window.append(value)
        self.first = value if self.first is None else self.first
        recent = sum(list(self.window)[-2:]) / min(2, len(self.window))
        self.peak = recent if self.peak is None else max(self.peak, recent)

    def view(self) -> dict[str, float | str | None]:
        """{"score", "trend" (rising | falling | steady), "slope", "segments"} for a response frame."""
        if not self.window:
            return {"score": None, "trend": "steady", "slope": 0.0}
        s = slope(list(self.window))
        trend = "rising" if s >= TREND_THRESHOLD else "falling" if s <= -TREND_THRESHOLD else "steady"
        return {"score": self.window[-1], "trend": trend, "slope": round(s, 2)}

    def drop(self) -> float:
        """How far the mean of the last two scores sits below the best such mean so far (>= 0)."""
        if not self.window or self.peak is None:
            return 0.0
        recent = sum(list(self.window)[-2:]) / min(2, len(self.window))
        return round(max(0.0, self.peak - recent), 2)
