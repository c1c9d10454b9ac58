"""Ingest into PostgreSQL against SQLite, in one run: a benchmark, not a test (issue 18).

A PostgreSQL server of its own (tests/pg.py: initdb in a temporary directory, loopback, PostgreSQL's durable
defaults: fsync and synchronous commit on) gets the same generated corpus as bench_ingest.py, once per number
of ingest worker processes (1, 2, 4), each into a fresh database; SQLite gets it once, in the same run, with
the library's default workers. For each run: documents/s (wall, the index merges included) and CPU per
document of the ingest's main process, its workers and the PostgreSQL server (every process of its user),
and the main process's time inside the store's batch writes (``write_rows``): the part that is serialized
across machines (one advisory lock), whose inverse bounds the documents/s of any number of ingesting
machines.

Then search: the queries of bench_search.py, every sort, through the library on the store ingested with two
workers against the SQLite one, timed alternately (the same tantivy index design on both: only the cards,
summaries and stories are read from PostgreSQL); p50 / p99 and whether both give the same page.

    python bench/bench_postgres.py                 # 200,000 documents
    python bench/bench_postgres.py --corpus assay/demo/corpus.jsonl.gz --workers 2   # a quick look

Writes bench/out/postgres.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import bench_ingest  # noqa: E402
import bench_search  # noqa: E402
import corpus  # noqa: E402
from pg import PgServer  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"


def _line(name: str, r: dict, pg_cpu: float | None) -> dict:
    docs = r["docs"]
    row = {
        "store": name,
        "workers": r["workers"],
        "docs": docs,
        "wall_s": r["wall_s"],
        "docs_per_s": r["docs_per_s"],
        "cpu_ms_per_doc": {
            "main": round(r["cpu_s"]["main"] * 1000 / docs, 3),
            "workers": round(r["cpu_s"]["workers"] * 1000 / docs, 3),
        },
        "write_rows_ms_per_doc": round(r["main_s"].get("write_rows", 0.0) * 1000 / docs, 3),
        # the part of each write serialized across writers (the cluster plan, the change log, the commit), as
        # the store measures it; older code had no such figure: its whole write_rows stands in
        "serialized_ms_per_doc": round(
            r["main_s"].get("serialized", r["main_s"].get("write_rows", 0.0)) * 1000 / docs, 4
        ),
    }
    if pg_cpu is not None:
        row["cpu_ms_per_doc"]["postgres"] = round(pg_cpu * 1000 / docs, 3)
    row["serialized_ceiling_docs_per_s"] = (
        round(1000 / row["serialized_ms_per_doc"]) if row["serialized_ms_per_doc"] else None
    )
    return row


def search_compare(pg_home: Path, url: str, lite_home: Path, reps: int) -> list[dict]:
    """bench_search's queries on both stores, alternately: p50 / p99 and the same page or not."""
    import statistics

    from assay.settings import Settings
    from assay.workspace import Workspace

    pg = Workspace(Settings(home=pg_home, database_url=url, summarize_on_ingest=False))
    lite = Workspace(Settings(home=lite_home, summarize_on_ingest=False))
    rows = []
    try:
        for cls, query, kw in bench_search.QUERIES:
            for sort in ("latest", "smart", "relevance"):
                args = {"sort": sort, "limit": 10, "page": kw.get("page", 1)}
                args["filters"] = bench_search._filters(kw.get("filters"))
                a, b = pg.searcher.search(query, **args), lite.searcher.search(query, **args)
                same = [h.id for h in a.hits] == [h.id for h in b.hits] and a.total == b.total
                t_pg, t_lite = bench_search._time_alternately(
                    (lambda: pg.searcher.search(query, **args), lambda: lite.searcher.search(query, **args)),  # noqa: B023
                    reps,
                    5,
                )
                row = {"class": cls, "query": query, "sort": sort, "same_page": same}
                for name, xs in (("postgres", t_pg), ("sqlite", t_lite)):
                    row[name] = {"p50": round(statistics.median(xs), 2), "p99": round(bench_search._pct(xs, 99), 2)}
                rows.append(row)
                print(
                    f"  {cls:<7}{query[:20]:<22}{sort:<10} postgres {row['postgres']['p50']:>7} / "
                    f"{row['postgres']['p99']:>7}  sqlite {row['sqlite']['p50']:>7} / {row['sqlite']['p99']:>7}"
                    f"  same page: {same}",
                    flush=True,
                )
    finally:
        pg.close()
        lite.close()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--workers", type=int, action="append", help="ingest workers for PostgreSQL (default 1, 2, 4)")
    ap.add_argument("--corpus", type=Path, help="a JSONL(.gz) to ingest instead of the generated corpus")
    ap.add_argument("--reps", type=int, default=50, help="repetitions of each search")
    ap.add_argument("--no-search", action="store_true", help="ingest only")
    args = ap.parse_args()
    src = args.corpus or corpus.ensure(args.n)
    res: dict = {"date": time.strftime("%Y-%m-%dT%H:%M:%S"), "library": corpus.library_version(), "n": args.n}
    rows = []
    server = PgServer()
    server.start(durable=True)
    homes: dict[int, tuple[Path, str]] = {}
    try:
        for workers in args.workers or [1, 2, 4]:
            url = server.new_database()
            home = corpus.CACHE / f"pg-{args.n}-w{workers}"
            before = server.cpu_seconds()
            r = bench_ingest.run_assay(src, home, workers, True, database_url=url)
            rows.append(_line("postgres", r, server.cpu_seconds() - before))
            homes[workers] = (home, url)
            print(json.dumps(rows[-1]), flush=True)
        lite_home = corpus.CACHE / f"sqlite-{args.n}"
        r = bench_ingest.run_assay(src, lite_home, 0, True)
        rows.append(_line("sqlite", r, None))
        print(json.dumps(rows[-1]), flush=True)
        pg_home, url = homes.get(2) or next(iter(homes.values()))
        if not args.no_search:
            print("search, ms (p50 / p99):", flush=True)
            res["search"] = search_compare(pg_home, url, lite_home, args.reps)
    finally:
        server.stop()
    res["runs"] = rows
    lite = rows[-1]["wall_s"]
    for row in rows[:-1]:
        row["wall_vs_sqlite"] = round(row["wall_s"] / lite, 2)
    OUT.mkdir(exist_ok=True)
    (OUT / "postgres.json").write_text(json.dumps(res, indent=2))
    print(f"→ {OUT / 'postgres.json'}")


if __name__ == "__main__":
    main()
