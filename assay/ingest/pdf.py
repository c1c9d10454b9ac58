"""PDF → paragraphs with pages, the report's section tree, and its first-page metadata (pypdfium2).

Per page, pdfium gives characters in reading order with their boxes (a box's height is the font size).
They become lines (cells split at wide gaps), lines become paragraphs (a break at a sentence end, a short
line, a gap, a bullet, a change of size), and numbered or larger-font lines become headings. Lines
repeated on most pages (running headers, footers, "请务必阅读…" disclaimers), the table of contents, the
cover's list of earlier reports and the standard back matter (disclosures, rating scale, legal notice)
are dropped. Table rows keep their cells, joined by " | ".
The metadata of a broker report is read from its first page: see ``pdf_meta``.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path

from ..errors import RecordError
from ..model import Document, Paragraph
from ..text.dates import parse_date
from ..text.normalize import detect_lang
from .pdf_meta import PdfMeta, read_meta

PDF_MAGIC = b"%PDF-"
_PDFIUM = threading.Lock()
_GAP = 1.6  # a horizontal gap wider than this many font sizes separates two cells of a table row
_TEMPLATE_TAG = re.compile(r"\[?\s*T\s*a\s*b\s*l\s*e\s*_(?:[A-Za-z]\s?)+\]?\s*|＃[^＃\n]{0,30}＃\s*", re.I)
_PUA_BULLET = re.compile(r"^[\ue000-\uf8ff\u2022\u25cf\u25a0\u25c6\u2751\u27a2\u00b7•❑➢■◆●]\s*")
_TOC = re.compile(r"(?:\.{2,}|…+|·{4,}|-{6,})\s*\d+\s*$")
# where a broker's standard back matter starts: disclosures, the analysts' statement, the rating scale,
# the legal notice, the sales team (only looked for in the second half of a report)
_BACK_MATTER = re.compile(
    r"^(?:信息披露|特别声明|免责声明|免责条款|法律声明|重要声明|一般声明|(?:证券)?分析师(?:声明|承诺|申明|简介)|"
    r"[\u4e00-\u9fff]{0,8}投资评级(?:说明|标准|定义|的说明)|(?:股票|行业)?评级说明|[\u4e00-\u9fff]{0,8}销售团队|"
    r"Disclaimer|Important Disclosures|Analyst Certification)[:：]?$",
    re.I,
)
_CONTENTS = re.compile(r"^(?:正文)?目录$|^(?:图|表|图表|插图|表格)目录$|^Contents$", re.I)
# the cover's list of the broker's earlier reports: 《题目》2020.07.05 (one or more)
_CITED = re.compile(r"^《.+》\s?[-—–]{0,2}\s?(?:\d{4}[.\-/]\d{1,2}(?:[.\-/]\d{1,2})?)?$")
# the cover's contact block (analysts, licence numbers, e-mails, phones): page furniture, not body text
_CONTACT_MARK = re.compile(r"@|[SA]\d{12,13}|分析师|研究员|研究助理|联系人|执业|执证|证书")
_CONTACT_TOKEN = re.compile(
    r"[\w.\-]{1,64}@[\w.\-]{1,64}|[SA]\d{12,13}|SFC\s?CE\s?(?:No\.?|Ref)\s?[:：]?\s?[A-Z]{3}\d{3}|"
    r"(?:证券|首席)?分析师|研究员|研究助理|联系人|团队|SAC|E-?\s?MAIL|邮箱|邮件|电话|Tel|"
    r"(?:证券投资咨询)?(?:执业资格|执业|执证)?证书(?:编号|编码|号)?|(?:执业|执证)(?:编号|编码|号)|"
    r"[（(]?\+?\d{2,5}[)）]?[\d\-\s×]{6,20}\d",
    re.I,
)
_CONTACT_LEFT = 4  # characters a contact paragraph may keep once its tokens are gone: one more name
_JUNK = re.compile(r"^[A-Za-z0-9+/=]{30,}$")  # watermark codes some report sites stamp on pages
_NUMERIC = re.compile(r"^[\d\s.,%+\-–—/:()（）|]+$")
_SENT_END = "。！？；：!?;:"
_LIST_ITEM = re.compile(r"^(?:\d{1,2}\s?[、.)）](?!\d)|[（(]\d{1,2}[)）]|[一二三四五六七八九十]\s?[、.])")
_CJK = re.compile(r"[\u3400-\u9fff]")

# numbered headings, outermost style first; a document's levels follow the styles it uses, in this order
_HEADING_STYLES: list[tuple[str, re.Pattern]] = [
    ("chapter", re.compile(r"^第[一二三四五六七八九十百\d]+[章节部分篇]\s*\S")),
    ("cn", re.compile(r"^[一二三四五六七八九十]{1,3}\s*[、.．]\s*\S")),
    ("cn_paren", re.compile(r"^[（(][一二三四五六七八九十]{1,3}[)）]\s*\S")),
    ("d1", re.compile(r"^\d{1,2}\s*[、.．](?!\d)\s*\S")),
    ("d2", re.compile(r"^\d{1,2}\.\d{1,2}(?![\d%.])\s*\S")),
    ("d3", re.compile(r"^\d{1,2}\.\d{1,2}\.\d{1,2}(?![\d%.])\s*\S")),
    ("d_paren", re.compile(r"^[（(]\d{1,2}[)）]\s*\S")),
]
_MAX_HEADING = 40


@dataclass(slots=True)
class Line:
    text: str
    size: float
    x0: float
    y0: float
    x1: float
    y1: float
    page: int
    row: str = ""  # the cells (pieces apart by wide gaps) joined by " | ", when there are three or more
    table: bool = False  # a table row: text is shown as its cells


@dataclass(slots=True)
class PdfContent:
    paragraphs: list[Paragraph]
    meta: PdfMeta
    pages: int
    first_page: list[Line] = field(default_factory=list)


def pdf_document(path: Path, raw: bytes, tz: tzinfo) -> Document:
    """A report Document from a PDF file: the broker as source and institution; analysts, rating and
    target price as tags (``analyst:…``, ``rating:…``, ``target_price:…``)."""
    content = read_pdf(raw)
    meta = content.meta
    published_at, _ = parse_date(meta.date, tz)
    tags = [f"analyst:{a}" for a in meta.analysts]
    tags += [f"{k}:{v}" for k, v in (("rating", meta.rating), ("target_price", meta.target_price)) if v]
    title = meta.title or path.stem
    paragraphs = _without_title(content.paragraphs, title)
    sample = title + "\n" + "\n".join(p.text for p in paragraphs[:40])
    doc = Document(
        title=title,
        paragraphs=paragraphs,
        source=meta.institution or path.parent.name,
        published_at=published_at,
        date_only=published_at is not None,
        doc_type="report",
        lang=detect_lang(sample[:2000]),
        institution=meta.institution,
        tags=tags,
        external_id=str(path),
    )
    return doc.finalize()


def _without_title(paragraphs: list[Paragraph], title: str) -> list[Paragraph]:
    """The cover's title lines are the title, not body text: dropped from page 1 (paragraphs renumbered)."""
    flat = re.sub(r"\s+", "", title)
    kept = [p for p in paragraphs if not (p.page == 1 and len(p.text) >= 4 and re.sub(r"\s+", "", p.text) in flat)]
    if not kept:
        return paragraphs
    for i, p in enumerate(kept, 1):
        p.n = i
    return kept


def looks_like_pdf(raw: bytes) -> bool:
    return PDF_MAGIC in raw[:1024]


def read_pdf(raw: bytes) -> PdfContent:
    """Paragraphs and metadata of a PDF. Raises RecordError with the reason when it cannot be read."""
    with _PDFIUM:  # PDFium is not thread-safe (uploads are ingested in server threads)
        pdf = _open(raw)
        try:
            pages = [_page_lines(pdf, i) for i in range(len(pdf))]
            info = pdf.get_metadata_dict()
        finally:
            pdf.close()
    if not any(pages):
        raise RecordError(f"PDF without a text layer ({len(pages)} pages; scanned images are not read)")
    body = drop_repeated(drop_contents(pages))
    meta = read_meta(pages[0] if pages else [], pages, info)
    paragraphs = drop_back_matter(build_paragraphs(body))
    paragraphs = [
        p for p in paragraphs if not (p.page == 1 and (_CITED.match(p.text) or is_contact(p.text, meta.analysts)))
    ]
    for i, p in enumerate(paragraphs, 1):
        p.n = i
    if not paragraphs:
        raise RecordError("PDF without readable text")
    return PdfContent(paragraphs, meta, len(pages), pages[0])


def is_contact(text: str, analysts: list[str]) -> bool:
    """A paragraph of the cover's contact block: analysts with their titles, licence numbers, e-mails and
    phones, and at most one more name (a contact's, a research assistant's) besides."""
    if "申明" in text or "声明" in text:  # the analysts' certification: a disclaimer, kept as the body has it
        return False
    if not _CONTACT_MARK.search(text):  # a name alone: an analyst's
        word = re.sub(r"[\W_]+", "", text)
        return bool(word) and not re.sub(r"[\W_]+", "", _drop_names(word, analysts))
    left = re.sub(r"[\W_]+", "", _drop_names(_CONTACT_TOKEN.sub("", text), analysts))
    return len(left) <= _CONTACT_LEFT


def _drop_names(text: str, names: list[str]) -> str:
    for name in names:
        text = text.replace(name, "")
    return text


def _open(raw: bytes):
    import pypdfium2 as pdfium

    if not raw:
        raise RecordError("empty file")
    if not looks_like_pdf(raw):
        raise RecordError(f"not a PDF: {_sniff(raw)}")
    try:
        return pdfium.PdfDocument(raw)
    except pdfium.PdfiumError as exc:
        text = str(exc).lower()
        if "password" in text:
            raise RecordError("encrypted PDF (needs a password)") from exc
        raise RecordError(f"corrupt PDF: {exc}") from exc


_SIGNATURES = (
    (b"\x89PNG", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"),
    (b"PK\x03\x04", "zip archive"),
    (b"\x1f\x8b", "gzip data"),
    (b"<", "markup (HTML or XML)"),
)


def _sniff(raw: bytes) -> str:
    head = raw[:16].lstrip()
    for sig, what in _SIGNATURES:
        if head.startswith(sig):
            return f"the bytes are a {what}"
    return "no %PDF header"


# -- characters → lines ------------------------------------------------------------------------------
def _page_lines(pdf, index: int) -> list[Line]:
    import pypdfium2.raw as pdfium_c

    page = pdf[index]
    textpage = page.get_textpage()
    try:
        return _lines(textpage, pdfium_c, index + 1)
    finally:
        textpage.close()
        page.close()


def _lines(textpage, c, page_no: int) -> list[Line]:
    """The page's lines: characters up to each line break, with their font size and extent."""
    import ctypes

    raw = textpage.raw
    n = c.FPDFText_CountChars(raw)
    rect = c.FS_RECTF()
    ref = ctypes.byref(rect)
    out: list[Line] = []
    chars: list[tuple[str, float, float, float, float, float]] = []
    last = None
    for i in range(n):
        code = c.FPDFText_GetUnicode(raw, i)
        ch = chr(code) if 0 < code < 0x110000 and not 0xD800 <= code < 0xE000 else ""
        if ch in ("\r", "\n"):
            _flush(chars, out, page_no)
            last = None
            continue
        if not ch:
            continue
        if ch.isspace() or c.FPDFText_IsGenerated(raw, i) == 1:
            chars.append((" ", 0.0, 0.0, 0.0, 0.0, 0.0))
            continue
        c.FPDFText_GetLooseCharBox(raw, i, ref)  # the font's box: the same height for every character
        box = (ch, rect.top - rect.bottom, rect.left, rect.bottom, rect.right, rect.top)  # height as the size
        if last is not None and _new_line(last, box):
            _flush(chars, out, page_no)
        chars.append(box)
        last = box
    _flush(chars, out, page_no)
    return _join_vertical(out)


def _new_line(prev: tuple, cur: tuple) -> bool:
    """Characters that pdfium put on one line but that do not share a baseline band (a cover laid out in
    text boxes), or that jump back to the left: two lines."""
    low, high = max(prev[3], cur[3]), min(prev[5], cur[5])
    height = max(min(prev[5] - prev[3], cur[5] - cur[3]), 0.1)
    if high - low < -0.5 * height or (high - low) < 0.2 * height and abs(cur[3] - prev[3]) > 0.5 * height:
        return True
    return cur[2] < prev[2] - 4 * max(cur[1], 1.0)


def _flush(chars: list, out: list[Line], page_no: int) -> None:
    """The characters gathered so far as one Line (its size the most common height of its CJK characters,
    else of all), then an empty buffer."""
    real = [ch for ch in chars if ch[1] > 0]
    if not real:
        chars.clear()
        return
    cjk = [ch for ch in real if ord(ch[0]) > 0x2E80]  # hidden template tags ([Table_Title]) are Latin
    size = Counter(round(ch[1], 1) for ch in cjk or real).most_common(1)[0][0]
    cells = _cells(chars, real, size)
    chars.clear()
    text = _TEMPLATE_TAG.sub("", _join_all(cells)).strip()
    if not text or _JUNK.match(text):
        return
    xs0, ys0 = min(ch[2] for ch in real), min(ch[3] for ch in real)
    xs1, ys1 = max(ch[4] for ch in real), max(ch[5] for ch in real)
    row = " | ".join(cells) if len(cells) >= 3 else ""
    out.append(Line(text, size, xs0, ys0, xs1, ys1, page_no, row, _is_table_row(cells)))


def _cells(chars: list, real: list, size: float) -> list[str]:
    """The line's text in pieces split at gaps wider than ``_GAP`` font sizes (and than the usual gap
    plus one size, so that a letter-spaced title stays whole)."""
    gaps = sorted(b[2] - a[4] for a, b in zip(real, real[1:]))
    wide = max(_GAP * max(size, 1.0), (gaps[len(gaps) // 2] if gaps else 0) + size)
    pieces: list[str] = []
    buf: list[str] = []
    prev_right = None
    for ch, height, x0, _y0, x1, _y1 in chars:
        if height == 0:
            buf.append(" ")
            continue
        if prev_right is not None and x0 - prev_right > wide and "".join(buf).strip():
            pieces.append("".join(buf))
            buf = []
        buf.append(ch)
        prev_right = x1
    pieces.append("".join(buf))
    return [" ".join(p.split()) for p in pieces if p.strip()]


def _is_table_row(cells: list[str]) -> bool:
    """Three or more cells, some of them figures, few of them single characters (a letter-spaced title)."""
    if len(cells) < 3:
        return False
    figures = sum(1 for x in cells if any(ch.isdigit() for ch in x))
    singles = sum(1 for x in cells if len(x) == 1)
    return figures >= 1 and singles * 2 <= len(cells)


def _join_all(pieces: list[str]) -> str:
    text = ""
    for p in pieces:
        text = _join(text, p)
    return text


def _join_vertical(lines: list[Line]) -> list[Line]:
    """Vertical text (one character a line, e.g. a sidebar 证券研究报告) joined into one line."""
    out: list[Line] = []
    run: list[Line] = []
    for line in [*lines, None]:
        if line is not None and len(line.text) == 1 and _CJK.match(line.text):
            run.append(line)
            continue
        if len(run) >= 3:
            first = run[0]
            out.append(
                Line("".join(x.text for x in run), first.size, first.x0, run[-1].y0, first.x1, first.y1, first.page)
            )
        else:
            out.extend(run)
        run = []
        if line is not None:
            out.append(line)
    return out


# -- repeated lines ----------------------------------------------------------------------------------
def _key(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def drop_repeated(pages: list[list[Line]]) -> list[Line]:
    """All lines in reading order, less running headers/footers/disclaimers and table-of-contents entries.

    A line counts as repeated when the same text (page numbers aside) is on at least half of the pages
    (and at least three)."""
    n = len(pages)
    seen = Counter()
    for lines in pages:
        seen.update({_key(x.text) for x in lines})
    limit = max(3, (n + 1) // 2)
    repeated = {k for k, v in seen.items() if v >= limit} if n >= 3 else set()
    return [x for lines in pages for x in lines if _key(x.text) not in repeated and not _TOC.search(x.text)]


def drop_contents(pages: list[list[Line]]) -> list[list[Line]]:
    """Pages without their table of contents (目录, 图表目录 …): from its title to the end of its page."""
    out = []
    for lines in pages:
        start = next((i for i, x in enumerate(lines) if _CONTENTS.match(re.sub(r"\s+", "", x.text))), None)
        out.append(lines if start is None else lines[:start])
    return out


# -- lines → paragraphs ------------------------------------------------------------------------------
def body_size(lines: list[Line]) -> float:
    """The most common font size, weighted by characters: the size of the running text."""
    sizes = Counter()
    for x in lines:
        sizes[round(x.size)] += len(x.text)
    return float(sizes.most_common(1)[0][0]) if sizes else 10.0


def heading_style(text: str) -> str | None:
    """The numbering style of a heading line (``1.1 投资经历`` → "d2"), or None if it is not one."""
    if len(text) > _MAX_HEADING or text[-1] in "。，；,;：:" or text.count("，") > 1:
        return None
    for name, rx in _HEADING_STYLES[::-1]:  # the most specific first: 1.1.1 before 1.1 before 1.
        if rx.match(text):
            return name
    return None


def _is_heading_line(line: Line, body: float) -> str | None:
    text = line.text
    if line.table or _NUMERIC.match(text):
        return None
    style = heading_style(text)
    if style and line.size >= body - 0.6:
        return style
    if (
        line.page > 1
        and line.size >= body * 1.25
        and 2 <= len(text) <= 30
        and text[-1] not in _SENT_END + "，,"
        and not text.startswith(("图", "表", "资料来源", "数据来源", "来源"))
    ):
        return "size"
    return None


def build_paragraphs(lines: list[Line]) -> list[Paragraph]:
    lines = [x for x in lines if not (_NUMERIC.match(x.text) and not x.row)]  # chart ticks, page numbers
    _mark_header_rows(lines)
    body = body_size(lines)
    styles = _heading_styles(lines, body)
    levels = _levels(styles, lines)
    out: list[Paragraph] = []
    buf: list[Line] = []
    prev_heading: Line | None = None
    for line, style in zip(lines, styles, strict=True):
        if style:
            _emit(buf, out)
            buf = []
            if style == "size" and prev_heading is not None and _continues(prev_heading, line):
                out[-1].text = _join(out[-1].text, _clean(line.text))  # a heading wrapped onto two lines
            else:
                out.append(Paragraph(0, _clean(line.text), "heading", levels[style, round(line.size)], line.page))
            prev_heading = line
            continue
        prev_heading = None
        if buf and _breaks(buf, line):
            _emit(buf, out)
            buf = []
        buf.append(line)
    _emit(buf, out)
    for i, p in enumerate(out, 1):
        p.n = i
    return out


def drop_back_matter(paragraphs: list[Paragraph]) -> list[Paragraph]:
    """The report without its standard back matter (disclosures, ratings scale, legal notice): everything
    from the first such title in the second half of the paragraphs on."""
    half = len(paragraphs) // 2
    for i in range(half, len(paragraphs)):
        text = re.sub(r"\s+", "", paragraphs[i].text)
        if len(text) <= 24 and _BACK_MATTER.match(text):
            return paragraphs[:i]
    return paragraphs


def _mark_header_rows(lines: list[Line]) -> None:
    """A line of three or more cells next to a table row is a row too (a header without figures)."""
    for i, x in enumerate(lines):
        if x.row and not x.table:
            near = lines[max(i - 1, 0) : i + 2]
            x.table = any(y.table and y.page == x.page for y in near)


def _heading_styles(lines: list[Line], body: float) -> list[str | None]:
    """Each line's heading style, or None. A numbered line whose text runs on into the next line is a list
    item, not a heading; 目录 (the table of contents' own title) is no section."""
    styles = [_is_heading_line(x, body) for x in lines]
    for i, style in enumerate(styles):
        if not style:
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        text = re.sub(r"\s+", "", lines[i].text)
        if text in ("目录", "图表目录", "表格目录", "Contents") or (
            style != "size" and nxt is not None and not styles[i + 1] and _continues(lines[i], nxt, full=True)
        ):
            styles[i] = None
    return styles


def _continues(line: Line, nxt: Line, full: bool = False) -> bool:
    """``nxt`` carries on ``line``'s text: same page and size, right below it (and, with ``full``, ``line``
    runs to the right margin, as a wrapped line does)."""
    if nxt.page != line.page or abs(nxt.size - line.size) > 0.6:
        return False
    gap = line.y0 - nxt.y1
    if not -0.3 * line.size <= gap <= 0.8 * line.size:
        return False
    return not full or line.x1 >= nxt.x1 - line.size


def _levels(styles: list[str | None], lines: list[Line]) -> dict[tuple[str, int], int]:
    """Heading level for each (style, font size): size-only headings larger than every numbered one on top
    (larger first), then the numbered styles in the order the document first uses them (but 1.1.1 right under
    1.1), then other size-only headings."""
    marked = [(s, round(x.size)) for x, s in zip(lines, styles, strict=True) if s]
    first = list(dict.fromkeys(s for s, _ in marked if s != "size"))
    rank = {s: float(i) for i, s in enumerate(first)}
    if "d3" in rank and "d2" in rank:
        rank["d3"] = rank["d2"] + 0.5
    numbered = sorted(rank, key=rank.__getitem__)
    top = max((size for s, size in marked if s != "size"), default=0)
    above = sorted({size for s, size in marked if s == "size" and size > top}, reverse=True)
    out: dict[tuple[str, int], int] = {}
    for s, size in marked:
        if s != "size":
            out[s, size] = len(above) + numbered.index(s) + 1
        elif size in above:
            out[s, size] = above.index(size) + 1
        else:
            out[s, size] = len(above) + len(numbered) + 1
    return out


def _breaks(buf: list[Line], line: Line) -> bool:
    """Does ``line`` start a new paragraph after the lines in ``buf``?"""
    prev = buf[-1]
    if line.page != prev.page or prev.table or line.table:
        return True
    if _PUA_BULLET.match(line.text) or line.text.startswith(("图", "表", "资料来源", "数据来源")):
        return True
    if _LIST_ITEM.match(line.text) and prev.text[-1] in "。！？；;：:":
        return True
    if prev.text.startswith(("图", "表", "资料来源", "数据来源")) and len(prev.text) < 60:
        return True
    if abs(line.size - prev.size) > 1.0:
        return True
    height = max(prev.y1 - prev.y0, line.size, 1.0)
    gap = prev.y0 - line.y1
    if gap > 1.2 * height or gap < -3 * height:  # a blank line, or a jump to another column or block
        return True
    if prev.text[-1] in "。！？!?" and prev.x1 < max(x.x1 for x in buf[-3:] + [line]) - 0.5 * line.size:
        return True
    return prev.x1 < line.x1 - 2.0 * max(line.size, 1.0)  # the previous line stopped short


def _emit(buf: list[Line], out: list[Paragraph]) -> None:
    if not buf:
        return
    if buf[0].table:
        text = "\n".join(x.row for x in buf)
    else:
        text = ""
        for x in buf:
            text = _join(text, _clean(x.text))
    text = text.strip()
    if text:
        out.append(Paragraph(0, text, page=buf[0].page))


def _clean(text: str) -> str:
    return _PUA_BULLET.sub("", text).strip()


def _join(a: str, b: str) -> str:
    """Join wrapped lines: no space between CJK characters, one between Latin words."""
    if not a:
        return b
    if not b:
        return a
    if ord(a[-1]) > 0x2E80 or ord(b[0]) > 0x2E80 or a.endswith("-"):
        return a + b
    return a + " " + b
