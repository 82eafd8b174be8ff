"""Importers by format name; third-party importers can add themselves with `register`."""

from __future__ import annotations

from cxops.integrations.importers.base import Importer, UnusableInput
from cxops.integrations.importers.contact_lens import ContactLensImporter
from cxops.integrations.importers.generic_csv import CsvImporter
from cxops.integrations.importers.genesys import GenesysImporter
from cxops.integrations.importers.ndjson import NdjsonImporter
from cxops.integrations.importers.zendesk import ZendeskImporter

_REGISTRY: dict[str, Importer] = {}


def register(importer: Importer) -> None:
    """Add (or replace) the importer for `importer.name`."""
    _REGISTRY[importer.name] = importer


def formats() -> list[str]:
    """The registered format names, in registration order."""
    return list(_REGISTRY)


def get_importer(name: str) -> Importer:
    """The importer for a format name; UnusableInput listing the formats when unknown."""
    importer = _REGISTRY.get(name.strip().lower())
    if importer is None:
        raise UnusableInput(f"unknown format {name!r}; use one of: {', '.join(formats())}", field="format")
    return importer


for _importer in (ContactLensImporter(), GenesysImporter(), ZendeskImporter(), NdjsonImporter(), CsvImporter()):
    register(_importer)
