"""What other layers may use of the actions domain."""

from cxops.domains.actions.audit import tombstone_customer, verify
from cxops.domains.actions.breakers import BreakerClosed, close_breaker
from cxops.domains.actions.coverage import policy_coverage_by_intent
from cxops.domains.actions.errors import ActionRefused, ConnectorFailed, ConnectorTimeout
from cxops.domains.actions.ports import Connector, NeutralTrust, TrustState, TrustStateProvider
from cxops.domains.actions.runtime import ActionsRuntime, BreakerSettings, default_runtime

__all__ = [
    "ActionRefused",
    "ActionsRuntime",
    "BreakerClosed",
    "BreakerSettings",
    "Connector",
    "ConnectorFailed",
    "ConnectorTimeout",
    "NeutralTrust",
    "TrustState",
    "TrustStateProvider",
    "close_breaker",
    "default_runtime",
    "policy_coverage_by_intent",
    "tombstone_customer",
    "verify",
]
