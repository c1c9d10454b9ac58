"""Ingest into PostgreSQL against SQLite, in one run: a benchmark, not a test (issue 18).

A PostgreSQL server of its own (tests/pg.py: initdb in a temporary directory, loopback, PostgreSQL's durable
defaults: fsync and synchronous commit on) gets the same generated corpus as bench_ingest.py, once per number
of ingest worker processes (1, 2, 4), each into a fresh database; SQLite gets it once, in the same run, with
the library's default workers. For each run: documents/s (wall, the index merges included) and CPU per
document of the ingest's main process, its workers and the PostgreSQL server (every process of its user),
and the main process's time inside the store's batch writes (``write_rows``): the part that is serialized
across machines (one advisory lock), whose inverse bounds the documents/s of any number of ingesting
machines.

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
    }
    if pg_cpu is not None:
        row["cpu_ms_per_doc"]["postgres"] = round(pg_cpu * 1000 / docs, 3)
    row["serialized_ceiling_docs_per_s"] = (
        round(1000 / row["write_rows_ms_per_doc"]) if row["write_rows_ms_per_doc"] else None
    )
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--workers", type=int, action="append", help="ingest workers for PostgreSQL (default 1, 2, 4)")
    ap.add_argument("--corpus", type=Path, help="a JSONL(.gz) to ingest instead of the generated corpus")
    args = ap.parse_args()
    src = args.corpus or corpus.ensure(args.n)
    res: dict = {"date": time.strftime("%Y-%m-%dT%H:%M:%S"), "library": corpus.library_version(), "n": args.n}
    rows = []
    server = PgServer()
    server.start(durable=True)
    try:
        for workers in args.workers or [1, 2, 4]:
            url = server.new_database()
            before = server.cpu_seconds()
            r = bench_ingest.run_assay(src, corpus.CACHE / f"pg-{args.n}-w{workers}", workers, True, database_url=url)
            rows.append(_line("postgres", r, server.cpu_seconds() - before))
            print(json.dumps(rows[-1]), flush=True)
    finally:
        server.stop()
    r = bench_ingest.run_assay(src, corpus.CACHE / f"sqlite-{args.n}", 0, True)
    rows.append(_line("sqlite", r, None))
    print(json.dumps(rows[-1]), flush=True)
    res["runs"] = rows
    lite = rows[-1]["wall_s"]
    for row in rows[:-1]:
        row["wall_vs_sqlite"] = round(row["wall_s"] / lite, 2)
    OUT.mkdir(exist_ok=True)
    (OUT / "postgres.json").write_text(json.dumps(res, indent=2))
    print(f"→ {OUT / 'postgres.json'}")


if __name__ == "__main__":
    main()
