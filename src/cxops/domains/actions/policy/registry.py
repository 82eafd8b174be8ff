"""The shipped reference packs and the catalogue they govern (loaded once per process)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from cxops.domains.actions.compute.catalogue import Catalogue
from cxops.domains.actions.compute.tau2_catalogue import tau2_catalogue
from cxops.domains.actions.policy.pack import PolicyPack, load_pack_file

PACKS_DIR = Path(__file__).resolve().parents[1] / "packs"


@lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    """The built-in catalogue (tau2 retail and airline tools on the sandbox)."""
    return tau2_catalogue()


def pack_files() -> list[Path]:
    """Shipped pack files, then those of CXOPS_ACTIONS_PACKS_DIR (a later pack for a system replaces an earlier one)."""
    extra = os.environ.get("CXOPS_ACTIONS_PACKS_DIR")
    return sorted(PACKS_DIR.glob("*.yaml")) + (sorted(Path(extra).glob("*.yaml")) if extra else [])


@lru_cache(maxsize=1)
def default_packs() -> dict[str, PolicyPack]:
    """Shipped packs by system (one active pack per system)."""
    cat = default_catalogue()
    packs = [load_pack_file(p, cat) for p in pack_files()]
    return {p.system: p for p in packs}
