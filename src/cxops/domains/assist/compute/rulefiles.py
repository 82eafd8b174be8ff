"""Reading the assist rule files (guides, compliance): YAML whose root must be a mapping."""

from __future__ import annotations

from typing import Any

import yaml


def load_mapping(text: str, name: str, expected: str) -> dict[str, Any]:
    """The YAML document of rule file `name`; ValueError when it does not parse or its root is not a mapping."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"{name}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise ValueError(f"{name}: (root): must be a mapping with {expected}")
    return doc
