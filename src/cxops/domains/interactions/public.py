"""What other domains may use of the interactions domain."""

from cxops.domains.interactions.ingest import BatchIngestor, content_hash, parse_line, parse_obj
from cxops.domains.interactions.live import LiveInteraction, append_turns, attach_live, end_live, open_live
from cxops.domains.interactions.models import AgentStateEvent, Interaction, InteractionParticipant, Turn
from cxops.domains.interactions.repository import took_part
from cxops.domains.interactions.service import add_tags, set_documentation

__all__ = [
    "AgentStateEvent",
    "BatchIngestor",
    "Interaction",
    "InteractionParticipant",
    "LiveInteraction",
    "Turn",
    "add_tags",
    "append_turns",
    "attach_live",
    "content_hash",
    "end_live",
    "open_live",
    "parse_line",
    "parse_obj",
    "set_documentation",
    "took_part",
]
