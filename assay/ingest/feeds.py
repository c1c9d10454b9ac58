"""RSS and Atom feeds (feedparser): the feed's title and its entries' links, titles and times.

The body reaches feedparser as a stream, never as a string or bytes: feedparser takes a string for a URL
(and fetches it itself, outside the fetcher's address guard) and tries bytes as a file name first (a
body reading ``/etc/passwd`` or ``/dev/zero`` would be opened).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from urllib.parse import urljoin, urlsplit

from ..errors import RecordError
from ..text.dates import parse_date

MAX_FEED_BYTES = 20 * 1024 * 1024
_CJK_DATE = re.compile(r"[年月日时]")
_FEED_TYPES = ("rss", "atom", "rdf", "xml")
_FEED_START = re.compile(rb"^\s*(?:<\?xml[^>]{0,200}>\s*)?(?:<!--.{0,500}?-->\s*)*<(?:rss|feed|rdf:RDF)\b", re.S)


@dataclass(slots=True)
class FeedEntry:
    url: str
    title: str = ""
    published_at: datetime | None = None
    date_only: bool = False


@dataclass(slots=True)
class Feed:
    title: str = ""
    link: str = ""
    entries: list[FeedEntry] = field(default_factory=list)


def looks_like_feed(content_type: str, body: bytes) -> bool:
    """A feed by its Content-Type (rss/atom/xml) or by its first element (<rss>, <feed>, <rdf:RDF>)."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind.endswith(("html",)):
        return bool(_FEED_START.match(body[:2048]))
    return any(t in kind for t in _FEED_TYPES) or bool(_FEED_START.match(body[:2048]))


def parse_feed(raw: bytes, url: str, content_type: str = "", tz: tzinfo = UTC) -> Feed:
    """The feed in ``raw`` (fetched from ``url``). Raises RecordError when it is not a feed."""
    import feedparser

    try:
        parsed = feedparser.parse(
            io.BytesIO(raw[:MAX_FEED_BYTES]),
            response_headers={"content-type": content_type or "application/xml", "content-location": url},
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as exc:  # feedparser's own failures on mangled input (a garbled encoding name, ...)
        raise RecordError(f"not an RSS or Atom feed (unreadable: {type(exc).__name__}: {exc})") from exc
    if not parsed.get("version") and not parsed.get("entries"):
        reason = parsed.get("bozo_exception")
        raise RecordError(f"not an RSS or Atom feed{f' ({reason})' if reason else ''}")
    meta = parsed.get("feed", {})
    feed = Feed(title=_clean(meta.get("title")), link=_clean(meta.get("link")))
    seen: set[str] = set()
    for item in parsed.get("entries", []):
        entry = _entry(item, url, tz)
        if entry is not None and entry.url not in seen:
            seen.add(entry.url)
            feed.entries.append(entry)
    return feed


def _entry(item, feed_url: str, tz: tzinfo) -> FeedEntry | None:
    link = _link(item)
    if not link:
        return None
    absolute = urljoin(feed_url, link)
    if urlsplit(absolute).scheme not in ("http", "https"):
        return None
    published, date_only = _published(item, tz)
    return FeedEntry(absolute, _clean(item.get("title")), published, date_only)


def _link(item) -> str:
    link = _clean(item.get("link"))
    if link:
        return link
    for alt in item.get("links", []) or []:
        if alt.get("rel", "alternate") == "alternate" and alt.get("href"):
            return _clean(alt["href"])
    guid = _clean(item.get("id"))
    return guid if guid.startswith(("http://", "https://")) else ""


def _published(item, tz: tzinfo) -> tuple[datetime | None, bool]:
    """feedparser's reading of RFC 822 and ISO dates (named zones too); ours for Chinese dates, which
    feedparser misreads ("2025年10月26日 06:41" → 1 November) or does not know ("2025-10-26 06:41")."""
    for key in ("published", "updated", "created"):
        raw = str(dict.get(item, key) or "")  # the stored value, not feedparser's fallbacks (with warnings)
        parsed = dict.get(item, f"{key}_parsed")
        if parsed and not _CJK_DATE.search(raw):
            try:
                return datetime(*parsed[:6], tzinfo=UTC), False
            except (TypeError, ValueError):
                pass
        if raw:
            dt, date_only = parse_date(raw, tz)
            if dt is not None:
                return dt, date_only
    return None, False


def _clean(value) -> str:
    return " ".join(str(value).split()) if value else ""
