"""Schema migrations, applied in order inside one transaction each. Never edit a released step: add one."""

from __future__ import annotations

from .ingest_queue import INGEST_QUEUE_SCHEMA
from .queue import QUEUE_SCHEMA

MIGRATIONS: list[str] = [
    # 1: documents, their paragraphs (JSON, in reading order), external ids, summaries, change log, quarantine
    """
    CREATE TABLE documents (
        id TEXT PRIMARY KEY,
        external_id TEXT,
        title TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT '',
        url TEXT,
        published_at TEXT,
        published_ts INTEGER,
        date_only INTEGER NOT NULL DEFAULT 0,
        doc_type TEXT NOT NULL,
        lang TEXT NOT NULL,
        institution TEXT,
        symbols TEXT NOT NULL DEFAULT '[]',
        tags TEXT NOT NULL DEFAULT '[]',
        content_hash TEXT NOT NULL,
        cluster_id TEXT,
        n_paragraphs INTEGER NOT NULL,
        paragraphs TEXT NOT NULL,
        ingested_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE sources (
        source TEXT PRIMARY KEY
    );
    CREATE TABLE external_ids (
        external_id TEXT PRIMARY KEY,
        doc_id TEXT NOT NULL
    );
    CREATE INDEX external_ids_doc ON external_ids(doc_id);
    CREATE TABLE summaries (
        content_hash TEXT NOT NULL,
        backend TEXT NOT NULL,
        template_version INTEGER NOT NULL,
        doc_id TEXT NOT NULL,
        data TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (content_hash, backend, template_version)
    );
    CREATE TABLE changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        doc_id TEXT NOT NULL
    );
    CREATE TABLE quarantine (
        id INTEGER PRIMARY KEY,
        input TEXT NOT NULL,
        reason TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        blob_path TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (input, sha256)
    );
    """,
    # 2: API keys (only a SHA-256 of each key is kept) and saved searches (name, query, filters as JSON)
    """
    CREATE TABLE api_keys (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        prefix TEXT NOT NULL,
        key_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at TEXT
    );
    CREATE TABLE saved_searches (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        query TEXT NOT NULL,
        filters TEXT NOT NULL DEFAULT '{}',
        sort TEXT NOT NULL DEFAULT 'newest',
        created_at TEXT NOT NULL
    );
    """,
    # 3: the summary queue (see queue.py)
    QUEUE_SCHEMA,
    # 4: the verifier's counts per summary (the bullets' checks, also in the JSON), for stats
    """
    ALTER TABLE summaries ADD COLUMN supported INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE summaries ADD COLUMN unsupported INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE summaries ADD COLUMN unchecked INTEGER NOT NULL DEFAULT 0;
    """,
    # files a folder ingest finished (see assay/ingest/ledger.py): an interrupted ingest resumes after them
    """
    CREATE TABLE files (
        path TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        status TEXT NOT NULL,
        doc_id TEXT,
        reason TEXT,
        updated_at TEXT NOT NULL
    );
    """,
    # story clusters (see assay/dedupe): each document's signature (exact key, size, LSH band keys as int64s),
    # the clusters of two or more documents with their representative, and how each later member joined
    """
    CREATE TABLE dupe_signatures (
        n INTEGER PRIMARY KEY AUTOINCREMENT,
        doc_id TEXT NOT NULL UNIQUE,
        exact TEXT NOT NULL,
        size INTEGER NOT NULL,
        published_ts INTEGER,
        bands BLOB NOT NULL
    );
    CREATE INDEX dupe_signatures_exact ON dupe_signatures(exact);
    CREATE TABLE clusters (
        id TEXT PRIMARY KEY,
        representative TEXT NOT NULL,
        size INTEGER NOT NULL,
        rep_ts INTEGER,
        rep_size INTEGER NOT NULL
    );
    CREATE INDEX clusters_size ON clusters(size);
    CREATE TABLE cluster_members (
        doc_id TEXT PRIMARY KEY,
        cluster_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        matched TEXT,
        similarity REAL
    );
    CREATE INDEX documents_cluster ON documents(cluster_id);
    """,
    # web sources (feeds, page URLs) and the pages fetched from them, with their validators (see web.py)
    """
    CREATE TABLE web_sources (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,
        name TEXT,
        doc_type TEXT,
        kind TEXT,
        etag TEXT,
        last_modified TEXT,
        added_at TEXT NOT NULL,
        fetched_at TEXT,
        status TEXT
    );
    CREATE TABLE web_pages (
        url TEXT PRIMARY KEY,
        source_id INTEGER,
        state TEXT NOT NULL,
        doc_id TEXT,
        etag TEXT,
        last_modified TEXT,
        author TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        first_seen_at TEXT NOT NULL,
        fetched_at TEXT
    );
    CREATE INDEX web_pages_source ON web_pages(source_id, state);
    """,
    # near-duplicate sketches (assay/dedupe/signature.py): distinct shingles and the low 16 bits of each MinHash
    # value, so that clustering compares texts only when the sketches cannot tell; NULL for older signatures
    """
    ALTER TABLE dupe_signatures ADD COLUMN shingles INTEGER;
    ALTER TABLE dupe_signatures ADD COLUMN sketch BLOB;
    """,
    # near-duplicate signatures are one-permutation MinHash now (assay/dedupe/signature.py), whose band keys and
    # sketches do not match rensa's: the signatures and clusters made before are dropped, and the next ingest
    # (or `assay dupes --rebuild`) clusters the store again (``StoryClusters.catch_up``)
    """
    DELETE FROM dupe_signatures;
    DELETE FROM cluster_members;
    DELETE FROM clusters;
    UPDATE documents SET cluster_id = NULL WHERE cluster_id IS NOT NULL;
    """,
    # a saved search keeps its mode (keywords | hybrid | auto: assay/search/translate.py)
    """
    ALTER TABLE saved_searches ADD COLUMN mode TEXT NOT NULL DEFAULT 'auto';
    """,
    # document vectors for semantic search (assay/text/embed.py): one per document and model, of the text
    # whose content_hash it was made from; seq grows with every write, so a vector index follows it
    """
    CREATE TABLE vectors (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        doc_id TEXT NOT NULL,
        model TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        vec BLOB NOT NULL,
        UNIQUE (doc_id, model)
    );
    """,
    # each full-text index that follows the change log (one per search node) and how far it has read: the log
    # is pruned only below the slowest of them
    """
    CREATE TABLE index_cursors (
        node TEXT PRIMARY KEY,
        seq BIGINT NOT NULL,
        updated_at TEXT NOT NULL
    );
    """,
    # the ingest queue (assay/store/ingest_queue.py): chunks of inputs that workers on any machine write
    INGEST_QUEUE_SCHEMA,
]

# the migration that dropped the older MinHash signatures and their clusters (tests replay it on a store)
SIGNATURE_CHANGE = next(i for i, m in enumerate(MIGRATIONS) if "DELETE FROM dupe_signatures" in m)
