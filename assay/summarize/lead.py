"""The LEAD baseline: the first sentences of a document. For quality and speed comparisons only."""

from __future__ import annotations

from datetime import UTC, datetime

from ..model import Bullet, Document, Section, Summary
from ..text.split import split_sentences
from .base import CORE_INSIGHTS, TEMPLATE_VERSION, pick_template


def lead_sentences(doc: Document, k: int = 1) -> list[tuple[str, int]]:
    """The first ``k`` sentences of the document's text paragraphs with their paragraph numbers."""
    out: list[tuple[str, int]] = []
    for p in doc.paragraphs:
        if p.kind == "heading":
            continue
        for s in split_sentences(p.text):
            out.append((s, p.n))
            if len(out) == k:
                return out
    return out


class LeadSummarizer:
    """Baseline: Core Insights = the first ``k`` sentences. For quality and speed comparisons only."""

    name = "lead"
    template_version = TEMPLATE_VERSION

    def __init__(self, k: int = 3) -> None:
        self.k = k

    def summarize(self, doc: Document) -> Summary:
        bullets = [Bullet(s, [n]) for s, n in lead_sentences(doc, self.k)]
        return Summary(
            doc_id=doc.id,
            template=pick_template(doc.doc_type),
            language=doc.lang,
            backend=self.name,
            created_at=datetime.now(UTC),
            sections=[Section(CORE_INSIGHTS, bullets)] if bullets else [],
            template_version=TEMPLATE_VERSION,
        )
