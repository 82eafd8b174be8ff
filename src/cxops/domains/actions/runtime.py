"""What the actions domain runs with: catalogue, policy packs, connectors, trust binding, breaker settings.

Entrypoints build one `ActionsRuntime` per process and bind adapters (webhook connectors, the trust
domain's state); `default_runtime()` is the neutral binding: sandbox connector, neutral trust.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from cxops.core.errors import ConfigurationError
from cxops.domains.actions.compute.catalogue import ActionSpec, Catalogue
from cxops.domains.actions.policy.pack import PolicyPack
from cxops.domains.actions.policy.registry import default_catalogue, default_packs
from cxops.domains.actions.ports import Connector, NeutralTrust, TrustStateProvider
from cxops.domains.actions.sandbox.connector import SandboxConnector


@dataclass(frozen=True, slots=True)
class BreakerSettings:
    """Automatic trip thresholds over a sliding window (rates in [0, 1])."""

    window_minutes: int = 30
    min_samples: int = 10
    failure_rate: float = 0.3
    reversal_rate: float = 0.2
    denial_rate: float = 0.6


@dataclass
class ActionsRuntime:
    """Catalogue, packs by system, connectors by name, trust binding, breaker and approval settings."""

    catalogue: Catalogue
    packs: dict[str, PolicyPack]
    connectors: dict[str, Connector]
    trust: TrustStateProvider = field(default_factory=NeutralTrust)
    breakers: BreakerSettings = field(default_factory=BreakerSettings)
    approval_ttl_hours: float = 24.0

    def pack_for(self, spec: ActionSpec) -> PolicyPack:
        pack = self.packs.get(spec.system)
        if pack is None:
            raise ConfigurationError(f"no policy pack governs system '{spec.system}' (action {spec.name})")
        return pack

    def connector_for(self, spec: ActionSpec) -> Connector:
        conn = self.connectors.get(spec.connector)
        if conn is None:
            raise ConfigurationError(f"connector '{spec.connector}' of action {spec.name} is not configured")
        return conn


@lru_cache(maxsize=1)
def default_runtime() -> ActionsRuntime:
    """Sandbox connector, shipped packs, neutral trust (one per process)."""
    return ActionsRuntime(default_catalogue(), dict(default_packs()), {"sandbox": SandboxConnector()})
