"""What entrypoints use of workflows (nothing depends on workflows: it is the top tier)."""

from cxops.domains.workflows.compute.rules import TRIGGERS, parse_rule
from cxops.domains.workflows.wiring import subscribe

__all__ = ["TRIGGERS", "parse_rule", "subscribe"]
