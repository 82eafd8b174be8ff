"""What other domains may use of the interactions domain."""

from cxops.domains.interactions.ingest import BatchIngestor, content_hash, parse_line, parse_obj
from cxops.domains.interactions.models import AgentStateEvent, Interaction, InteractionParticipant, Turn
from cxops.domains.interactions.service import add_tags

__all__ = [
    "AgentStateEvent",
    "BatchIngestor",
    "Interaction",
    "InteractionParticipant",
    "Turn",
    "add_tags",
    "content_hash",
    "parse_line",
    "parse_obj",
]
