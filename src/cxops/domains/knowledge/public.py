"""What other domains may use of the knowledge domain."""

from cxops.domains.knowledge.compute.search import Access
from cxops.domains.knowledge.ports import Embedder
from cxops.domains.knowledge.retrieval import answer, search
from cxops.domains.knowledge.service import erase_attributions, knowledge_health

__all__ = ["Access", "Embedder", "answer", "erase_attributions", "knowledge_health", "search"]
