"""Paragraph and sentence splitting for Chinese, English and mixed text, Markdown headings kept."""

from __future__ import annotations

import re

from ..model import Paragraph

_HEADING_MD = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*(?:[-*+•·]|\d+[.)、])\s+")
_BULLET_FIRST = frozenset("-*+•·0123456789 \t")
_BLANK = re.compile(r"\n\s*\n")
_INDENT = re.compile(r"^(?: {2,}|\t)\S")
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
_MD_NOISE = re.compile(r"^(?:-{3,}|\*{3,}|_{3,})$")
# a sentence ends at 。！？!? (and ; ；) plus closing quotes/brackets, or at ". " before a capital/CJK
_SENT = re.compile(
    r".+?(?:[。！？!?；;]+[”’」』）)\"']*|\.(?=\s+[A-Z\u4e00-\u9fff\"“])|\.[”’\"']?(?=\s*$)|$)",
    re.S,
)
_LONG_PARAGRAPH = 2400


_MD_EMPH = re.compile(r"(\*\*|__)(.+?)\1")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")


def clean_line(line: str, markdown: bool = False) -> str:
    if "  " in line or "\t" in line or "\u3000" in line or "\u00a0" in line:  # else the sub changes nothing
        line = _SPACES.sub(" ", line)
    line = line.strip()
    if markdown and ("**" in line or "__" in line or "](" in line):
        line = _MD_LINK.sub(r"\1", _MD_EMPH.sub(lambda m: m.group(2).strip(), line)).strip()
    return line


def _split_long(text: str) -> list[str]:
    """Split an over-long paragraph at sentence ends into pieces of reasonable size."""
    if len(text) <= _LONG_PARAGRAPH:
        return [text]
    pieces, buf = [], ""
    for s in split_sentences(text):
        if buf and len(buf) + len(s) > _LONG_PARAGRAPH // 2:
            pieces.append(buf.strip())
            buf = ""
        buf += s if not buf or _is_cjk_end(buf) else " " + s
    if buf.strip():
        pieces.append(buf.strip())
    return pieces


def _is_cjk_end(s: str) -> bool:
    return bool(s) and ord(s[-1]) > 0x2E80


def split_paragraphs(text: str, markdown: bool = True) -> list[Paragraph]:
    """Paragraphs in reading order, numbered from 1.

    A blank line always ends a paragraph. Chinese text, where every line is usually a paragraph, is split
    at every line break; English text wrapped at a fixed width (Reuters, e-mail) has its lines joined.
    Markdown headings become heading paragraphs with their level; list items stay one paragraph each.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out: list[Paragraph] = []
    for block in _BLANK.split(text):
        raw = [x for x in block.split("\n") if x.strip()]
        indented = [x[0] in " \t" and bool(_INDENT.match(x)) for x in raw]
        indent_mode = any(indented[1:])
        lines, starts = [], []
        for x, ind in zip(raw, indented):
            line = clean_line(x, markdown)
            if line and not (markdown and line[0] in "-*_" and _MD_NOISE.match(line)):
                lines.append(line)
                starts.append(ind)
        if not lines:
            continue
        for piece in _group_lines(lines, markdown, starts if indent_mode else None):
            out.extend(piece)
    for i, p in enumerate(out, 1):
        p.n = i
    return out


def _group_lines(lines: list[str], markdown: bool, starts: list[bool] | None) -> list[list[Paragraph]]:
    """Group lines into paragraphs; ``starts`` (indented lines, when the block indents its paragraphs)
    overrides the wrapped-line heuristic."""
    groups: list[list[Paragraph]] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            joined = _join_wrapped(buf)
            groups.append([Paragraph(0, t) for t in _split_long(joined)])
            buf.clear()

    for i, line in enumerate(lines):
        m = _HEADING_MD.match(line) if markdown and line[0] == "#" else None
        if m:
            flush()
            groups.append([Paragraph(0, m.group(2).strip("*_ "), "heading", len(m.group(1)))])
            continue
        if markdown and line.startswith(">"):
            line = line.lstrip("> ").strip()
            if not line:
                continue
        if starts is not None:
            new = starts[i] or ord(line[0]) > 0x2E80
        else:
            new = not buf or not _is_wrapped_continuation(buf[-1], line)
        if buf and (new or (line[0] in _BULLET_FIRST and _BULLET.match(line))):
            flush()
        buf.append(line)
    flush()
    return groups


def _is_wrapped_continuation(prev: str, line: str) -> bool:
    """English hard-wrapped lines continue a paragraph; Chinese lines are paragraphs of their own."""
    if ord(prev[-1]) > 0x2E80 or ord(line[0]) > 0x2E80:
        return False
    return not prev.endswith((".", "!", "?", ":", '"')) or line[0].islower()


def _join_wrapped(lines: list[str]) -> str:
    out = lines[0]
    for line in lines[1:]:
        out += line if _is_cjk_end(out) and ord(line[0]) > 0x2E80 else " " + line
    return out


_ABBREV = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|St|Sr|Jr|Inc|Corp|Co|Ltd|vs)|\b[A-Z](?:\.[A-Z])*)\.$")
_BEFORE_NUMBER = re.compile(r"\b(?:No|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.$")
_MARKER_ONLY = re.compile(r"^(?:\d{1,3}|[A-Za-z]|[ivxIVX]{1,4})[.)]$")


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph, each exactly a substring of it (whitespace at the edges trimmed).

    A full stop after an abbreviation (Mr., U.S., Jan. 5) or a list marker ("1.") does not end a sentence.
    """
    out: list[str] = []
    first = 0  # where the sentence being built starts in ``text``
    for m in _SENT.finditer(text):
        s = m.group(0).strip()
        if not s:
            continue
        if out and out[-1][-1] in ".)" and _continues(out[-1], s):
            out[-1] = text[first : m.end()].strip()
            continue
        first = m.start()
        out.append(s)
    return out


def _continues(prev: str, nxt: str) -> bool:
    return bool(_MARKER_ONLY.match(prev) or _ABBREV.search(prev) or (nxt[:1].isdigit() and _BEFORE_NUMBER.search(prev)))
