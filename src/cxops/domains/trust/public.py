"""What other domains may use of the trust domain."""

from cxops.domains.trust.compute.pii import KINDS, Span, detect, redact
from cxops.domains.trust.privacy import PiiRedactor
from cxops.domains.trust.service import index as trust_index_report
from cxops.domains.trust.service import routing_advice, trust_state

__all__ = ["KINDS", "PiiRedactor", "Span", "detect", "redact", "routing_advice", "trust_index_report", "trust_state"]
