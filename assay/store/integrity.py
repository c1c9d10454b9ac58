"""Consistency of the store and the full-text index, as a list of problems (empty when all is well).

Checked: every document row is whole (its paragraph count matches its paragraphs, each paragraph has
text, and the content hash recomputed from title and paragraphs is the one stored: no half-written
document); the index holds exactly the store's document ids, once each; every file the folder ledger
marks done names a stored document. The crash tests run this after every SIGKILL.
"""

from __future__ import annotations

import sqlite3
from collections import Counter

from ..model import content_hash
from .sqlite import SqliteStore, _paragraphs_from


def check_integrity(store: SqliteStore, index=None, limit: int = 20) -> list[str]:
    problems = _documents(store, limit)
    if index is not None:
        problems += _index(store, index, limit)
    problems += _files(store, limit)
    return problems


def _documents(store: SqliteStore, limit: int) -> list[str]:
    problems: list[str] = []
    with store._lock:
        rows = store.db.execute("SELECT id, title, n_paragraphs, paragraphs, content_hash FROM documents").fetchall()
    for doc_id, title, n, data, chash in rows:
        try:
            paragraphs = _paragraphs_from(data)
        except (ValueError, TypeError, IndexError) as exc:
            problems.append(f"document {doc_id}: unreadable paragraphs ({exc})")
            continue
        if len(paragraphs) != n or n == 0:
            problems.append(f"document {doc_id}: {len(paragraphs)} paragraphs stored, {n} expected")
        elif any(not p.text for p in paragraphs):
            problems.append(f"document {doc_id}: an empty paragraph")
        elif content_hash(title, paragraphs) != chash:
            problems.append(f"document {doc_id}: content does not match its hash")
        if len(problems) >= limit:
            break
    return problems


def index_ids(index) -> list[str]:
    """Every id in the (committed) index, duplicates included."""
    import tantivy

    index.index.reload()
    searcher = index.searcher()
    n = searcher.num_docs
    if n == 0:
        return []
    hits = searcher.search(tantivy.Query.all_query(), limit=n).hits
    return [searcher.doc(addr)["id"][0] for _, addr in hits]


def _index(store: SqliteStore, index, limit: int) -> list[str]:
    ids = index_ids(index)
    counts = Counter(ids)
    stored = store.all_ids()
    problems = [f"index holds {i} {c} times" for i, c in counts.items() if c > 1][:limit]
    missing = sorted(stored - counts.keys())
    extra = sorted(counts.keys() - stored)
    if missing:
        problems.append(f"{len(missing)} stored documents missing from the index, e.g. {missing[:3]}")
    if extra:
        problems.append(f"{len(extra)} indexed documents not in the store, e.g. {extra[:3]}")
    if len(ids) != len(stored):
        problems.append(f"index has {len(ids)} documents, store {len(stored)}")
    return problems


def _files(store: SqliteStore, limit: int) -> list[str]:
    with store._lock:
        try:
            rows = store.db.execute(
                "SELECT path, doc_id FROM files WHERE status = 'done'"
                " AND doc_id NOT IN (SELECT id FROM documents) LIMIT ?",
                (limit,),
            ).fetchall()
        except sqlite3.OperationalError:  # a store from before the files table
            return []
    return [f"file {path} marked done, but its document {doc_id} is not stored" for path, doc_id in rows]
