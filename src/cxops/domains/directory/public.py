"""What other domains may use of the directory."""

from cxops.domains.directory.identity import (
    AGENT_SUBJECT_ROLES,
    agent_by_code,
    check_key_subject,
    linked_agent,
    own_agent_id,
)
from cxops.domains.directory.models import Agent, Customer, CustomerIdentity, Location, Queue, Region, Team
from cxops.domains.directory.repository import agents_by_ids, ensure_agents, ensure_customers, ensure_queues
from cxops.domains.directory.service import set_agent_status

__all__ = [
    "AGENT_SUBJECT_ROLES",
    "Agent",
    "Customer",
    "CustomerIdentity",
    "Location",
    "Queue",
    "Region",
    "Team",
    "agent_by_code",
    "agents_by_ids",
    "check_key_subject",
    "ensure_agents",
    "ensure_customers",
    "ensure_queues",
    "linked_agent",
    "own_agent_id",
    "set_agent_status",
]
