"""Summaries: the Summarizer protocol, templates per document type, and the offline extractive backend."""

from .base import (
    CORE_INSIGHTS,
    INVESTMENT_RATING,
    NO_RATING,
    SUMMARY_BY_SECTIONS,
    TEMPLATE_VERSION,
    Summarizer,
    pick_template,
)
from .extractive import ExtractiveSummarizer, Weights
from .lead import LeadSummarizer, lead_sentences
from .rating import find_rating, normalize_rating

__all__ = [
    "CORE_INSIGHTS",
    "INVESTMENT_RATING",
    "NO_RATING",
    "SUMMARY_BY_SECTIONS",
    "TEMPLATE_VERSION",
    "ExtractiveSummarizer",
    "LeadSummarizer",
    "Summarizer",
    "Weights",
    "find_rating",
    "lead_sentences",
    "normalize_rating",
    "pick_template",
]
