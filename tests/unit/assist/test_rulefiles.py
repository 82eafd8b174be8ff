"""The assist rule files refuse bad YAML and a non-mapping root with a message naming the file."""

from __future__ import annotations

import pytest

from cxops.domains.assist.compute.compliance import Rulebook
from cxops.domains.assist.compute.guides import GuideBook


@pytest.mark.parametrize(
    ("load", "name", "expected"),
    [(Rulebook.from_yaml, "compliance", "required and prohibited"), (GuideBook.from_yaml, "guides", "steps, clarify")],
)
def test_bad_yaml_and_a_list_root_are_named(load, name: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=rf"^{name}: not valid YAML: "):
        load("required: [unclosed")
    with pytest.raises(ValueError, match=rf"^{name}: \(root\): must be a mapping with {expected}"):
        load("- just\n- a list\n")
