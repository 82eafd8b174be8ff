"""Heading-aware chunking: split a Markdown-like body at headings, then pack paragraphs up to a word budget.

Each chunk keeps the path of headings above it (its section), so a citation can name the section and the
indexed text carries the article title and section words, which helps both BM25 and the dense encoder.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
MAX_WORDS = 180


@dataclass(frozen=True, slots=True)
class Chunk:
    """A passage of an article: its order, section path, own text and the text that gets indexed."""

    seq: int
    section: str
    text: str

    def indexed_text(self, title: str) -> str:
        """Title and section prepended to the passage (what BM25 and the encoder see)."""
        head = f"{title} — {self.section}" if self.section and self.section != title else title
        return f"{head}\n{self.text}"


def content_hash(*parts: str) -> str:
    """SHA-256 (first 32 hex) of the parts joined by NUL; the identity of a content version."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def _sections(body: str) -> list[tuple[str, list[str]]]:
    """(heading path, paragraphs) in order; text before the first heading has an empty path."""
    path: list[tuple[int, str]] = []
    out: list[tuple[str, list[str]]] = [("", [])]
    para: list[str] = []

    def flush() -> None:
        if para:
            out[-1][1].append(" ".join(para).strip())
            para.clear()

    for line in body.splitlines():
        match = _HEADING.match(line)
        if match:
            flush()
            level = len(match.group(1))
            path = [p for p in path if p[0] < level] + [(level, match.group(2).strip())]
            out.append((" > ".join(p[1] for p in path), []))
        elif not line.strip():
            flush()
        else:
            para.append(line.strip())
    flush()
    return [(s, paras) for s, paras in out if paras]


def _split_long(paragraph: str, max_words: int) -> list[str]:
    words = paragraph.split()
    return [" ".join(words[i : i + max_words]) for i in range(0, len(words), max_words)]


def chunk_body(body: str, *, max_words: int = MAX_WORDS) -> list[Chunk]:
    """Chunks of at most ~max_words words that never cross a heading; long paragraphs are split."""
    chunks: list[Chunk] = []
    for section, paragraphs in _sections(body):
        buf: list[str] = []
        count = 0
        for para in (piece for p in paragraphs for piece in _split_long(p, max_words)):
            n = len(para.split())
            if buf and count + n > max_words:
                chunks.append(Chunk(len(chunks), section, "\n".join(buf)))
                buf, count = [], 0
            buf.append(para)
            count += n
        if buf:
            chunks.append(Chunk(len(chunks), section, "\n".join(buf)))
    return chunks
