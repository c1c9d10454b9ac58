"""``assay fetch``: read the listed feeds and pages, fetch the articles not seen before, ingest them.

Per source: one conditional GET (a 304 ends it: nothing new downloaded). A feed's entries are looked up in
``web_pages``; only new ones (and earlier failures, a few times) are fetched. Each page's main text and
metadata are extracted here, because relative times ("3小时前") need the fetch time; the articles of a
run are written as JSON records to ``<data dir>/fetched/`` (what was fetched stays in the data directory)
and go through the ordinary ingest. A page with no readable text is quarantined with its bytes.

The feed's validators are kept only when every entry it listed was dealt with, so a failed article is
tried again on the next fetch instead of hiding behind a 304.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import FetchError, FetchRefused, InputError
from ..model import Document, document_id
from ..settings import Settings
from ..store.web import WebPage, WebSource
from .feeds import Feed, FeedEntry, looks_like_feed, parse_feed
from .fetch import Fetched, Fetcher
from .html import Page, extract_page
from .pipeline import IngestReport

ACCEPT_ANY = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/html;q=0.9, */*;q=0.5"
ACCEPT_HTML = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
IngestFn = Callable[[list[Path]], IngestReport]


@dataclass
class FetchReport:
    sources: int = 0
    not_modified: int = 0  # sources answered 304
    entries: int = 0  # feed entries listed
    articles: int = 0  # article pages downloaded and extracted
    requests: int = 0
    downloaded: int = 0  # body bytes
    ingest: IngestReport | None = None
    failed: list[tuple[str, str]] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)

    def line(self) -> str:
        ing = self.ingest or IngestReport()
        return (
            f"{self.sources} sources ({self.not_modified} not modified) · {self.articles} articles fetched · "
            f"added {ing.added} · updated {ing.updated} · unchanged {ing.unchanged} · "
            f"failed {len(self.failed)} · refused {len(self.refused)} · {self.requests} requests, "
            f"{self.downloaded / 1024:.0f} KiB"
        )

    def to_dict(self) -> dict:
        return {
            "sources": self.sources,
            "not_modified": self.not_modified,
            "entries": self.entries,
            "articles": self.articles,
            "requests": self.requests,
            "downloaded": self.downloaded,
            "ingest": self.ingest.to_dict() if self.ingest else None,
            "failed": [{"url": u, "reason": r} for u, r in self.failed],
            "refused": [{"url": u, "reason": r} for u, r in self.refused],
        }


@dataclass(slots=True)
class Article:
    url: str  # as listed (feed entry or source)
    source: WebSource
    page: Page
    fetched: Fetched
    entry: FeedEntry | None = None
    feed_title: str = ""


class WebFetch:
    """One fetch run over some sources, with one HTTP client."""

    def __init__(self, store, settings: Settings, now: datetime | None = None, stop: threading.Event | None = None):
        self.store, self.settings = store, settings
        self.stop = stop or threading.Event()
        self.now = now or datetime.now(UTC)
        self.report = FetchReport()
        self.articles: list[Article] = []
        self._updates: list[tuple] = []  # (source id, status, kind, validators), written after the ingest

    def run(self, sources: list[WebSource], ingest: IngestFn) -> FetchReport:
        with Fetcher(self.settings) as fetcher:
            self.fetcher = fetcher
            for source in sources:
                if self.stop.is_set():
                    break
                self._source(source)
            self.report.requests, self.report.downloaded = fetcher.requests, fetcher.downloaded
        ingested = False
        try:
            self._ingest(ingest)
            ingested = True
        finally:  # new validators only once the articles are in: else the next fetch must download them again
            for source_id, status, kind, validators in self._updates:
                self.store.update_web_source(source_id, status, kind, validators if ingested else None)
        return self.report

    def _update(self, source: WebSource, status: str, kind: str | None = None, validators=None) -> None:
        self._updates.append((source.id, status, kind, validators))

    # -- sources ------------------------------------------------------------------------------------
    def _source(self, source: WebSource) -> None:
        self.report.sources += 1
        try:
            fetched = self.fetcher.get(source.url, source.etag, source.last_modified, ACCEPT_ANY)
        except FetchError as exc:
            self._failed(source.url, exc)
            self._update(source, _status(exc))
            return
        if fetched.not_modified:
            self.report.not_modified += 1
            self._update(source, "not modified")
            return
        if looks_like_feed(fetched.content_type, fetched.body):
            self._feed(source, fetched)
        else:  # an article URL (a page without text is quarantined: not fetched again until it changes)
            failed = len(self.report.failed)
            self._page(source, source.url, fetched)
            status = "ok" if len(self.report.failed) == failed else f"failed: {self.report.failed[-1][1]}"
            self._update(source, status, "page", (fetched.etag, fetched.last_modified))

    def _feed(self, source: WebSource, fetched: Fetched) -> None:
        try:
            feed = parse_feed(fetched.body, fetched.url, fetched.content_type, self.settings.tz)
        except InputError as exc:
            self._failed(source.url, exc)
            self._update(source, f"failed: {exc.message}")
            return
        entries = feed.entries[: self.settings.fetch_max_items]
        self.report.entries += len(entries)
        known = self.store.web_pages([e.url for e in entries])
        pending = [e for e in entries if e.url not in known or not known[e.url].settled]
        done = 0
        for entry in pending:
            if self.stop.is_set():
                break
            done += self._entry(source, feed, entry)
        complete = done == len(pending)  # else keep the old validators: the next fetch retries the rest
        validators = (fetched.etag, fetched.last_modified) if complete else None
        status = f"ok: {len(entries)} entries, {len(pending)} new"
        if not complete:
            status += f", {len(pending) - done} failed"
        self._update(source, status, "feed", validators)

    def _entry(self, source: WebSource, feed: Feed, entry: FeedEntry) -> bool:
        """Fetch one feed entry's page. False when it failed in a way worth retrying."""
        try:
            fetched = self.fetcher.get(entry.url, accept=ACCEPT_HTML)
        except FetchRefused as exc:
            self._failed(entry.url, exc)
            self.store.record_web_page(WebPage(entry.url, source.id, "refused", error=exc.message))
            return True  # refused for good: not a reason to fetch the feed again
        except FetchError as exc:
            self._failed(entry.url, exc)
            self.store.record_web_page(WebPage(entry.url, source.id, "failed", error=exc.message))
            return False
        self._page(source, entry.url, fetched, entry, feed.title)
        return True

    def _page(self, source: WebSource, url: str, fetched: Fetched, entry=None, feed_title: str = "") -> None:
        """Extract an article page. A page without readable text is quarantined with its bytes (a feed's
        entry is looked at again, a few times at most, only when the feed changes)."""
        try:
            page = extract_page(fetched.text(), fetched.url, self.now, self.settings.tz)
        except InputError as exc:
            self.store.quarantine(url, exc.message, fetched.body)
            self.store.record_web_page(WebPage(url, source.id, "failed", error=exc.message))
            self._failed(url, exc)
            return
        self.report.articles += 1
        self.articles.append(Article(url, source, page, fetched, entry, feed_title))

    def _failed(self, url: str, exc: InputError) -> None:
        target = self.report.refused if isinstance(exc, FetchRefused) else self.report.failed
        target.append((url, exc.message))

    # -- ingest -------------------------------------------------------------------------------------
    def _ingest(self, ingest: IngestFn) -> None:
        if not self.articles:
            return
        path = self._write_records()
        report = ingest([path])
        self.report.ingest = report
        bad = {label: reason for label, reason in report.errors}
        for lineno, art in enumerate(self.articles, 1):
            reason = bad.get(f"{path}:{lineno}")
            if reason is not None:
                self.report.failed.append((art.url, reason))
            self.store.record_web_page(
                WebPage(
                    art.url,
                    art.source.id,
                    "failed" if reason else "ingested",
                    doc_id=None if reason else _doc_id(art),
                    etag=art.fetched.etag,
                    last_modified=art.fetched.last_modified,
                    author=art.page.author,
                    error=reason,
                )
            )

    def _write_records(self) -> Path:
        folder = self.settings.home / "fetched"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.jsonl"
        lines = [json.dumps(article_record(a), ensure_ascii=False) for a in self.articles]
        tmp = path.with_suffix(".tmp")
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        tmp.replace(path)
        return path


def article_record(art: Article) -> dict:
    """The JSON record of an article, as the ingest reads records (``format: plain``: no Markdown)."""
    published, date_only = _published(art)
    record = {
        "id": art.url,
        "url": art.page.url or art.fetched.url,
        "title": art.page.title or (art.entry.title if art.entry else None),
        "text": art.page.text,
        "source": art.source.name or art.page.site or art.feed_title or _host(art.fetched.url),
        "published_at": (published.date().isoformat() if date_only else published.isoformat()) if published else None,
        "format": "plain",
    }
    if art.source.doc_type:
        record["doc_type"] = art.source.doc_type
    return record


def _published(art: Article) -> tuple[datetime | None, bool]:
    """The page's time of day, else the feed entry's; the page's day, else the entry's."""
    page, entry = art.page, art.entry
    candidates = [(page.published_at, page.date_only)]
    if entry is not None:
        candidates.append((entry.published_at, entry.date_only))
    for dt, date_only in candidates:
        if dt is not None and not date_only:
            return dt, False
    for dt, date_only in candidates:
        if dt is not None:
            return dt, date_only
    return None, False


def _doc_id(art: Article) -> str:
    return document_id(Document(title="", paragraphs=[], url=art.page.url or art.fetched.url))


def _host(url: str) -> str:
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")


def _status(exc: InputError) -> str:
    return exc.message if isinstance(exc, FetchRefused) else f"failed: {exc.message}"  # refusals say so
