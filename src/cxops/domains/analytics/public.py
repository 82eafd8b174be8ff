"""What other packages may use of analytics: the ports to bind and the consumers to subscribe."""

from cxops.domains.analytics.ports import AnalyticsPorts, IntentCoverage, InteractionScores, VersionedScores
from cxops.domains.analytics.wiring import subscribe

__all__ = ["AnalyticsPorts", "IntentCoverage", "InteractionScores", "VersionedScores", "subscribe"]
