"""HTML page → main text and metadata.

trafilatura finds the main text (navigation, ads and comments left out; its fast mode, with the fallback
extractors only for pages where that finds nothing). The metadata is read here from one lxml parse of the
page, because trafilatura keeps only the day of the published time:

- published time: meta tags and JSON-LD with a time, then a ``<time>`` element or the byline under the
  headline ("2025年10月26日 06:41", "2025-10-26 06:41", "3小时前", "2 hours ago", read against the fetch
  time), never a date in the navigation or the comments; a day alone when nothing gives the time;
- title (og:title, the headline, or <title> without the site's name), site name, author;
- canonical URL (``<link rel=canonical>`` or og:url), only when it is on the same site as the page's URL:
  the document id is a hash of it, and a page must not take over another site's documents.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from itertools import islice
from urllib.parse import urljoin, urlsplit

from ..errors import RecordError
from ..text.dates import find_time, parse_date

# a zone that stands for "the reader's zone": page times written without one stay naive in ``meta()``
FLOATING = timezone(timedelta(0), "floating")
MAX_HTML_CHARS = 5_000_000  # larger pages are cut before parsing
MIN_FALLBACK_CHARS = 30  # what trafilatura's fallback finds on a page without an article is often a menu

_EXCLUDED_TAGS = {"nav", "footer", "aside", "script", "style", "noscript", "form", "select", "button"}
_EXCLUDED_HINT = re.compile(
    r"comment|reply|discuss|\bnav|menu|footer|sidebar|side-bar|related|recommend|hot-?news|rank|breadcrumb|"
    r"copyright|\bads?\b|advert|banner|share|评论|topbar|top-bar|login",
    re.I,
)
_BYLINE_HINT = re.compile(r"time|date|pub|info|meta|byline|source|author|attr|detail-?head|article-?head", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]{0,200}\?>")
_TITLE_SPLIT = re.compile(r"\s*[|_｜]\s*|\s+[-–—]\s+")
_CHANNEL = re.compile(r"(?:频道|首页|新闻网|网|报|在线|官网|News|Online|\.com|\.cn)$", re.I)
_SOURCE_IN_TEXT = re.compile(r"来源\s*[:：]\s*([^\s|｜/,，;；]{2,30})")
_AUTHOR_IN_TEXT = re.compile(
    r"(?:作者|责任编辑|责编|记者|编辑)\s*[:：]?\s*([\u4e00-\u9fff·]{2,12}(?:\s[\u4e00-\u9fff·]{2,12}){0,2})"
    r"|\bBy\s+([A-Z][\w.'-]+(?:\s+(?:[A-Z][\w.'-]+|and|de|van))*)"
)
_META_TIME_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "publish_time",
    "publishtime",
    "article:published",
    "sailthru.date",
    "parsely-pub-date",
    "dc.date.issued",
    "dc.date",
    "dcterms.created",
    "date",
)


@dataclass(slots=True)
class Page:
    text: str  # paragraphs separated by blank lines
    title: str | None = None
    published_at: datetime | None = None
    date_only: bool = False
    site: str | None = None
    author: str | None = None
    url: str | None = None  # canonical URL, else the page's own

    def meta(self) -> dict:
        """The metadata as ``file_to_document`` takes it (a time in the floating zone stays naive)."""
        date = None
        if self.published_at is not None:
            if self.date_only:
                date = self.published_at.date().isoformat()
            elif self.published_at.tzinfo is FLOATING:
                date = self.published_at.replace(tzinfo=None).isoformat()
            else:
                date = self.published_at.isoformat()
        meta = {"title": self.title, "date": date, "sitename": self.site, "url": self.url, "author": self.author}
        return {k: v for k, v in meta.items() if v}


def extract_html(html: str, url: str | None = None) -> tuple[str, dict]:
    """Main text and metadata of an HTML file (times without a zone are left for the caller's zone)."""
    page = extract_page(html, url, tz=FLOATING)
    return page.text, page.meta()


def extract_page(html: str, url: str | None = None, fetched_at: datetime | None = None, tz: tzinfo = UTC) -> Page:
    """Main text and metadata of a page fetched from ``url`` at ``fetched_at`` (relative times need it).
    Raises RecordError when the page has no readable main text."""
    html = html[:MAX_HTML_CHARS]
    tree = _parse(html)
    text = _main_text(html)
    if tree is None:
        return Page(text, url=url)
    meta = _meta_tags(tree)
    ld = _json_ld(tree)
    site = _site_name(tree, meta, ld)
    title = _title(tree, meta, ld, site)
    published, date_only = _published(tree, meta, ld, tz, fetched_at)
    return Page(
        text=_without_headline(text, title),
        title=title,
        published_at=published,
        date_only=date_only,
        site=site,
        author=_author(tree, meta, ld),
        url=_canonical(tree, meta, url) or url,
    )


def _main_text(html: str) -> str:
    """trafilatura's fast mode first; its fallback extractors only when that finds nothing, and then only a
    text long enough not to be a leftover menu."""
    body = _trafilatura_text(html, fast=True)
    if not body:
        body = _trafilatura_text(html, fast=False)
        if len("".join(body.split())) < MIN_FALLBACK_CHARS:
            body = ""
    if not body:
        raise RecordError("HTML page without readable main text")
    return body


def _trafilatura_text(html: str, fast: bool) -> str:
    import trafilatura

    doc = trafilatura.bare_extraction(
        html, with_metadata=False, include_comments=False, include_tables=True, favor_precision=True, fast=fast
    )
    text = getattr(doc, "text", None) if doc is not None else None
    lines = [line.strip() for line in (text or "").splitlines()]
    return "\n\n".join(line for line in lines if line)


def _without_headline(text: str, title: str | None) -> str:
    """The text without a first line that repeats the title (an <h1> inside <article>)."""
    first, sep, rest = text.partition("\n\n")
    return rest if title and sep and rest and " ".join(first.split()) == " ".join(title.split()) else text


def _parse(html: str):
    from lxml import etree
    from lxml import html as lxml_html

    try:  # lxml refuses a str that declares its encoding (XHTML's "<?xml ... encoding=...?>")
        return lxml_html.document_fromstring(_XML_DECLARATION.sub("", html, count=1))
    except (etree.ParserError, ValueError):
        return None


def _text(el) -> str:
    return " ".join("".join(el.itertext()).split())


def _attr_hint(el) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''}"


def _excluded(el) -> bool:
    """In the navigation, the footer, an aside or the comments (the element or one of its ancestors)."""
    while el is not None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _EXCLUDED_TAGS or (tag == "header" and _outside_article(el)):
            return True
        if tag not in ("html", "body") and _EXCLUDED_HINT.search(_attr_hint(el)):
            return True
        el = el.getparent()
    return False


def _outside_article(el) -> bool:
    return not any(a.tag in ("article", "main") for a in el.iterancestors())


# -- meta tags and JSON-LD ------------------------------------------------------------------------------
def _meta_tags(tree) -> dict[str, str]:
    out: dict[str, str] = {}
    for el in tree.iter("meta"):
        key = el.get("property") or el.get("name") or el.get("itemprop")
        value = el.get("content")
        if key and value and value.strip():
            out.setdefault(key.strip().lower(), value.strip())
    return out


def _json_ld(tree) -> dict[str, str]:
    """datePublished, headline, author and publisher name from the page's JSON-LD (the first of each)."""
    out: dict[str, str] = {}
    for script in list(tree.iter("script"))[:50]:
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        if len(script.text) > 200_000:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        for node in _ld_nodes(data):
            _ld_fields(node, out)
    return out


def _ld_nodes(data, depth: int = 0) -> Iterator[dict]:
    if depth > 4:
        return
    if isinstance(data, list):
        for item in data[:50]:
            yield from _ld_nodes(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _ld_nodes(data["@graph"], depth + 1)


def _ld_fields(node: dict, out: dict[str, str]) -> None:
    for key, field in (("datePublished", "date"), ("headline", "title")):
        if isinstance(node.get(key), str):
            out.setdefault(field, node[key])
    for key, field in (("author", "author"), ("publisher", "site")):
        name = _ld_name(node.get(key))
        if name:
            out.setdefault(field, name)


def _ld_name(value) -> str | None:
    if isinstance(value, list) and value:
        value = value[0]
    if isinstance(value, dict):
        value = value.get("name")
    return value.strip() if isinstance(value, str) and value.strip() else None


# -- the fields -----------------------------------------------------------------------------------------
def _site_name(tree, meta: dict, ld: dict) -> str | None:
    for value in (meta.get("og:site_name"), meta.get("application-name"), ld.get("site")):
        if value and len(value) <= 80:
            return value
    for text in _byline_texts(tree):
        if m := _SOURCE_IN_TEXT.search(text):
            return m.group(1)
    return None


def _title(tree, meta: dict, ld: dict, site: str | None) -> str | None:
    h1 = next((t for t in (_text(h) for h in tree.iter("h1") if not _excluded(h)) if t), None)
    title_tag = next((_text(t) for t in tree.iter("title")), None)
    for value in (meta.get("og:title"), meta.get("twitter:title"), ld.get("title")):
        if value and value.strip():
            return _clean_title(value.strip(), site)[:300]
    if h1 and title_tag and h1 in title_tag:  # the headline, as <title> has it with the site's name
        return h1[:300]
    for value in (title_tag, h1):
        if value:
            return _clean_title(value, site)[:300]
    return None


def _clean_title(title: str, site: str | None) -> str:
    """ "稀土新规发布_新闻频道_央视网" → "稀土新规发布": the site's name and channel names dropped from either
    end; a title's own parts ("ARGENTINA COULD SUSPEND DEBT PAYMENTS - DEPUTY") stay."""
    spans, start = [], 0
    for m in _TITLE_SPLIT.finditer(title):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(title)))
    spans = [(a, b) for a, b in spans if title[a:b].strip()]
    while len(spans) > 1 and _site_like(title[slice(*spans[-1])], site):
        spans.pop()
    while len(spans) > 1 and _site_like(title[slice(*spans[0])], site):
        spans.pop(0)
    return title[spans[0][0] : spans[-1][1]].strip() if spans else title


def _site_like(part: str, site: str | None) -> bool:
    part = part.strip()
    if site and (site in part or part in site):
        return True
    return len(part) <= 12 and bool(_CHANNEL.search(part))


def _author(tree, meta: dict, ld: dict) -> str | None:
    for value in (meta.get("author"), meta.get("article:author"), meta.get("dc.creator"), ld.get("author")):
        if value and not value.startswith("http") and len(value) <= 80:
            return value
    for text in _byline_texts(tree):
        if m := _AUTHOR_IN_TEXT.search(text):
            return (m.group(1) or m.group(2)).strip()
    return None


def _canonical(tree, meta: dict, url: str | None) -> str | None:
    hrefs = [el.get("href") for el in tree.iter("link") if "canonical" in (el.get("rel") or "").lower().split()]
    for href in [*hrefs, meta.get("og:url")]:
        if not href or not href.strip():
            continue
        absolute = urljoin(url or "", href.strip())
        parts = urlsplit(absolute)
        if parts.scheme in ("http", "https") and parts.hostname and (url is None or same_site(url, absolute)):
            return absolute
    return None


def same_site(a: str, b: str) -> bool:
    """Whether two URLs are on one site (news.example.com and www.example.com are; example.org is not)."""
    return _site_key(urlsplit(a).hostname or "") == _site_key(urlsplit(b).hostname or "") != ""


def _site_key(host: str) -> str:
    labels = host.lower().rstrip(".").split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in ("com", "net", "org", "gov", "edu", "co", "ac"):
        return ".".join(labels[-3:])  # example.com.cn, example.co.uk
    return ".".join(labels[-2:])


# -- the published time ---------------------------------------------------------------------------------
def _published(tree, meta: dict, ld: dict, tz: tzinfo, now: datetime | None) -> tuple[datetime | None, bool]:
    """The first candidate with a time of day, else the first with a day; never later than a day after now."""
    day: tuple[datetime, bool] | None = None
    latest = (now or datetime.now(UTC)) + timedelta(days=1)
    for dt, date_only in _time_candidates(tree, meta, ld, tz, now):
        if dt is None or _later(dt, latest):
            continue
        if not date_only:
            return dt, False
        day = day or (dt, True)
    return day if day else (None, False)


def _later(dt: datetime, limit: datetime) -> bool:
    if dt.tzinfo is FLOATING:  # unknown zone: compare the wall clock, with a day's slack
        return dt.replace(tzinfo=UTC) > limit + timedelta(days=1)
    return dt > limit


def _time_candidates(tree, meta: dict, ld: dict, tz: tzinfo, now: datetime | None) -> Iterator[tuple]:
    for key in _META_TIME_KEYS:
        if key in meta:
            yield parse_date(meta[key], tz)
    if "date" in ld:
        yield parse_date(ld["date"], tz)
    for el in tree.iter("time"):
        if not _excluded(el):
            yield parse_date(el.get("datetime"), tz) if el.get("datetime") else find_time(_text(el), tz, now)
    for text in _byline_texts(tree):
        yield find_time(text, tz, now)


def _byline_texts(tree) -> Iterator[str]:
    """Short texts where a page states its time, source and author: elements whose class or id says so,
    then what follows the headline; never the navigation, the footer or the comments."""
    for el in tree.iter():
        if not isinstance(el.tag, str) or el.tag in ("html", "body", "head", "script", "style"):
            continue
        if _BYLINE_HINT.search(_attr_hint(el)) and not _excluded(el):
            text = _text(el)
            if 0 < len(text) <= 300:
                yield text
    yield from _after_headline(tree)


def _after_headline(tree, siblings: int = 3, limit: int = 120) -> Iterator[str]:
    """Short lines right after the headline (a byline without a telling class); long ones are the article,
    whose own dates ("2022年1月1日出版的…") are not its time."""
    h1 = next((h for h in tree.iter("h1") if not _excluded(h)), None)
    if h1 is None:
        return
    for el in islice(h1.itersiblings(), siblings):
        if isinstance(el.tag, str) and not _excluded(el):
            text = _text(el)
            if 0 < len(text) <= limit:
                yield text
