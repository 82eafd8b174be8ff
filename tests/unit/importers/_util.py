"""Run an importer on a file or bytes and validate each record against the ingestion contract."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

from cxops.contracts.interactions import InteractionIn, LineResult
from cxops.domains.interactions.public import parse_obj
from cxops.integrations.importers import ImportOptions, get_importer
from tests.conftest import REPO, SHARED_DATA

CONTACT_LENS = SHARED_DATA / "amazon_connect_contact_lens"
FIXTURES = REPO / "tests" / "fixtures"


def run(
    fmt: str, data: Path | bytes, *, file_name: str | None = None, **options: str | datetime | None
) -> list[tuple[int, InteractionIn | LineResult]]:
    """Every record the importer yields, validated (dict -> InteractionIn) or as its error."""
    raw = data.read_bytes() if isinstance(data, Path) else data
    name = file_name if file_name is not None else (data.name if isinstance(data, Path) else "upload")
    opts = ImportOptions(file_name=name, **options)  # type: ignore[arg-type]
    out: list[tuple[int, InteractionIn | LineResult]] = []
    for number, item in get_importer(fmt).records(io.BufferedReader(io.BytesIO(raw)), opts):  # type: ignore[arg-type]
        out.append((number, item if isinstance(item, LineResult) else parse_obj(number, item)))
    return out


def only(results: list[tuple[int, InteractionIn | LineResult]]) -> InteractionIn:
    """The single record, asserting it validated."""
    assert len(results) == 1, results
    record = results[0][1]
    assert isinstance(record, InteractionIn), record
    return record


def errors_of(result: InteractionIn | LineResult) -> dict[str, str]:
    assert isinstance(result, LineResult), result
    return {e.field: e.message for e in result.errors}
