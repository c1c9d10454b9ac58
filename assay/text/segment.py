"""One tokenizer for the index and for queries.

Text is folded (traditional → simplified, full-width → ASCII, lower case), then segmented with rjieba
(jieba's dictionary in Rust: ~10-30 MB/s here against ~1 MB/s for jieba), and the words are joined
with spaces. The rest of the analysis — keeping letter/number runs (5.2% → 5, 2; Rare-earth → rare, earth),
lower-casing and Snowball stemming English — is tantivy's own ``ANALYZER``, registered on the index and
applied here to queries too, so index and query see exactly the same terms.

Default-mode segmentation keeps compounds whole (服装出口), so the index also holds, in a second stream,
the search-mode sub-words of long Chinese words (服装, 出口): a query 出口 finds 服装出口.
"""

from __future__ import annotations

import re

import rjieba
import tantivy

from .normalize import fold

ANALYZER_NAME = "assay"
_CJK_WORD = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{3,}")


def build_analyzer() -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


ANALYZER = build_analyzer()


def segmented(text: str) -> str:
    """Folded text cut into words, joined by spaces: the string the index analyzer reads."""
    return " ".join(rjieba.cut(fold(text)))


# a whole word of 3+ CJK characters in the space-joined output of ``rjieba.cut`` (every word boundary there
# is a space, so a run bounded by spaces or the ends is one word; "3D打印机" is not matched)
_LONG_CJK = re.compile(r"(?<![^ ])[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{3,}(?![^ ])")
_SUBWORDS: dict[str, tuple[str, ...]] = {}
_SUBWORDS_MAX = 200_000


def _subwords(word: str) -> tuple[str, ...]:
    """Search-mode sub-words of a long Chinese word, the word itself excluded (none for other words)."""
    if not _CJK_WORD.fullmatch(word):
        return ()
    got = _SUBWORDS.get(word)
    if got is None:
        got = tuple(w for w in rjieba.cut_for_search(word) if w != word and len(w) > 1)
        if len(_SUBWORDS) >= _SUBWORDS_MAX:  # a bounded cache: the common words come back soon enough
            _SUBWORDS.clear()
        _SUBWORDS[word] = got
    return got


def subwords_of(words: list[str]) -> str:
    """The extra sub-words (space-separated) of the long Chinese words among ``words``."""
    return _subwords_in(" ".join(words))


def _subwords_in(joined: str) -> str:
    """The extra sub-words of the long Chinese words of ``joined`` (words separated by spaces), found
    with one regular-expression scan instead of a Python loop over every word."""
    out: list[str] = []
    get = _SUBWORDS.get
    for w in _LONG_CJK.findall(joined):
        got = get(w)
        out.extend(_subwords(w) if got is None else got)
    return " ".join(out)


def index_strings(text: str) -> tuple[str, str]:
    """(segmented words, extra sub-words) of ``text``, ready for the index."""
    joined = " ".join(rjieba.cut(fold(text)))
    return joined, _subwords_in(joined)


def tokenize(text: str) -> list[str]:
    """Terms of ``text`` in reading order, as the index holds them."""
    return ANALYZER.analyze(segmented(text))


def index_terms(text: str) -> tuple[list[str], list[str]]:
    """(terms in order, extra sub-word terms) — what the index holds for ``text``."""
    seg, extra = index_strings(text)
    return ANALYZER.analyze(seg), ANALYZER.analyze(extra)


def query_terms(text: str) -> list[str]:
    """Terms of a query, in order, duplicates removed."""
    return list(dict.fromkeys(tokenize(text)))
