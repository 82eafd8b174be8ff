"""Errors of the actions domain (rendered to HTTP by the one error handler)."""

from __future__ import annotations

from cxops.core.errors import Conflict, CxopsError


class ConnectorFailed(CxopsError):
    """The system of record failed, timed out or answered garbage; the message says which and what was undone."""

    status_code = 502
    code = "connector_failed"


class ConnectorTimeout(ConnectorFailed):
    """The connector did not answer in time (after its bounded retries)."""

    code = "connector_timeout"


class ActionRefused(ConnectorFailed):
    """The system of record itself refused the action (its own validation), nothing was changed."""

    status_code = 409
    code = "action_refused"


class OutcomeUnknown(ConnectorFailed):
    """A connector call ended without a definite answer (5xx, garbage, anything but a refusal): the step may have
    been applied. The proposal stays 'executing'; a retry or the recovery sweep resumes it with the same keys."""

    code = "outcome_unknown"


class OutcomeUnknownTimeout(OutcomeUnknown):
    """As `OutcomeUnknown`, the connector having timed out."""

    status_code = 504


class ProposalExpired(Conflict):
    """A proposal awaiting approval passed its expiry; it can no longer be approved or rejected."""
