"""Folding for matching: traditional → simplified, full-width → ASCII, lower case.

``fold`` keeps the length of its input wherever the character mapping is one to one (which is the
overwhelmingly common case), so offsets found in folded text can be used on the original for highlights.
"""

from __future__ import annotations

import re
from functools import lru_cache

import opencc

_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return _t2s().convert(text)


_FULLWIDTH_ALNUM = re.compile(r"[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\u3000]")


def fold(text: str) -> str:
    """The form of text that the index and queries both see."""
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
