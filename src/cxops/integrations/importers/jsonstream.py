"""Streaming readers for JSON files: NDJSON lines, a top-level array, a wrapper object, or one document.

Nothing here holds more than one record (or one line) in memory, except `load_single`, which reads a
document that is by nature one record (a Contact Lens analysis, a Genesys transcript) up to a size limit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

import ijson
import orjson

from cxops.integrations.importers.base import UnusableInput, error

MAX_LINE_BYTES = 16 * 1024 * 1024
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
_WS = b" \t\r\n"
_BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}


def skip_bom(stream: BinaryIO) -> None:
    """Move past a UTF-8 byte-order mark; refuse UTF-16/32 files with a clear message."""
    head = stream.read(4)
    for bom, name in _BOMS.items():
        if head.startswith(bom):
            raise UnusableInput(f"the file is {name} encoded; save it as UTF-8 and import it again")
    if b"\x00" in head:
        raise UnusableInput("the file holds NUL bytes (UTF-16/32 or binary?); cxops reads UTF-8 text")
    stream.seek(3 if head.startswith(b"\xef\xbb\xbf") else 0)


def first_byte(stream: BinaryIO) -> bytes:
    """The first non-whitespace byte after an optional BOM; the stream is left just after the BOM."""
    skip_bom(stream)
    start = stream.tell()
    while True:
        chunk = stream.read(65536)
        if not chunk:
            raise UnusableInput("the file is empty")
        stripped = chunk.lstrip(_WS)
        if stripped:
            stream.seek(start)
            return stripped[:1]


def require_json(stream: BinaryIO) -> bytes:
    """Like first_byte, but the file must start like JSON ('{' or '[')."""
    first = first_byte(stream)
    if first not in (b"{", b"["):
        start = stream.tell()
        sample = stream.read(40).lstrip(_WS).decode("utf-8", "replace")
        stream.seek(start)
        raise UnusableInput(f"the file is not JSON: it starts with {sample!r}, not '{{' or '['")
    return first


def iter_raw_lines(stream: BinaryIO, max_bytes: int = MAX_LINE_BYTES) -> Iterator[tuple[int, bytes | None]]:
    """Numbered non-blank lines; None for a line over max_bytes (its remainder is skipped)."""
    number = 0
    while True:
        line = stream.readline(max_bytes + 1)
        if not line:
            return
        number += 1
        if len(line) > max_bytes and not line.endswith(b"\n"):
            while True:
                rest = stream.readline(max_bytes)
                if not rest or rest.endswith(b"\n"):
                    break
            yield number, None
            continue
        if line.strip(_WS):
            yield number, line


def iter_json_lines(stream: BinaryIO, max_bytes: int = MAX_LINE_BYTES) -> Iterator[tuple[int, Any]]:
    """NDJSON: (line number, decoded value) pairs, or (line number, LineResult) for a line that is not JSON."""
    for number, raw in iter_raw_lines(stream, max_bytes):
        if raw is None:
            yield error(number, "(line)", f"line is longer than the limit of {max_bytes} bytes")
            continue
        try:
            yield number, orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            yield error(number, "(line)", f"invalid JSON: {_why(exc)}")


def _why(exc: Exception) -> str:
    """A one-line reason from orjson or ijson (whose yajl backend gives bytes with a caret drawing)."""
    raw = exc.args[0] if exc.args else exc
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    lowered = text.lower()
    if "utf-8" in lowered or "utf8" in lowered or "surrogate" in lowered or isinstance(exc, UnicodeDecodeError):
        return "not valid UTF-8 text"
    return text.strip().split("\n")[0][:200]


def iter_items(stream: BinaryIO, prefix: str) -> Iterator[tuple[int, Any]]:
    """Items under an ijson prefix ('item' for a top-level array), numbered from 1, streamed.

    Corrupt JSON before the first item makes the file unusable; after it, the next record number gets the
    error and reading stops (a JSON text cannot be resynchronised after a syntax error).
    """
    count = 0
    try:
        for count, value in enumerate(ijson.items(stream, prefix, use_float=True, multiple_values=True), 1):
            yield count, value
    except (ijson.JSONError, UnicodeDecodeError) as exc:
        message = _why(exc)
        if count == 0:
            raise UnusableInput(f"the file is not valid JSON: {message}") from None
        yield error(count + 1, "(record)", f"invalid JSON after record {count}: {message}; the rest was not read")


def load_single(stream: BinaryIO, max_bytes: int = MAX_DOCUMENT_BYTES) -> Any:
    """One whole JSON document (after first_byte/require_json), bounded by max_bytes."""
    raw = stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise UnusableInput(f"the document is larger than {max_bytes // (1024 * 1024)} MiB")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise UnusableInput(f"the file is not valid JSON: {_why(exc)}") from None


def iter_documents(
    stream: BinaryIO, *, wrapper: str | None = None, single_key: str | None = None
) -> Iterator[tuple[int, Any]]:
    """Documents from a JSON array, an NDJSON file, a `{wrapper: [...]}` object, or one object.

    Numbers are record ordinals for arrays and wrappers, line numbers for NDJSON. `single_key` unwraps a
    lone object such as Zendesk's `{"ticket": {...}}`.
    """
    if require_json(stream) == b"[":
        yield from iter_items(stream, "item")
        return
    start = stream.tell()
    first_line = stream.readline(MAX_LINE_BYTES + 1)
    stream.seek(start)
    try:
        head = orjson.loads(first_line) if len(first_line) <= MAX_LINE_BYTES else None
    except orjson.JSONDecodeError:
        head = None
    if isinstance(head, dict) and not (wrapper and isinstance(head.get(wrapper), list)):
        yield from _ndjson_documents(stream, wrapper)
        return
    if wrapper:
        found = False
        for number, item in iter_items(stream, f"{wrapper}.item"):
            found = True
            yield number, item
        if found:
            return
        stream.seek(start)
    doc = load_single(stream)
    if wrapper and isinstance(doc, dict) and isinstance(doc.get(wrapper), list):
        return  # an empty wrapper: no records
    if single_key and isinstance(doc, dict) and isinstance(doc.get(single_key), dict):
        doc = doc[single_key]
    yield 1, doc


def _ndjson_documents(stream: BinaryIO, wrapper: str | None) -> Iterator[tuple[int, Any]]:
    for number, value in iter_json_lines(stream):
        if wrapper and isinstance(value, dict) and isinstance(value.get(wrapper), list):
            yield error(number, wrapper, f"a '{wrapper}' page inside NDJSON is not supported: one record per line")
            continue
        yield number, value
