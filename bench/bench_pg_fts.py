"""Design (b) of issue 18's search nodes, measured: PostgreSQL full-text search over the project's own segmented
terms, with the ``rum`` index (Debian's ``postgresql-15-rum``), against design (a), the tantivy index each node
keeps. A benchmark, not a test.

The documents of a store built by bench_postgres.py / bench_ingest.py (``--store``, the SQLite one at 200k) are
read; each one's terms are what the tantivy index holds (``index_terms`` of title and body: rjieba segmentation,
the same analyzer), written as a ``tsvector`` with positions (PostgreSQL's own parser would drop CJK in the C
locale) into a table of a PostgreSQL server of its own, with its time, language and type. One ``rum`` index
(``rum_tsvector_addon_ops``, the time attached) orders by rank or by time inside the index.

For each query of bench_search.py (lookups excepted): the newest 10 (``ORDER BY ts <=> …``), the 10 best by
rank (``ORDER BY tsv <=> q``) and the count of matches (a page states it), timed alternately with the raw
tantivy search of the same index design (top 10 by time and by BM25, with their ids, and the count). p50 / p99
in ms. Also the time to build the table and the index, and their size.

    python bench/bench_pg_fts.py --store /tmp/assay-bench/sqlite-200000
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import bench_search  # noqa: E402
from pg import PgServer  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
MAX_POS = 16383  # tsvector positions stop here, at most 255 a lexeme


def _lexeme(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_text(title: str, body: str) -> str:
    from assay.text.segment import index_terms

    positions: dict[str, list[int]] = {}
    at = 0
    for text in (title, body):
        terms, extra = index_terms(text)
        for t in terms:
            at += 1
            pos = positions.setdefault(t, [])
            if len(pos) < 255:
                pos.append(min(at, MAX_POS))
        for t in extra:  # sub-words: a lexeme, no position of its own
            positions.setdefault(t, [])
    out = []
    for t, pos in positions.items():
        if len(t.encode()) >= 2046:
            continue
        out.append(_lexeme(t) + (":" + ",".join(map(str, dict.fromkeys(pos))) if pos else ""))
    return " ".join(out)


def _row(doc: tuple) -> tuple:
    doc_id, title, body, ts, lang, doc_type = doc
    return doc_id, ts, lang, doc_type, tsvector_text(title, body)


def tsquery(text: str) -> str | None:
    from assay.text.segment import query_terms

    phrase = text.startswith('"') and text.endswith('"')
    terms = query_terms(text.strip('"'))
    if not terms:
        return None
    return (" <-> " if phrase else " & ").join(_lexeme(t) for t in terms)


def build(store_dir: Path, url: str) -> dict:
    import psycopg

    from assay.settings import Settings
    from assay.store import open_store

    store = open_store(Settings(home=store_dir))
    docs = (
        (
            d.id,
            d.title,
            "\n".join(p.text for p in d.paragraphs),
            int(d.published_at.timestamp()) if d.published_at else 0,
            d.lang,
            d.doc_type,
        )
        for d in store.iter_documents()
    )
    t0 = time.perf_counter()
    n = 0
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS rum")
        conn.execute(
            "CREATE TABLE fts (id TEXT PRIMARY KEY, ts BIGINT NOT NULL, lang TEXT, doc_type TEXT, tsv TSVECTOR)"
        )
        with mp.get_context("fork").Pool(2) as pool, conn.cursor() as cur:
            with cur.copy("COPY fts (id, ts, lang, doc_type, tsv) FROM STDIN") as copy:
                for row in pool.imap(_row, docs, chunksize=64):
                    copy.write_row(row)
                    n += 1
        loaded = time.perf_counter() - t0
        t1 = time.perf_counter()
        conn.execute(
            "CREATE INDEX fts_rum ON fts USING rum (tsv rum_tsvector_addon_ops, ts) WITH (attach = 'ts', to = 'tsv')"
        )
        indexed = time.perf_counter() - t1
        conn.execute("VACUUM ANALYZE fts")
        size = conn.execute("SELECT pg_total_relation_size('fts'), pg_relation_size('fts_rum')").fetchone()
    store.close()
    return {
        "documents": n,
        "load_s (segment + COPY)": round(loaded, 1),
        "rum_index_s": round(indexed, 1),
        "table_mb": round(size[0] / 1e6, 1),
        "rum_index_mb": round(size[1] / 1e6, 1),
    }


def compare(store_dir: Path, url: str, reps: int) -> list[dict]:
    """Each query, newest first and by relevance: rum against the exact tantivy call the library makes for it
    (captured from a library search on the same store: its query, filters and sort; hits read with their ids;
    the count when the library asks for one), and the count of matches on both."""
    import psycopg

    from assay.settings import Settings
    from assay.workspace import Workspace

    ws = Workspace(Settings(home=store_dir, summarize_on_ingest=False))
    conn = psycopg.connect(url, autocommit=True)
    rows = []
    for cls, query, kw in bench_search.QUERIES:
        if cls == "lookup" or kw.get("page", 1) > 1:
            continue
        q = tsquery(query)
        if q is None:
            continue
        where, args = "tsv @@ %s::tsquery", [q]
        filters = kw.get("filters") or {}
        if "since" in filters:
            where += " AND ts >= %s"
            args.append(int(time.mktime(time.strptime(filters["since"], "%Y-%m-%d"))))
        for key in ("lang", "doc_type"):
            if key in filters:
                where += f" AND {key} = ANY(%s)"
                args.append(filters[key])
        sqls = {
            "latest": (f"SELECT id FROM fts WHERE {where} ORDER BY ts <=> 4102444800 LIMIT 10", args),
            "relevance": (f"SELECT id FROM fts WHERE {where} ORDER BY tsv <=> %s::tsquery LIMIT 10", [*args, q]),
        }
        count = (f"SELECT count(*) FROM fts WHERE {where}", args)
        for sort, sql in sqls.items():
            searcher = ws.searcher
            index, cap = searcher.index, bench_search._Capture(searcher.index)
            searcher.index = cap
            try:
                result = searcher.search(query, sort=sort, limit=10, filters=bench_search._filters(kw.get("filters")))
            finally:
                searcher.index = index
            tq, ta, tk = cap.calls[-1]

            def rum(sql=sql):
                return conn.execute(*sql).fetchall()

            def rum_and_count(sql=sql):
                return conn.execute(*sql).fetchall(), conn.execute(*count).fetchone()

            def raw(tq=tq, ta=ta, tk=tk):
                return bench_search._raw_with_ids(index, tq, ta, tk)

            t_rum, t_rum_count, t_tantivy = bench_search._time_alternately((rum, rum_and_count, raw), reps, 3)
            row = {
                "class": cls,
                "query": query,
                "sort": sort,
                "filters": filters or None,
                "matches": {"postgres": conn.execute(*count).fetchone()[0], "library": result.total},
            }
            for name, xs in (("rum", t_rum), ("rum + count", t_rum_count), ("tantivy", t_tantivy)):
                row[name] = {"p50": round(statistics.median(xs), 2), "p99": round(bench_search._pct(xs, 99), 2)}
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
    conn.close()
    ws.close()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, default=Path("/tmp/assay-bench/sqlite-200000"))
    ap.add_argument("--reps", type=int, default=30)
    args = ap.parse_args()
    server = PgServer()
    server.start(durable=True)
    try:
        url = server.new_database()
        res = {"build": build(args.store, url)}
        print(json.dumps(res["build"]), flush=True)
        res["queries"] = compare(args.store, url, args.reps)
    finally:
        server.stop()
    OUT.mkdir(exist_ok=True)
    (OUT / "pg_fts.json").write_text(json.dumps(res, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
