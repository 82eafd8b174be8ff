"""The generic NDJSON format: one `InteractionIn` object per line (the same body as POST /v1/interactions/bulk)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from cxops.contracts.interactions import LineResult
from cxops.integrations.importers.base import ImportOptions, Record, UnusableInput, error
from cxops.integrations.importers.jsonstream import iter_json_lines, require_json


class NdjsonImporter:
    """Generic NDJSON, streamed line by line; `--source` fills records that have no source."""

    name = "ndjson"
    description = "generic NDJSON: one interaction object per line (docs/ingestion.md)"

    def records(self, stream: BinaryIO, options: ImportOptions) -> Iterator[Record]:
        """(line number, object) per non-blank line, or that line's error."""
        if require_json(stream) == b"[":
            raise UnusableInput("the file is a JSON array, not NDJSON: put one interaction object on each line")
        start = stream.tell()
        if stream.readline(64).strip() == b"{":
            raise UnusableInput("the file looks like pretty-printed JSON, not NDJSON: one object per line")
        stream.seek(start)
        for number, value in iter_json_lines(stream):
            if isinstance(value, LineResult):
                yield number, value
            elif not isinstance(value, dict):
                yield error(number, "(line)", f"expected a JSON object, got {type(value).__name__}")
            else:
                if options.source and not value.get("source"):
                    value["source"] = options.source
                yield number, value
