"""Names and key terms across Chinese and English, for the citation verifier: countries, ministries and
regulators, exchanges, companies, people, elements and commodities, a few key terms (glossary.tsv).

``Glossary.mentions(text)`` finds the entries a claim names, leftmost-longest and without overlaps (so
"China Securities Regulatory Commission" names the regulator, not also China); ``Glossary.named(entry,
text)`` tells whether a source names an entry in either language (any of its forms, overlaps allowed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..text.figures import code_key

GLOSSARY_FILE = Path(__file__).with_name("glossary.tsv")
PLACE_KINDS = frozenset({"country", "region"})
TERM_KINDS = frozenset({"element", "term"})  # things, not names: messages call them terms


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    kind: str
    name: str  # the first English form: what messages show
    en: tuple[str, ...]
    zh: tuple[str, ...]


def _en_pattern(forms) -> str:
    """Whole words; a form with a capital matches as written, a lower-case form in any case; plural -s."""
    alts = [re.escape(f) if f != f.lower() else f"(?i:{re.escape(f)})" for f in sorted(forms, key=len, reverse=True)]
    return rf"(?<![A-Za-z0-9])(?P<a>{'|'.join(alts)})(?:e?s)?(?![A-Za-z0-9])"


def trie_pattern(words) -> str:
    """One regex alternation of ``words`` shaped as a prefix tree: it fails fast at each position and, its
    optional tails being greedy, prefers the longest word."""
    root: dict = {}
    for w in words:
        node = root
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}
    return _node_pattern(root)


def _node_pattern(node: dict) -> str:
    alts = [re.escape(ch) + _node_pattern(child) for ch, child in sorted(node.items()) if ch]
    if not alts:
        return ""
    body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
    if "" not in node:
        return body
    return f"(?:{body})?" if len(alts) > 1 or len(body) > 1 else f"{body}?"


class Glossary:
    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries
        self._exact: dict[str, set[int]] = {}  # forms with a capital
        self._lower: dict[str, set[int]] = {}  # lower-case forms
        self._zh: dict[str, set[int]] = {}
        for e in entries:
            for f in e.en:
                (self._lower if f == f.lower() else self._exact).setdefault(f, set()).add(e.id)
            for f in e.zh:
                self._zh.setdefault(f, set()).add(e.id)
        # case is checked after the match (see mentions), so one case-insensitive prefix tree serves all forms
        en_forms = {f.lower() for e in entries for f in e.en}
        self._en_rx = re.compile(rf"(?<![A-Za-z0-9])(?P<a>{trie_pattern(en_forms)})(?:e?s)?(?![A-Za-z0-9])", re.I)
        self._zh_rx = re.compile(trie_pattern(self._zh))
        self._entry_rx: dict[int, re.Pattern | None] = {}
        # codes that are names (G20, G7): the entity check covers them
        self.code_names = frozenset(code_key(f) for e in entries for f in (*e.en, *e.zh) if re.search(r"\d", f))

    def mentions(self, text: str) -> dict[int, str]:
        """Entries named in ``text`` (simplified Chinese, case kept) → the form found."""
        found: dict[int, str] = {}
        for m in self._en_rx.finditer(text):
            a = m.group("a")
            for i in self._exact.get(a) or self._lower.get(a.lower(), ()):  # "us" is no form of the US
                found.setdefault(i, m.group(0))
        for m in self._zh_rx.finditer(text):
            for i in self._zh[m.group(0)]:
                found.setdefault(i, m.group(0))
        return found

    def named(self, entry_id: int, text: str) -> bool:
        """Whether ``text`` names the entry in either language."""
        e = self.entries[entry_id]
        if any(f in text for f in e.zh):
            return True
        rx = self._entry_rx.get(entry_id, False)
        if rx is False:
            rx = self._entry_rx[entry_id] = re.compile(_en_pattern(e.en)) if e.en else None
        return rx is not None and rx.search(text) is not None

    def entry(self, entry_id: int) -> Entry:
        return self.entries[entry_id]


def parse(lines) -> list[Entry]:
    entries: list[Entry] = []
    for lineno, line in enumerate(lines, 1):
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise ValueError(f"glossary line {lineno}: expected kind, English and Chinese forms: {line!r}")
        kind, en, zh = parts
        en_forms = tuple(f.strip() for f in en.split("|") if f.strip())
        zh_forms = tuple(f.strip() for f in zh.split("|") if f.strip())
        entries.append(Entry(len(entries), kind.strip(), en_forms[0] if en_forms else zh_forms[0], en_forms, zh_forms))
    return entries


@lru_cache(maxsize=1)
def default_glossary() -> Glossary:
    with GLOSSARY_FILE.open(encoding="utf-8") as f:
        return Glossary(parse(f))
