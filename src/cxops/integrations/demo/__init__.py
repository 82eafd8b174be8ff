"""A realistic, seeded contact-centre generator for the demo, load tests and benchmarks (pure Python + numpy)."""

from cxops.integrations.demo.generator import DemoConfig, DemoDay, Generator, generate
from cxops.integrations.demo.utterances import labelled_utterances

__all__ = ["DemoConfig", "DemoDay", "Generator", "generate", "labelled_utterances"]
