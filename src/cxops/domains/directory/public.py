"""What other domains may use of the directory."""

from cxops.domains.directory.models import Agent, Customer, CustomerIdentity, Location, Queue, Region, Team
from cxops.domains.directory.repository import agents_by_ids, ensure_agents, ensure_customers, ensure_queues

__all__ = [
    "Agent",
    "Customer",
    "CustomerIdentity",
    "Location",
    "Queue",
    "Region",
    "Team",
    "agents_by_ids",
    "ensure_agents",
    "ensure_customers",
    "ensure_queues",
]
