"""Web sources (feeds and page URLs) and the pages fetched from them, with their HTTP validators.

``web_sources``: what ``assay add-source`` listed; ``kind`` is learned on the first fetch (feed or page),
with the ETag / Last-Modified of the last 200 answer, so the next request is conditional.
``web_pages``: every article URL met, and what became of it: ``ingested`` (with its document id and
validators), ``failed`` (retried on later fetches, up to ``MAX_PAGE_ATTEMPTS``) or ``refused`` (the
address guard; not retried). The tables are made in migrations.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ..errors import Conflict, NotFound

MAX_PAGE_ATTEMPTS = 3
_SOURCE_COLUMNS = "id, url, name, doc_type, kind, etag, last_modified, added_at, fetched_at, status"
_PAGE_COLUMNS = "url, source_id, state, doc_id, etag, last_modified, author, attempts, error, fetched_at"


@dataclass(slots=True)
class WebSource:
    id: int
    url: str
    name: str | None = None
    doc_type: str | None = None
    kind: str | None = None  # "feed" | "page", known after the first fetch
    etag: str | None = None
    last_modified: str | None = None
    added_at: str = ""
    fetched_at: str | None = None
    status: str | None = None  # the last fetch's outcome, in words

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__slots__ if k not in ("etag", "last_modified")}


@dataclass(slots=True)
class WebPage:
    url: str
    source_id: int | None
    state: str  # "ingested" | "failed" | "refused"
    doc_id: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    author: str | None = None
    attempts: int = 0
    error: str | None = None
    fetched_at: str | None = None

    @property
    def settled(self) -> bool:
        """Nothing more to do for a feed entry: ingested, refused, or failed too often."""
        return self.state != "failed" or self.attempts >= MAX_PAGE_ATTEMPTS


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class WebMixin:
    """Methods of ``SqlStore`` (it provides ``db`` and ``_lock``)."""

    def add_web_source(self, url: str, name: str | None = None, doc_type: str | None = None) -> WebSource:
        with self._lock:
            if self.db.execute("SELECT 1 FROM web_sources WHERE url = ?", (url,)).fetchone():
                raise Conflict(f"the source {url} is already listed")
            source_id = self.db.execute(
                "INSERT INTO web_sources (url, name, doc_type, added_at) VALUES (?,?,?,?) RETURNING id",
                (url, name, doc_type, _now()),
            ).fetchall()[0][0]
        return self.web_source(str(source_id))

    def web_sources(self) -> list[WebSource]:
        with self._lock:
            rows = self.db.execute(f"SELECT {_SOURCE_COLUMNS} FROM web_sources ORDER BY id").fetchall()
        return [WebSource(*r) for r in rows]

    def web_source(self, key: str) -> WebSource:
        """A source by its id or URL."""
        with self._lock:
            row = self.db.execute(
                f"SELECT {_SOURCE_COLUMNS} FROM web_sources WHERE CAST(id AS TEXT) = ? OR url = ?", (key, key)
            ).fetchone()
        if row is None:
            raise NotFound(f"no source with id or URL {key!r} (see `assay sources`)")
        return WebSource(*row)

    def remove_web_source(self, key: str) -> WebSource:
        source = self.web_source(key)
        with self._lock:
            self.db.execute("DELETE FROM web_sources WHERE id = ?", (source.id,))
        return source

    def update_web_source(self, source_id: int, status: str, kind: str | None = None, validators=None) -> None:
        """The outcome of a fetch; ``validators`` (etag, last_modified) when a 200 answer brought new ones."""
        with self._lock:
            self.db.execute(
                "UPDATE web_sources SET status = ?, fetched_at = ?, kind = COALESCE(CAST(? AS TEXT), kind)"
                " WHERE id = ?",
                (status, _now(), kind, source_id),
            )
            if validators is not None:
                self.db.execute(
                    "UPDATE web_sources SET etag = ?, last_modified = ? WHERE id = ?", (*validators, source_id)
                )

    def web_pages(self, urls: list[str]) -> dict[str, WebPage]:
        out: dict[str, WebPage] = {}
        with self._lock:
            for i in range(0, len(urls), 900):
                chunk = urls[i : i + 900]
                marks = ",".join("?" * len(chunk))
                rows = self.db.execute(f"SELECT {_PAGE_COLUMNS} FROM web_pages WHERE url IN ({marks})", chunk)
                out.update((r[0], WebPage(*r)) for r in rows.fetchall())
        return out

    def record_web_page(self, page: WebPage) -> None:
        """Keep what became of a page (a failure adds one to its attempts; success resets them)."""
        now = _now()
        with self._lock:
            self.db.execute(
                "INSERT INTO web_pages (url, source_id, state, doc_id, etag, last_modified, author, attempts, error,"
                " first_seen_at, fetched_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT(url) DO UPDATE SET source_id = COALESCE(excluded.source_id, web_pages.source_id),"
                " state = excluded.state, doc_id = COALESCE(excluded.doc_id, web_pages.doc_id),"
                " etag = excluded.etag, last_modified = excluded.last_modified,"
                " author = COALESCE(excluded.author, web_pages.author),"
                " attempts = CASE WHEN excluded.state = 'failed' THEN web_pages.attempts + 1 ELSE 0 END,"
                " error = excluded.error, fetched_at = excluded.fetched_at",
                (
                    page.url,
                    page.source_id,
                    page.state,
                    page.doc_id,
                    page.etag,
                    page.last_modified,
                    page.author,
                    1 if page.state == "failed" else 0,
                    page.error,
                    now,
                    now,
                ),
            )

    def web_page_counts(self) -> dict[int, dict[str, int]]:
        """Pages per source id and state."""
        out: dict[int, dict[str, int]] = {}
        with self._lock:
            rows = self.db.execute("SELECT source_id, state, COUNT(*) FROM web_pages GROUP BY 1, 2").fetchall()
        for source_id, state, n in rows:
            out.setdefault(source_id, {})[state] = n
        return out
