"""What other layers use of QA."""

from cxops.domains.qa.compute.cache import CachingEncoder
from cxops.domains.qa.ports import QaFacts
from cxops.domains.qa.wiring import subscribe

__all__ = ["CachingEncoder", "QaFacts", "subscribe"]
