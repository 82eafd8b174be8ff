"""What other domains may use of the knowledge domain."""

from cxops.domains.knowledge.compute.search import Access
from cxops.domains.knowledge.coverage import content_generation, coverage_by_intent
from cxops.domains.knowledge.ports import Embedder
from cxops.domains.knowledge.retrieval import answer, search
from cxops.domains.knowledge.service import erase_attributions, knowledge_health

__all__ = [
    "Access",
    "Embedder",
    "answer",
    "content_generation",
    "coverage_by_intent",
    "erase_attributions",
    "knowledge_health",
    "search",
]
