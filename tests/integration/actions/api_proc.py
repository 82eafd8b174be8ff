"""A real API process for the action fault test: the cxops app with one extra action, `crm_refund`, executed by
the HMAC webhook connector against a test-owned system of record.

Usage: python api_proc.py DB_URL PORT REMOTE_URL DATA_DIR
"""

from __future__ import annotations

import sys
from dataclasses import replace

import uvicorn

from cxops.core.config import load_settings
from cxops.domains.actions.compute.catalogue import ActionSpec
from cxops.domains.actions.policy.pack import load_pack
from cxops.entrypoints.http.app import create_app
from cxops.integrations.connectors.webhook import WebhookConnector

CRM_PACK = """pack: crm
version: "1"
system: crm
rules:
  - id: C1
    when: not context.identity_verified
    effect: deny
    reason: verify the customer first
"""
SCHEMA = {"type": "object", "required": ["ticket"], "properties": {"ticket": {"type": "string"}}}


def main() -> None:
    db_url, port, remote, data_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    settings = load_settings(
        {
            "CXOPS_DATABASE_URL": db_url,
            "CXOPS_DATA_DIR": data_dir,
            "CXOPS_RATE_LIMIT_PER_MINUTE": "0",
            "CXOPS_LOG_LEVEL": "WARNING",
        }
    )
    app = create_app(settings, dispatch=False)
    runtime = app.state.actions_runtime
    runtime.catalogue = replace(runtime.catalogue, actions=dict(runtime.catalogue.actions))
    runtime.catalogue.add(
        ActionSpec("crm_refund", "crm", "Refund in the CRM", SCHEMA, frozenset(), connector="webhook")
    )
    runtime.packs = {**runtime.packs, "crm": load_pack(CRM_PACK, runtime.catalogue)}
    runtime.connectors = {
        **runtime.connectors,
        "webhook": WebhookConnector(name="crm", base_url=remote, secret="fault-test", timeout_s=30, attempts=1),
    }
    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
