"""What other domains may use of the trust domain."""

from cxops.domains.trust.compute.pii import KINDS, Span, detect, redact
from cxops.domains.trust.privacy import PiiRedactor
from cxops.domains.trust.service import contact_trust, ledger_version, routing_advice, trust_state
from cxops.domains.trust.service import index as trust_index_report

__all__ = [
    "KINDS",
    "PiiRedactor",
    "Span",
    "contact_trust",
    "detect",
    "ledger_version",
    "redact",
    "routing_advice",
    "trust_index_report",
    "trust_state",
]
