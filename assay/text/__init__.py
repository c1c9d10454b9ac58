"""Text: normalization (fold), language, segmentation, paragraph and sentence splitting, dates."""

from .normalize import detect_lang, fold
from .segment import index_terms, query_terms, tokenize
from .split import split_paragraphs, split_sentences

__all__ = [
    "detect_lang",
    "fold",
    "index_terms",
    "query_terms",
    "split_paragraphs",
    "split_sentences",
    "tokenize",
]
