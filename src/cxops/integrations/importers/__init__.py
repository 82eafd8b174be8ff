"""File importers: vendor exports (Contact Lens, Genesys, Zendesk) and the generic NDJSON/CSV formats."""

from cxops.integrations.importers.base import Importer, ImportOptions, Record, RecordError, UnusableInput
from cxops.integrations.importers.registry import formats, get_importer, register

__all__ = [
    "ImportOptions",
    "Importer",
    "Record",
    "RecordError",
    "UnusableInput",
    "formats",
    "get_importer",
    "register",
]
