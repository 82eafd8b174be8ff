"""Errors of the actions domain (rendered to HTTP by the one error handler)."""

from __future__ import annotations

from cxops.core.errors import CxopsError


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
