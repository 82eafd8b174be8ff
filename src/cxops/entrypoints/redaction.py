"""The ingestion redactor, built once from settings for every path that ingests (HTTP, file import, demo)."""

from __future__ import annotations

from cxops.core.config import Settings
from cxops.domains.interactions.ports import Redactor
from cxops.domains.trust import wiring as trust_wiring
from cxops.integrations.presidio_names import person_name_finder


def ingestion_redactor(settings: Settings) -> Redactor | None:
    """The redactor for CXOPS_PII_MODE (None when redaction is off)."""
    return trust_wiring.make_redactor(settings.pii_mode, names=person_name_finder())
