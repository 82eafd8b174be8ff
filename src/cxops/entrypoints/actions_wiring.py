"""Binds the actions domain's ports: connectors (sandbox, optional webhook) and the trust-state provider."""

from __future__ import annotations

import os
from dataclasses import replace

from sqlalchemy.orm import Session, sessionmaker

from cxops.core.config import Settings
from cxops.core.periodic import Periodic
from cxops.domains.actions.public import ActionsRuntime, TrustStateProvider, default_runtime
from cxops.domains.actions.tasks import sweep
from cxops.entrypoints.trust_bindings import TrustStateFromLedger
from cxops.integrations.connectors.webhook import WebhookConnector


def build_actions_runtime(trust: TrustStateProvider | None = None) -> ActionsRuntime:
    """Sandbox + optional webhook connector (CXOPS_ACTIONS_WEBHOOK_URL/_SECRET); trust as bound (else neutral)."""
    base = default_runtime()
    connectors = dict(base.connectors)
    url, secret = os.environ.get("CXOPS_ACTIONS_WEBHOOK_URL"), os.environ.get("CXOPS_ACTIONS_WEBHOOK_SECRET")
    if url and secret:
        connectors["webhook"] = WebhookConnector(name="webhook", base_url=url, secret=secret)
    runtime = replace(base, connectors=connectors)
    return replace(runtime, trust=trust) if trust is not None else runtime


def actions_runtime(factory: sessionmaker[Session]) -> ActionsRuntime:
    """The runtime of a process (API, worker, CLI): configured connectors, trust state from the ledger."""
    return build_actions_runtime(TrustStateFromLedger(factory))


def action_recovery(settings: Settings, factory: sessionmaker[Session], runtime: ActionsRuntime) -> Periodic:
    """The actions sweep (approvals past their expiry, then interrupted executions) with the process's runtime,
    every CXOPS_ACTIONS_RECOVERY_INTERVAL_S (0: off): run by `cxops worker`, and by the API when it runs the event
    consumers itself (no worker on a laptop)."""
    lease, attempts, backoff = (
        settings.actions_recovery_lease_s,
        settings.actions_recovery_max_attempts,
        settings.actions_recovery_backoff_s,
    )
    return Periodic(
        "cxops-actions-recovery",
        settings.actions_recovery_interval_s,
        lambda: sweep(factory, runtime, lease_s=lease, max_attempts=attempts, backoff_s=backoff),
    )
