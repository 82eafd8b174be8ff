"""Connectors: read a source (folder or file) into plain documents, with a specific error per bad file.

Every reader returns `ParsedDoc`s whose body is Markdown-like text (headings as ``#`` lines) so chunking is
heading-aware whatever the input format. HTML is parsed, never rendered: script/style/iframe elements are
dropped before text extraction, so nothing in them is executed or indexed.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup
from openpyxl import load_workbook
from pypdf import PdfReader
from pypdf.errors import PdfReadError

KINDS = ("markdown", "html", "pdf", "faq", "zendesk", "confluence", "jsonl")
MAX_FILE_BYTES = 20 * 1024 * 1024
_DANGEROUS_TAGS = ("script", "style", "iframe", "object", "embed", "noscript", "template")
_EXTENSIONS = {
    "markdown": (".md", ".markdown", ".txt"),
    "html": (".html", ".htm"),
    "confluence": (".html", ".htm"),
    "pdf": (".pdf",),
    "faq": (".csv", ".xlsx"),
    "zendesk": (".json",),
    "jsonl": (".json", ".jsonl"),
}


@dataclass(slots=True)
class ParsedDoc:
    """One article read from a source: a stable id within the source, a title and a Markdown-like body."""

    external_id: str
    title: str
    body: str
    meta: dict[str, Any] = field(default_factory=dict)
    file: str = ""
    #: when the source system says the content last changed (Zendesk `updated_at`, a JSON document's
    #: `updated_at`, a PDF's modification date); None when it does not say
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class FileError:
    """A file (or record) that could not be read, and why."""

    file: str
    message: str


class BadFile(Exception):
    """Raised by a reader for one file; the sync records it and goes on."""


@dataclass(slots=True)
class ReadResult:
    """What a source yielded: documents and per-file errors."""

    docs: list[ParsedDoc] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)


def _decode(raw: bytes, name: str) -> str:
    if not raw.strip():
        raise BadFile("empty file")
    if b"\x00" in raw:
        raise BadFile("binary content (NUL bytes): not a text file")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadFile(
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); re-export the file as UTF-8"
        ) from None


def _read_text(path: Path) -> str:
    return _decode(path.read_bytes(), path.name)


def read_markdown(path: Path, rel: str) -> list[ParsedDoc]:
    """A Markdown or text file: title from the first '# ' heading, else the file name."""
    text = _read_text(path).replace("\r\n", "\n")
    title = next((ln[2:].strip() for ln in text.splitlines() if ln.startswith("# ")), path.stem.replace("_", " "))
    return [ParsedDoc(external_id=rel, title=title, body=text)]


def html_to_markdown(html: str) -> tuple[str, str]:
    """(title, body) from HTML: dangerous elements removed, headings kept as '#' lines, text per block."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(_DANGEROUS_TAGS):
        tag.decompose()
    title_tag = soup.find("title") or soup.find("h1")
    title = title_tag.get_text(" ", strip=True) if title_tag else ""
    root = soup.find(id="main-content") or soup.body or soup
    lines: list[str] = []
    for el in root.find_all(["h1", "h2", "h3", "h4", "p", "li", "td", "pre", "blockquote"]):
        if el.find(["p", "li", "td"]) is not None and el.name not in ("h1", "h2", "h3", "h4"):
            continue  # a container: its children are emitted themselves
        text = el.get_text(" ", strip=True)
        if not text:
            continue
        lines.append(f"{'#' * int(el.name[1])} {text}" if el.name in ("h1", "h2", "h3", "h4") else text)
    return title, "\n\n".join(lines)


def read_html(path: Path, rel: str) -> list[ParsedDoc]:
    """One help-centre HTML page (scripts stripped, never executed)."""
    title, body = html_to_markdown(_read_text(path))
    if not body.strip():
        raise BadFile("HTML has no readable text after removing scripts and markup")
    return [ParsedDoc(external_id=rel, title=title or path.stem, body=body)]


def read_confluence(path: Path, rel: str) -> list[ParsedDoc]:
    """A Confluence HTML export page: title without the space prefix, breadcrumbs and attachments dropped."""
    docs = read_html(path, rel)
    title = docs[0].title
    docs[0].title = title.split(" : ", 1)[1] if " : " in title else title
    return docs


def read_pdf(path: Path, rel: str) -> list[ParsedDoc]:
    """A PDF's text, page by page (each page becomes a section)."""
    try:
        reader = PdfReader(io.BytesIO(path.read_bytes()), strict=False)
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise BadFile(f"corrupt or unreadable PDF: {type(exc).__name__}: {str(exc)[:120]}") from None
    if not any(p.strip() for p in pages):
        raise BadFile("PDF has no extractable text (scanned images are not supported)")
    meta_title = (reader.metadata.title if reader.metadata else None) or path.stem.replace("_", " ")
    body = "\n\n".join(f"## Page {i + 1}\n\n{p.strip()}" for i, p in enumerate(pages) if p.strip())
    try:
        modified = stated_date(reader.metadata.modification_date if reader.metadata else None)
    except (ValueError, TypeError):  # pypdf parses the PDF date string lazily and may refuse it
        modified = None
    return [ParsedDoc(external_id=rel, title=str(meta_title), body=body, updated_at=modified)]


def _faq_rows(rows: Iterator[list[Any]], rel: str) -> list[ParsedDoc]:
    header = [str(c or "").strip().lower() for c in next(rows, [])]
    if "question" not in header or "answer" not in header:
        raise BadFile(f"FAQ needs 'question' and 'answer' columns; found {header[:6]}")
    qi, ai = header.index("question"), header.index("answer")
    docs = []
    for n, row in enumerate(rows, start=2):
        q = str(row[qi] or "").strip() if len(row) > qi else ""
        a = str(row[ai] or "").strip() if len(row) > ai else ""
        if q and a:
            docs.append(ParsedDoc(external_id=f"{rel}#row{n}", title=q, body=f"# {q}\n\n{a}"))
    if not docs:
        raise BadFile("FAQ has no row with both a question and an answer")
    return docs


def read_faq(path: Path, rel: str) -> list[ParsedDoc]:
    """A CSV or XLSX FAQ with 'question' and 'answer' columns: one article per row."""
    if path.suffix.lower() == ".xlsx":
        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a damaged workbook
            raise BadFile(f"unreadable XLSX workbook: {type(exc).__name__}") from None
        return _faq_rows((list(r) for r in wb.active.iter_rows(values_only=True)), rel)
    return _faq_rows((list(r) for r in csv.reader(io.StringIO(_read_text(path)))), rel)


def _load_json(path: Path) -> Any:
    try:
        return json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise BadFile(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None


def stated_date(value: Any) -> datetime | None:
    """A modification date as a source system states it (ISO 8601, or a datetime), in UTC; None if absent or
    unreadable (a bad date never fails the article: it only loses its date)."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def read_zendesk(path: Path, rel: str) -> list[ParsedDoc]:
    """A Zendesk Guide export: {"articles": [{id, title, body (HTML), updated_at, draft}]}."""
    data = _load_json(path)
    articles = data.get("articles") if isinstance(data, dict) else data
    if not isinstance(articles, list):
        raise BadFile("expected a Zendesk export with an 'articles' list")
    docs = []
    for i, art in enumerate(articles):
        if not isinstance(art, dict) or "id" not in art or not art.get("body"):
            raise BadFile(f"article #{i} lacks 'id' or 'body'")
        if art.get("draft"):
            continue
        _, body = html_to_markdown(str(art["body"]))
        meta = {"url": art.get("html_url"), "updated_at": art.get("updated_at")}
        docs.append(
            ParsedDoc(
                external_id=f"zendesk:{art['id']}",
                title=str(art.get("title") or art["id"]),
                body=body,
                meta=meta,
                updated_at=stated_date(art.get("updated_at")),
            )
        )
    return docs


def _json_doc(obj: Any, where: str) -> ParsedDoc:
    if not isinstance(obj, dict):
        raise BadFile(f"{where}: expected an object with id, title and content")
    doc_id = obj.get("id") or obj.get("_id")
    body = obj.get("content") or obj.get("text") or obj.get("body")
    if not doc_id or not isinstance(body, str) or not body.strip():
        raise BadFile(f"{where}: needs 'id' (or '_id') and a non-empty 'content' (or 'text')")
    return ParsedDoc(
        external_id=str(doc_id),
        title=str(obj.get("title") or doc_id),
        body=body,
        updated_at=stated_date(obj.get("updated_at") or obj.get("last_modified")),
    )


def read_json_docs(path: Path, rel: str) -> list[ParsedDoc]:
    """JSON documents {id, title, content} (one per file, or a list) or JSONL with one per line."""
    if path.suffix.lower() == ".jsonl":
        docs = []
        for n, line in enumerate(_read_text(path).splitlines(), start=1):
            if line.strip():
                try:
                    docs.append(_json_doc(json.loads(line), f"line {n}"))
                except json.JSONDecodeError as exc:
                    raise BadFile(f"line {n}: invalid JSON: {exc.msg}") from None
        return docs
    data = _load_json(path)
    items = data if isinstance(data, list) else [data]
    return [_json_doc(obj, f"item {i}") for i, obj in enumerate(items)]


READERS: dict[str, Callable[[Path, str], list[ParsedDoc]]] = {
    "markdown": read_markdown,
    "html": read_html,
    "confluence": read_confluence,
    "pdf": read_pdf,
    "faq": read_faq,
    "zendesk": read_zendesk,
    "jsonl": read_json_docs,
}


def _files(root: Path) -> list[Path]:
    """The files of a source; a symlink that leads outside the source's folder is not followed."""
    if root.is_file():
        return [root]
    real_root = root.resolve()
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and not p.name.startswith(".") and p.resolve().is_relative_to(real_root)
    )


def read_source(kind: str, path: str, *, max_file_bytes: int = MAX_FILE_BYTES) -> ReadResult:
    """Read every file of a source; a bad file adds a FileError and the others are still read."""
    if kind not in READERS:
        raise ValueError(f"unknown source kind {kind!r}; expected one of {', '.join(KINDS)}")
    root = Path(path)
    result = ReadResult()
    try:
        exists = root.exists()
    except (OSError, ValueError) as exc:
        result.errors.append(FileError(file=path[:200], message=f"source path is not usable: {exc}"))
        return result
    if not exists:
        result.errors.append(FileError(file=path, message="source path does not exist"))
        return result
    for file in _files(root):
        rel = file.name if root.is_file() else file.relative_to(root).as_posix()
        result_for_file(kind, file, rel, max_file_bytes, result)
    return result


def result_for_file(kind: str, file: Path, rel: str, max_bytes: int, result: ReadResult) -> None:
    """Read one file into `result` (documents, or one FileError naming the file)."""
    if file.suffix.lower() not in _EXTENSIONS[kind]:
        result.errors.append(FileError(rel, f"unsupported format {file.suffix or '(none)'} for a {kind} source"))
        return
    size = file.stat().st_size
    if size > max_bytes:
        result.errors.append(FileError(rel, f"file too large: {size} bytes, limit {max_bytes}"))
        return
    try:
        docs = READERS[kind](file, rel)
    except BadFile as exc:
        result.errors.append(FileError(rel, str(exc)))
        return
    except OSError as exc:
        result.errors.append(FileError(rel, f"cannot read file: {exc.strerror or type(exc).__name__}"))
        return
    for doc in docs:
        doc.file = rel
        doc.title, doc.body = doc.title.replace("\x00", ""), doc.body.replace("\x00", "")  # PostgreSQL refuses NUL
    result.docs.extend(docs)
