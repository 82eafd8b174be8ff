"""Shared helpers for knowledge and embedding tests: one ONNX model per session, small source corpora."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from openpyxl import Workbook

from cxops.integrations.embeddings import MiniLMEmbedder
from tests.conftest import REPO, SHARED_DATA

MODEL_CACHE = REPO / ".cxops-data" / "test-models"
BANKING_DOCS = SHARED_DATA / "tau2_bench" / "banking_knowledge" / "documents"


@lru_cache(maxsize=2)
def shared_embedder(precision: str = "int8") -> MiniLMEmbedder:
    """The embedder, built once per machine into the repo's ignored cache and loaded once per process."""
    embedder = MiniLMEmbedder(MODEL_CACHE, precision=precision)
    embedder.warm_up()
    return embedder


def _pdf_bytes(text: str) -> bytes:
    """A minimal valid one-page PDF showing `text` (Helvetica), with a correct xref table."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def write_markdown_source(root: Path) -> Path:
    """A folder of Markdown help articles, including a refund policy and a bad file or two."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "refunds.md").write_text(
        "# Refund policy\n\n## Eligibility\n\n"
        "You can request a refund within 30 days of purchase if the item is unused.\n\n"
        "## How to request\n\nOpen the order page, choose Request refund and pick the items.\n"
    )
    (root / "password.md").write_text(
        "# Reset your password\n\nGo to Settings, choose Security and click Reset password. "
        "A reset link is emailed to you and expires after 24 hours.\n"
    )
    (root / "shipping.txt").write_text("# Shipping times\n\nStandard shipping takes 5 business days within the EU.\n")
    return root


def write_all_formats(root: Path) -> dict[str, Path]:
    """One small source per supported format; returns kind -> path."""
    paths: dict[str, Path] = {"markdown": write_markdown_source(root / "md")}
    html = root / "html"
    html.mkdir()
    (html / "cards.html").write_text(
        "<html><head><title>Lost card</title><script>alert('pwned')</script></head><body>"
        "<h1>Lost card</h1><p>Freeze your card in the app immediately.</p><style>p{}</style>"
        "<h2>Replacement</h2><p>A replacement card arrives within 7 days.</p></body></html>"
    )
    paths["html"] = html
    pdf = root / "pdf"
    pdf.mkdir()
    (pdf / "fees.pdf").write_bytes(_pdf_bytes("Overdraft fee is 25 dollars per occurrence"))
    paths["pdf"] = pdf
    faq = root / "faq"
    faq.mkdir()
    (faq / "faq.csv").write_text("question,answer\nHow do I close my account?,Call us or visit a branch.\n")
    wb = Workbook()
    wb.active.append(["Question", "Answer"])
    wb.active.append(["Can I change my PIN?", "Yes, at any ATM of the bank."])
    wb.save(faq / "faq.xlsx")
    paths["faq"] = faq
    zd = root / "zendesk.json"
    zd.write_text(json.dumps({"articles": [
        {"id": 101, "title": "Dispute a charge", "body": "<p>Dispute a charge within 60 days of the statement.</p>"},
        {"id": 102, "title": "Draft", "body": "<p>unpublished</p>", "draft": True},
    ]}))  # fmt: skip
    paths["zendesk"] = zd
    conf = root / "confluence"
    conf.mkdir()
    (conf / "wire.html").write_text(
        "<html><head><title>Support : Wire transfers</title></head><body><div id='main-content'>"
        "<h2>Cut-off</h2><p>Wire transfers sent after 5 pm settle the next business day.</p></div></body></html>"
    )
    paths["confluence"] = conf
    bank = root / "banking"
    bank.mkdir()
    for src in sorted(BANKING_DOCS.glob("*.json"))[:12]:
        (bank / src.name).write_bytes(src.read_bytes())
    paths["jsonl"] = bank
    return paths
