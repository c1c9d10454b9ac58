"""Folding for matching: traditional → simplified, full-width → ASCII, lower case.

``fold`` keeps the length of its input wherever the character mapping is one to one (which is the
overwhelmingly common case), so offsets found in folded text can be used on the original for highlights.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import opencc

_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


_CHARS_FILE = Path(__file__).with_name("t2s_chars.txt")


@lru_cache(maxsize=1)
def _traditional() -> re.Pattern:
    """A character class of every CJK character that t2s changes (from t2s_chars.txt)."""
    try:
        chars = _CHARS_FILE.read_text(encoding="utf-8").strip()
    except OSError:
        chars = traditional_chars()
    return re.compile("[" + "".join(re.escape(c) for c in chars) + "]")


def traditional_chars() -> str:
    """Every CJK character that OpenCC's t2s changes (tools/make_t2s_chars.py writes them to a file)."""
    conv = _t2s()
    block = [chr(c) for c in range(0x3400, 0x9FFF + 1)] + [chr(c) for c in range(0xF900, 0xFAFF + 1)]
    changed = []
    for i in range(0, len(block), 512):
        chunk = block[i : i + 512]
        out = conv.convert("".join(chunk))
        if len(out) == len(chunk):
            changed += [a for a, b in zip(chunk, out, strict=True) if a != b]
        else:
            changed += [a for a in chunk if conv.convert(a) != a]
    return "".join(changed)


def to_simplified(text: str) -> str:
    """Traditional → simplified (OpenCC t2s); text with no traditional character is returned as is."""
    if _traditional().search(text) is None:
        return text
    return _t2s().convert(text)


_FULLWIDTH_ALNUM = re.compile(r"[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\u3000]")


@lru_cache(maxsize=1)
def _special() -> re.Pattern:
    """Any character that ``fold`` does more to than lower-casing: full-width letters and digits, the
    ideographic space, traditional characters. Most text has none, and one scan tells."""
    return re.compile(_FULLWIDTH_ALNUM.pattern[:-1] + _traditional().pattern[1:])


def fold(text: str, cased: bool = True) -> str:
    """The form of text that the index and queries both see. ``cased=False``: the caller matches only
    uncased terms (Chinese) in the result, so lower-casing (a third of the time on Chinese text) is skipped
    where nothing else changes."""
    if _special().search(text) is None:
        return text.lower() if cased else text
    if _FULLWIDTH_ALNUM.search(text):  # full-width punctuation alone does not matter to matching
        text = text.translate(_FULLWIDTH)
    return to_simplified(text).lower()


def detect_lang(text: str) -> str:
    """``zh`` when CJK characters make up a fair share of the letters, else ``en`` (or ``und`` for none)."""
    sample = text[:4000]
    cjk = len(_CJK.findall(sample))
    latin = len(_LATIN.findall(sample))
    if cjk == 0 and latin == 0:
        return "und"
    # a CJK character carries about as much as a 4-5 letter English word
    return "zh" if cjk * 4 >= latin else "en"


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None
