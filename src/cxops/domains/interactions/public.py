"""What other domains may use of the interactions domain."""

from cxops.domains.interactions.ingest import BatchIngestor, content_hash, parse_line, parse_obj
from cxops.domains.interactions.models import AgentStateEvent, Interaction, InteractionParticipant, Turn

__all__ = [
    "AgentStateEvent",
    "BatchIngestor",
    "Interaction",
    "InteractionParticipant",
    "Turn",
    "content_hash",
    "parse_line",
    "parse_obj",
]
