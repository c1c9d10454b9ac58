"""The shared vocabulary: Document, Paragraph, Summary (Section, Bullet), Hit, SearchResult.

Plain dataclasses (slots) — they are created by the hundred thousand during ingest, so they stay cheap.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

DocType = Literal["news", "report", "filing", "transcript", "announcement", "other"]
DOC_TYPES: tuple[str, ...] = ("news", "report", "filing", "transcript", "announcement", "other")
Check = Literal["supported", "unsupported", "unchecked"]


@dataclass(slots=True)
class Paragraph:
    """Paragraph ``n`` (1-based, reading order) of a document. Headings are paragraphs too, with a level."""

    n: int
    text: str
    kind: Literal["text", "heading"] = "text"
    level: int = 0
    page: int | None = None


@dataclass(slots=True)
class Document:
    title: str
    paragraphs: list[Paragraph]
    source: str = ""
    url: str | None = None
    published_at: datetime | None = None
    date_only: bool = False  # the input gave a day, not a time
    doc_type: str = "news"
    lang: str = "zh"
    institution: str | None = None
    symbols: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    external_id: str | None = None
    id: str = ""
    content_hash: str = ""
    cluster_id: str | None = None
    ingested_at: datetime | None = None

    def finalize(self) -> Document:
        """Fill ``content_hash`` and the stable ``id`` (canonical URL, else source+title+date+content)."""
        self.content_hash = content_hash(self.title, self.paragraphs)
        if not self.id:
            self.id = document_id(self)
        return self

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.paragraphs)

    def paragraph(self, n: int) -> Paragraph | None:
        if 1 <= n <= len(self.paragraphs):
            return self.paragraphs[n - 1]
        return None


def content_hash(title: str, paragraphs: list[Paragraph]) -> str:
    """SHA-256 of the title and, per paragraph, RS kind level page US text (the ids of stored documents
    depend on these exact bytes)."""
    parts = [title.strip()]
    for p in paragraphs:
        parts.append(f"\x1e{p.kind}{p.level}{p.page or ''}\x1f")
        parts.append(p.text)
    return hashlib.sha256("".join(parts).encode()).hexdigest()


_TRACKING = ("utm_", "spm", "from", "share")


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, drop the fragment, tracking parameters and a trailing slash."""
    url = url.strip()
    if "?" not in url and "#" not in url and "://" in url:  # the common case, without urllib
        scheme, _, rest = url.partition("://")
        host, slash, path = rest.partition("/")
        path = ("/" + path).rstrip("/") or "/"
        return f"{scheme.lower()}://{host.lower()}{path}"
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.lower().startswith(_TRACKING)]
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, urlencode(query), ""))


def document_id(doc: Document) -> str:
    if doc.url:
        key = "url\x1f" + canonical_url(doc.url)
    else:
        when = doc.published_at.isoformat() if doc.published_at else ""
        key = "\x1f".join(("doc", doc.source, doc.title, when, doc.content_hash))
    return hashlib.sha1(key.encode()).hexdigest()[:16]


@dataclass(slots=True)
class Bullet:
    text: str
    cites: list[int]
    check: Check = "unchecked"
    note: str = ""


def _bullet(b: dict[str, Any]) -> Bullet:
    return Bullet(b["text"], b["cites"], b.get("check", "unchecked"), b.get("note", ""))


@dataclass(slots=True)
class Section:
    heading: str
    bullets: list[Bullet]


# part of a summary's cache key (content_hash, backend, template version): bumped whenever the layout or the
# selection changes in a way that should make cached summaries again (the versions: assay/summarize/base.py)
TEMPLATE_VERSION = 3


@dataclass(slots=True)
class Summary:
    doc_id: str
    template: str
    language: str
    backend: str
    created_at: datetime
    sections: list[Section]
    rating: str | None = None
    template_version: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "template": self.template,
            "language": self.language,
            "backend": self.backend,
            "created_at": self.created_at.isoformat(),
            "sections": [
                {
                    "heading": s.heading,
                    "bullets": [
                        {"text": b.text, "cites": list(b.cites), "check": b.check, "note": b.note} for b in s.bullets
                    ],
                }
                for s in self.sections
            ],
            "rating": self.rating,
            "template_version": self.template_version,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Summary:
        sections = [Section(s["heading"], [_bullet(b) for b in s.get("bullets", ())]) for s in data.get("sections", [])]
        return cls(
            doc_id=data["doc_id"],
            template=data["template"],
            language=data["language"],
            backend=data["backend"],
            created_at=datetime.fromisoformat(data["created_at"]),
            sections=sections,
            rating=data.get("rating"),
            template_version=data.get("template_version", 1),
        )


@dataclass(frozen=True, slots=True)
class KnownVersion:
    """What the store holds of a document that ingest meets again: its text version and first ingest time."""

    content_hash: str
    ingested_at: str


@dataclass(frozen=True, slots=True)
class IngestJob:
    """A chunk of the ingest queue leased to a worker: its inputs, encoded (``ingest.chunks``)."""

    id: int
    batch: str
    label: str  # the first input's label (path or path:line)
    items: bytes
    n_items: int
    attempts: int


@dataclass(frozen=True, slots=True)
class IngestDone:
    """Marks a chunk done in the transaction that writes its documents (``Store.write_rows``): the counts the
    worker found before writing (inputs unchanged, inputs quarantined)."""

    job_id: int
    worker: str
    unchanged: int = 0
    quarantined: int = 0
    updated: int = 0  # earlier versions of a document that a later record of the same chunk replaced


@dataclass(frozen=True, slots=True)
class IngestProgress:
    """The ingest queue by state: chunks, inputs, and what the finished chunks wrote."""

    chunks: dict[str, int]
    items: dict[str, int]
    written: dict[str, int]  # added, updated, unchanged, quarantined

    @property
    def finished(self) -> bool:
        return self.chunks["queued"] == 0 and self.chunks["running"] == 0


@dataclass(slots=True)
class SignedDocument:
    """A stored document as story clustering sees it (it has a near-duplicate signature)."""

    id: str
    cluster: str
    title: str
    source: str
    doc_type: str
    published_ts: int | None
    size: int


@dataclass(frozen=True, slots=True)
class StoredSignature:
    """A near-duplicate signature as the band index reads it back: its number, band keys, shingle count and
    sketch (when it has one), the document's cluster and publication time."""

    n: int
    bands: bytes
    shingles: int | None
    sketch: bytes | None
    cluster: str | None
    published_ts: int | None


@dataclass(frozen=True, slots=True)
class DocumentText:
    """A stored document's title and body text, with what clustering needs to place it."""

    id: str
    title: str
    text: str
    source: str = ""
    doc_type: str = ""
    published_ts: int | None = None


@dataclass(frozen=True, slots=True)
class ClusterAssignment:
    """One document's place in the story clusters, as a batch's plan decided it: its signature (number, exact
    key, shingle count, band keys, sketch) and cluster; how it joined (``first`` — a story of its own —,
    ``exact``, ``near``, ``revision``), the document it matched, the similarity, and that document's
    (publication time, size), which the representative is chosen by."""

    doc_id: str
    n: int
    exact: str
    size: int
    published_ts: int | None
    bands: bytes
    shingles: int | None
    sketch: bytes | None
    cluster: str
    kind: str
    matched: str | None = None
    similarity: float | None = None
    matched_ts: int | None = None
    matched_size: int = 0


@dataclass(slots=True)
class ClusterChanges:
    """What a store writes for a batch's story clusters (in the documents' transaction, or on its own):
    documents taken out of their stories first (their text changed), then each assignment. ``representative``
    is the setting (``earliest`` or ``complete``); ``rows_carry_cluster``: the documents' rows being written
    already hold their cluster id."""

    assignments: list[ClusterAssignment]
    removed: list[str]
    representative: str = "earliest"
    rows_carry_cluster: bool = False


@dataclass(frozen=True, slots=True)
class StoryHead:
    """The story a document belongs to: its cluster, the member that stands for it, how many documents it holds
    (a document in no cluster of two or more is a story of its own: its id, its id, 1)."""

    cluster: str
    representative: str
    size: int


@dataclass(frozen=True, slots=True)
class FileRecord:
    """A file a folder ingest finished (the ingest ledger): by resolved path, its size, modification time and
    SHA-256 then, and how it ended (``done`` or ``quarantined``, with the reason)."""

    path: str
    size: int
    mtime_ns: int
    sha256: str
    status: str
    doc_id: str | None = None
    reason: str | None = None


@dataclass(slots=True)
class StoryMember:
    """A document of a story, as the "N similar · sources" list shows it."""

    id: str
    title: str
    source: str
    url: str | None
    published_at: datetime | None
    date_only: bool
    kind: str = "near"  # first | exact | near | revision (how it joined the cluster)
    matched: str | None = None
    similarity: float | None = None
    record_ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "record_ids": self.record_ids,
            "title": self.title,
            "source": self.source,
            "url": self.url,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "date_only": self.date_only,
            "kind": self.kind,
            "matched": self.matched,
            "similarity": self.similarity,
        }


@dataclass(slots=True)
class Hit:
    id: str
    external_id: str | None
    title: str
    source: str
    url: str | None
    published_at: datetime | None
    date_only: bool
    doc_type: str
    lang: str
    score: float
    snippet: str = ""
    snippet_paragraph: int | None = None
    highlights: list[tuple[int, int]] = field(default_factory=list)
    excerpt: str = ""
    summary: Summary | None = None
    cluster_id: str | None = None
    similar: list[StoryMember] = field(default_factory=list)  # the story's other documents (collapsed search)
    similar_count: int = 0  # all of them, when more than are listed
    pages: dict[int, int] | None = None  # paragraph number → page, for documents with pages (PDFs)
    about: bool | None = None  # about the query (else it mentions it): why it is on the page
    aboutness: float | None = None  # its score over the best match's (0..1); ``about`` from ABOUT up


@dataclass(slots=True)
class SearchResult:
    query: str
    total: int
    hits: list[Hit]
    page: int
    limit: int
    sort: str
    match: str  # "all" or "any" (the fallback when no document holds every term)
    took_ms: float = 0.0
    collapsed: bool = False  # one hit per story cluster
    more: bool = False  # a next page has hits
    about: int | None = None  # matching documents about the query (smart sort)
    mentions: int | None = None  # matching documents that only mention it (smart sort: folded, listed on request)
    listing: str = "all"  # which matches the page lists: all, about (smart sort) or mentions
    order: str = "newest"  # newest | relevance: the order of the page
    query_filters: dict[str, list[str]] = field(default_factory=dict)  # filters taken from the query text
    long_query: bool = False  # ranked over most of its words (a pasted headline or sentence)
    notes: list[str] = field(default_factory=list)  # how the query was read, where it may surprise
    mode: str = "keywords"  # keywords | semantic | hybrid: what was searched (the query's own mode when auto)
    translation: dict | None = None  # hybrid: the spans searched in the other language (Translation.as_dict)


@dataclass(slots=True)
class Passage:
    """A paragraph that answers a query, with where it stands: its document and the headings above it."""

    doc_id: str
    external_id: str | None
    title: str
    source: str
    url: str | None
    published_at: datetime | None
    date_only: bool
    doc_type: str
    lang: str
    paragraph: int  # its number n: the document's citation [n]
    page: int | None
    headings: list[str]  # the section headings above it, outermost first
    score: float
    text: str
    highlights: list[tuple[int, int]] = field(default_factory=list)


@dataclass(slots=True)
class PassageResult:
    query: str
    passages: list[Passage]
    documents: int  # documents that match the query (the passages come from the best of them)
    match: str
    took_ms: float = 0.0
    query_filters: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class VectorSource:
    """What a document's vector is made from: its title and lead, and the text version (content_hash)."""

    doc_id: str
    content_hash: str
    text: str


@dataclass(frozen=True, slots=True)
class VectorRow:
    """A document's vector, encoded for the store (``assay.text.embed.pack``)."""

    doc_id: str
    content_hash: str
    vec: bytes


@dataclass(frozen=True, slots=True)
class StoredVector:
    seq: int
    doc_id: str
    vec: bytes


@dataclass(slots=True)
class SavedSearch:
    """A search kept by name: its query, filters (source, doc_type, lang: lists; since, until: dates) and sort."""

    name: str
    query: str
    filters: dict[str, Any] = field(default_factory=dict)
    sort: str = "smart"  # smart | latest | relevance ("newest", from before the smart sort, is latest)
    id: int | None = None
    created_at: datetime | None = None
    mode: str = "auto"  # keywords | hybrid | auto

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "query": self.query,
            "filters": self.filters,
            "sort": self.sort,
            "mode": self.mode,
            "created_at": self.created_at.isoformat() if self.created_at else None,
        }


@dataclass(slots=True)
class ApiKey:
    """An API key as stored: its name and first characters; the key itself is never kept, only its hash."""

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        when = {
            k: v.isoformat() if v else None
            for k, v in (
                ("created_at", self.created_at),
                ("last_used_at", self.last_used_at),
                ("revoked_at", self.revoked_at),
            )
        }
        return {"id": self.id, "name": self.name, "prefix": self.prefix, **when}
