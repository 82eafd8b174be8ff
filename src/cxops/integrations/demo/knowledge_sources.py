"""The demo's fragmented knowledge: the other places a real contact centre keeps answers besides its help centre.

A legacy FAQ spreadsheet nobody has reviewed for two years, a Zendesk Guide export the support-ops team moved part
of the help centre into, a Confluence space of supervisor-only guidance, and EU-only policy pages. They are written
the way those systems export them (CSV with question/answer columns, a Zendesk `articles` JSON export with HTML
bodies, Confluence HTML pages with the space name in the title and a tracking script, Markdown files), so the demo
reads them through the same connectors as a customer's files.

What they contain is the "integration tax" knowledge health is there to find:
- conflicts: the FAQ's 14-day refund window against Zendesk's 30 days; a return label valid for 30 days in the FAQ
  against 14 in the help centre; subscription pauses of 3 months against 2;
- a near-duplicate: Zendesk's password-reset article is the help centre's, migrated with small edits;
- stale content: the FAQ's source was last reviewed about two years ago on a yearly cycle, the supervisor playbook
  is past its quarterly review;
- permissions: the supervisor playbook is visible to supervisors and admins only, the EU pages only for customers
  of region "emea" (the demo's regions are amer, emea and apac).
"""

from __future__ import annotations

import csv
import html
import io
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from cxops.integrations.demo.catalogue import INTENTS
from cxops.integrations.demo.help_centre import article

LEGACY_FAQ = (
    (
        "What is the refund policy?",
        "Refunds can be requested within 14 days of delivery. Once approved, the money is back on the original "
        "payment method within 10 business days. Gift cards cannot be refunded.",
    ),
    (
        "Return label validity",
        "A return label is valid for 30 days from the day we email it. If it has expired, ask us for a new one.",
    ),
    (
        "How do I change my delivery address?",
        "You can change the delivery address until the order is dispatched, under My account > Orders.",
    ),
    (
        "Can I pause my subscription?",
        "Yes. A subscription can be paused for up to 3 months, once a year, from the subscription settings.",
    ),
    (
        "Is there a fee to cancel a booking?",
        "Bookings cancelled more than 48 hours before departure are free of charge; later cancellations cost $25.",
    ),
    (
        "When are loyalty points credited?",
        "Points are credited to your membership 30 days after delivery, once the return period has ended.",
    ),
)

ZENDESK_ARTICLES = (
    (
        360001,
        "Refund policy",
        "<p>Refunds can be requested within 30 days of delivery. Once approved, the money is back on the original "
        "payment method within 5 business days.</p><h2>Exceptions</h2><p>Gift cards and personalised items cannot "
        "be refunded. A refund for a damaged delivery does not need the item back.</p>",
    ),
    (
        360003,
        "Pausing a subscription",
        "<p>You can pause a subscription for up to 2 months, twice a year. Billing stops while it is paused and "
        "restarts automatically.</p><h2>How to pause</h2><p>Open Subscription settings and choose Pause.</p>",
    ),
    (
        360004,
        "Loyalty points: when they are credited",
        "<p>Points are credited to your membership 14 days after delivery. Points earned on a returned item are "
        "removed.</p>",
    ),
)
#: A draft in the export: the connector skips drafts, so it never reaches search.
ZENDESK_DRAFT = (360099, "Holiday returns (draft)", "<p>Items bought in December can be returned until 31 January.</p>")

CONFLUENCE_SPACE = "CX Ops"
CONFLUENCE_PAGES = (
    (
        "goodwill-credits",
        "Goodwill credits",
        "<h2>Limits</h2><p>Agents may offer a goodwill credit of up to $20 without approval. Supervisors approve "
        "credits up to $100; above that, the head of customer care decides.</p><h2>When to offer one</h2><ul>"
        "<li>A delivery arrived more than 5 days late.</li><li>The customer had to contact us three times or more "
        "about the same issue.</li></ul>",
    ),
    (
        "escalation-matrix",
        "Escalation matrix",
        "<h2>Who takes over</h2><table><tr><td>Complaint about an agent</td><td>Team leader within 1 day</td></tr>"
        "<tr><td>Threat of legal action</td><td>Complaints team, same day</td></tr><tr><td>Security or fraud "
        "concern</td><td>Security team, immediately</td></tr></table>",
    ),
)

EU_PAGES = (
    (
        "data-access-requests",
        "# Data access requests (GDPR)\n\nCustomers in the EU can ask for a copy of the personal data we hold about "
        "them. Log the request in the privacy queue; we answer within 1 month.\n\n## Identity\n\nAsk for the email "
        "address on the account and confirm it with a one-time code before sending anything.\n",
    ),
    (
        "right-of-withdrawal",
        "# Right of withdrawal\n\nEU customers can withdraw from an online purchase without giving a reason. "
        "Explain how to send the item back and that shipping back is free.\n",
    ),
)


@dataclass(frozen=True, slots=True)
class DemoSource:
    """A knowledge source of the demo: where its files are written and how it is registered."""

    name: str
    kind: str
    folder: str
    owner: str
    review_interval_days: int
    reviewed_days_ago: int
    audience_roles: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    files: dict[str, str] = field(default_factory=dict)

    def last_reviewed(self, now: datetime) -> datetime:
        return now - timedelta(days=self.reviewed_days_ago)


def _faq_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["question", "answer", "category"])
    for question, answer in LEGACY_FAQ:
        writer.writerow([question, answer, "general"])
    return out.getvalue()


def _markdown_to_html(text: str) -> str:
    """The few Markdown constructs the help centre uses (# headings, paragraphs) as HTML."""
    parts = []
    for block in (b.strip() for b in text.split("\n\n")):
        if block.startswith("## "):
            parts.append(f"<h2>{html.escape(block[3:])}</h2>")
        elif block.startswith("# "):
            continue  # the title is the article's own field
        elif block:
            parts.append(f"<p>{html.escape(block)}</p>")
    return "".join(parts)


def _zendesk_export(now: datetime) -> str:
    """A Zendesk Guide articles export; the password-reset article is the help centre's, migrated with edits."""
    reset = next(i for i in INTENTS if i.code == "password_reset")
    migrated = article(reset).replace("Customers contact us about this", "Customers usually contact us about this")
    rows = [*ZENDESK_ARTICLES, (360002, "How to reset your password", _markdown_to_html(migrated))]
    articles = [
        {
            "id": art_id,
            "title": title,
            "body": body,
            "draft": False,
            "locale": "en-us",
            "html_url": f"https://support.example.com/hc/en-us/articles/{art_id}",
            "updated_at": (now - timedelta(days=40)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        for art_id, title, body in sorted(rows)
    ]
    draft_id, draft_title, draft_body = ZENDESK_DRAFT
    articles.append({"id": draft_id, "title": draft_title, "body": draft_body, "draft": True, "locale": "en-us"})
    return json.dumps({"articles": articles, "count": len(articles), "next_page": None}, indent=2)


def _confluence_page(title: str, body: str) -> str:
    """A page as Confluence's HTML export writes it: space prefix in the title, breadcrumbs, a tracking script."""
    return (
        "<!DOCTYPE html><html><head>"
        f"<title>{html.escape(CONFLUENCE_SPACE)} : {html.escape(title)}</title>"
        "<script>window.analytics && window.analytics.page('confluence');</script></head><body>"
        f'<div id="breadcrumb-section"><ol><li><a href="index.html">{html.escape(CONFLUENCE_SPACE)}</a></li></ol>'
        f'</div><div id="main-content" class="wiki-content"><h1>{html.escape(title)}</h1>{body}</div>'
        '<div class="footer">Document generated by Confluence</div></body></html>'
    )


def demo_sources(now: datetime) -> list[DemoSource]:
    """The demo's knowledge sources besides its help centre, with their files' contents."""
    return [
        DemoSource(
            name="legacy-faq", kind="faq", folder="legacy-faq", owner="web-team", review_interval_days=365,
            reviewed_days_ago=700, files={"faq.csv": _faq_csv()},
        ),
        DemoSource(
            name="zendesk-guide", kind="zendesk", folder="zendesk-guide", owner="support-ops",
            review_interval_days=180, reviewed_days_ago=40, files={"articles.json": _zendesk_export(now)},
        ),
        DemoSource(
            name="supervisor-playbook", kind="confluence", folder="confluence-cx-ops", owner="cx-leadership",
            review_interval_days=90, reviewed_days_ago=100, audience_roles=("supervisor", "admin"),
            files={f"{slug}.html": _confluence_page(title, body) for slug, title, body in CONFLUENCE_PAGES},
        ),
        DemoSource(
            name="eu-policies", kind="markdown", folder="eu-policies", owner="legal", review_interval_days=365,
            reviewed_days_ago=30, regions=("emea",), files={f"{slug}.md": text for slug, text in EU_PAGES},
        ),
    ]  # fmt: skip


def write_source(root: Path, source: DemoSource) -> Path:
    """Write a source's files under `root / source.folder`; returns that folder."""
    folder = root / source.folder
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in source.files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder
