"""The Summarizer protocol, the template version and the choice of template by document type.

A summary follows a template chosen from ``Document.doc_type``:

* ``report`` — ``Investment Rating`` (the sentence that states it, or a bullet saying the report gives
  none), ``Core Insights``, then ``Summary by Sections`` (a marker section with no bullets) followed by one
  section per top-level heading of the report's own heading tree;
* every other type (``news``, ``transcript``, ``filing``, ``announcement``, ``other``) — ``Core Insights``
  followed by 1–3 themed groups, headed by the document's own headings where it has them, else by the
  group's salient keywords joined by `` · ``.

``TEMPLATE_VERSION`` is part of the summary cache key (content_hash, backend, template version): bump it
whenever the layout or the selection changes in a way that should invalidate cached summaries. A store's
older summaries stay on the cards until they are made again: by ``assay serve`` at start-up (a thread) or
by ``assay summarize`` (see ``stale_summaries`` in assay/store/queue.py).

Versions: 1, sessions 1–6; 2, group headings of nouns and names, a sentence written twice in a row shown
once, list markers ⑪–⑳ trimmed, numbered items (①–⑳) inside a sentence made candidates of their own, a
headline not picked beside the body sentence that restates it; 3, no analysts' contacts (phone numbers,
e-mail addresses, certificate numbers), figure or table captions, table-of-contents lines, rating-scale
definitions or (in Chinese documents) lines without a Chinese character (formulas) among the bullets; PDF
bullet glyphs (⚫, symbol-font code points) trimmed; a sentence about a figure beside it (下图…) or one that
ends in a colon ranked lower.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ..model import TEMPLATE_VERSION as TEMPLATE_VERSION  # kept with the summary contract, re-exported here
from ..model import Document, Summary

CORE_INSIGHTS = "Core Insights"
INVESTMENT_RATING = "Investment Rating"
SUMMARY_BY_SECTIONS = "Summary by Sections"

NO_RATING = {
    "zh": "报告未给出明确的投资评级。",
    "en": "The report gives no explicit investment rating.",
}

# doc_type → template name. The layouts other than "report" are news-like for now; the name is kept per
# type so that a renderer (or a later template version) can tell them apart.
_TEMPLATES = {
    "news": "news",
    "report": "report",
    "filing": "filing",
    "transcript": "transcript",
    "announcement": "announcement",
    "other": "news",
}


def pick_template(doc_type: str | None) -> str:
    """Template name for a document type; unknown or missing types get the news template."""
    return _TEMPLATES.get((doc_type or "").strip().lower(), "news")


def is_report_template(template: str) -> bool:
    return template == "report"


def summary_language(lang: str | None) -> str:
    """``zh`` or ``en``: the language of the fixed strings (the no-rating sentence)."""
    return "zh" if (lang or "").lower().startswith("zh") else "en"


@runtime_checkable
class Summarizer(Protocol):
    """Turns one document into a cited summary. Implementations must be safe to call from several threads
    on different documents."""

    name: str
    template_version: int

    def summarize(self, doc: Document) -> Summary: ...
