"""What other domains may use of the directory."""

from cxops.domains.directory.models import Agent, Customer, CustomerIdentity, Location, Queue, Region, Team
from cxops.domains.directory.repository import agents_by_ids, ensure_agents, ensure_customers, ensure_queues
from cxops.domains.directory.service import set_agent_status

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
    "set_agent_status",
]
