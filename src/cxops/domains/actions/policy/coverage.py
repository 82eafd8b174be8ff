"""Which catalogued actions the active policy packs govern with rules of their own (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from cxops.domains.actions.compute.catalogue import Catalogue
from cxops.domains.actions.policy.pack import PolicyPack


def governed_actions(catalogue: Catalogue, packs: Mapping[str, PolicyPack]) -> frozenset[str]:
    """Actions that the active pack of their system governs with at least one rule written for them.

    A pack-wide rule (`actions: "*"`, or a list naming every action of the system: confirmation,
    authentication, velocity, business hours) guards every action alike and does not by itself say when *this*
    action is allowed; an action governed only by such rules, or whose system has no pack, is not governed.
    """
    out: set[str] = set()
    for name, spec in catalogue.actions.items():
        pack = packs.get(spec.system)
        if pack is None:
            continue
        system_actions = {n for n, s in catalogue.actions.items() if s.system == spec.system}
        if any(set(rule.actions) != system_actions for rule in pack.rules_for(name)):
            out.add(name)
    return frozenset(out)


def step_coverage(steps_by_intent: Mapping[str, Iterable[str]], governed: frozenset[str]) -> dict[str, float]:
    """Per intent: the share of its proposed action steps whose action is governed (intents without steps absent)."""
    out: dict[str, float] = {}
    for intent, steps in steps_by_intent.items():
        names = list(steps)
        if names:
            out[intent] = round(sum(n in governed for n in names) / len(names), 4)
    return out
