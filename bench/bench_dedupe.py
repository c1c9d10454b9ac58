"""Benchmark: near-duplicate signatures + story-cluster assignment at ingest scale, with a baseline.

The corpus is the 200k bench corpus (bench/corpus.py) plus ``--inject`` edited copies of random documents
(a sentence or two dropped, one sentence changed, layout and punctuation changed, another source, a later
date), placed later in the stream than their original. Documents arrive in batches of ``--batch`` as in
ingest. Timed per batch: ``signatures`` (the part the ingest workers do), ``StoryClusters.plan`` and the
plan's writes inside the store transaction (the main process's part). Writing the document rows themselves
is not timed (the ingest pays for it anyway). Reported: documents per second, how many injected copies
landed in their original's cluster, cluster counts, peak memory (RSS) and the size of the cluster tables.

Baseline in the same run: ``datasketch`` MinHash (128 permutations) over the same character shingles, with
an in-memory MinHashLSH (threshold 0.5), inserting and querying each document (no confirmation, nothing
persisted); an injected copy counts as found when the query returns its original.

    python bench/bench_dedupe.py                      # 200k + 1,000 copies → bench/out/dedupe.json
    python bench/bench_dedupe.py --n 20000 --inject 200 --baseline-n 20000
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import itertools
import json
import os
import random
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from corpus import HostProbe, ensure, host_speed, library_version  # noqa: E402

from assay.dedupe.clusters import Incoming, StoryClusters  # noqa: E402
from assay.dedupe.signature import fold_table, normalize, signatures  # noqa: E402
from assay.ingest.records import record_to_document  # noqa: E402
from assay.settings import Settings  # noqa: E402
from assay.store.rows import RowEntry, document_row  # noqa: E402
from assay.store.sqlite import SqliteStore  # noqa: E402

OUT = Path(__file__).resolve().parent / "out" / "dedupe.json"
_SENTENCE = re.compile(r"(?<=[。！？!?.])")
_PUNCT = str.maketrans({"，": ",", "。": ".", "：": ":", "（": "(", "）": ")", "；": ";"})


def edited_copy(rec: dict, rng: random.Random, n: int) -> dict:
    """A copy another outlet might run: some sentences dropped, one changed, punctuation and layout redone."""
    sentences = [s for s in _SENTENCE.split(rec["text"]) if s.strip()]
    drop = set(rng.sample(range(len(sentences)), k=min(len(sentences) // 10, 2))) if len(sentences) > 5 else set()
    kept = [s for i, s in enumerate(sentences) if i not in drop]
    if kept:
        i = rng.randrange(len(kept))
        kept[i] = kept[i][: len(kept[i]) // 2] + "（据报道）" + kept[i][len(kept[i]) // 2 :]
    text = "\n\n".join(" ".join(kept[i : i + 3]) for i in range(0, len(kept), 3)).translate(_PUNCT)
    return {
        "id": f"copy-{n:05d}-of-{rec['id']}",
        "title": (rec.get("title") or "") + "（转载）",
        "text": text,
        "source": "Syndicated copy",
        "published_at": rec.get("published_at"),
        "lang": rec.get("lang"),
    }


def load(path: Path, n: int, inject: int, seed: int) -> tuple[list[dict], dict[str, str]]:
    """The stream of records and, for each injected copy, the id of its original."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        records = [json.loads(line) for line in itertools.islice(f, n)]
    records = [r for r in records if (r.get("text") or "").strip()]  # ingest quarantines the others
    rng = random.Random(seed)
    originals = rng.sample([i for i, r in enumerate(records[: len(records) // 2]) if len(r["text"]) >= 200], inject)
    copies, of = [], {}
    for k, i in enumerate(originals):
        copy = edited_copy(records[i], rng, k)
        of[copy["id"]] = records[i]["id"]
        copies.append((rng.randrange(i + 1, len(records) + 1), copy))
    for pos, copy in sorted(copies, key=lambda x: -x[0]):
        records.insert(pos, copy)
    return records, of


def run_ours(records: list[dict], batch: int, home: Path) -> dict:
    tz = Settings(home=home).tz
    store = SqliteStore(home / "assay.db")
    clusters = StoryClusters(store)
    t0 = time.perf_counter()
    fold_table()  # built once per process (the ingest builds it before forking its workers)
    setup = time.perf_counter() - t0
    t_sig = t_plan = t_write = cpu = 0.0
    host = HostProbe()
    for start in range(0, len(records), batch):
        if start // batch % 10 == 0:
            host.probe()  # not timed
        docs = [record_to_document(r, tz) for r in records[start : start + batch]]
        docs = list({d.id: d for d in docs}.values())
        c0, t0 = time.process_time(), time.perf_counter()
        sigs = signatures([(d.title, d.text) for d in docs])
        t1 = time.perf_counter()
        plan = _plan_batch(clusters, docs, sigs)
        t2 = time.perf_counter()
        c2 = time.process_time()
        spent = _write_batch(store, docs, plan)
        t_sig, t_plan, t_write = t_sig + (t1 - t0), t_plan + (t2 - t1), t_write + spent[0]
        cpu += (c2 - c0) + spent[1]
    n = store.count()
    total = t_sig + t_plan + t_write
    return {
        "documents": n,
        "seconds": {
            "fold_table_once": round(setup, 2),
            "signatures": round(t_sig, 2),
            "plan": round(t_plan, 2),
            "write": round(t_write, 2),
        },
        "docs_per_s": round(n / total),
        "cpu_seconds": round(cpu, 2),
        "cpu_bound_docs_per_s": round(n / cpu),  # what the CPU time allows on an idle core
        "main_process_docs_per_s": round(n / (t_plan + t_write)),
        "host_during_run": host.summary(),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "cluster_tables_mb": _table_mb(store),
        "store": store,
    }


def _signatures_of(texts: list[tuple[str, str]]) -> tuple[list, float]:
    """In the worker: the signatures of a batch's (title, text) pairs, and the CPU time they took."""
    c0 = time.process_time()
    sigs = signatures(texts)
    return sigs, time.process_time() - c0


def _start_worker() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    fold_table()  # built once per process


def run_pipelined(records: list[dict], batch: int, home: Path, ahead: int = 2) -> dict:
    """As the ingest runs it on 2 cores: a worker process makes the signatures of the next batches while
    the main process assigns clusters and writes them. Timed by the wall clock: the whole loop less the time
    the main process spends writing the documents' own rows (the ingest writes them anyway; the worker does
    not need that time: see ``waiting_for_signatures``)."""
    import multiprocessing
    from collections import deque

    tz = Settings(home=home).tz
    store = SqliteStore(home / "assay.db")
    batches = []
    for start in range(0, len(records), batch):
        docs = [record_to_document(r, tz) for r in records[start : start + batch]]
        batches.append(list({d.id: d for d in docs}.values()))
    clusters = StoryClusters(store)
    fold_table()
    texts = [[(d.title, d.text) for d in docs] for docs in batches]
    t_plan = t_write = t_rows = main_cpu = rows_cpu = worker_cpu = waited = 0.0
    # spawned, not forked: a forked child shares the 200k records' pages, and every reference count either
    # process then touches copies a page (the main process ran 45% slower beside a forked worker)
    pool = multiprocessing.get_context("spawn").Pool(1, initializer=_start_worker)
    pool.apply(_signatures_of, ([("", "")],))  # started and warm before the clock starts
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        pending = deque(pool.apply_async(_signatures_of, (texts[k],)) for k in range(min(ahead, len(batches))))
        for k, docs in enumerate(batches):
            w0 = time.perf_counter()
            sigs, spent = pending.popleft().get()
            waited += time.perf_counter() - w0
            worker_cpu += spent
            if k + ahead < len(batches):
                pending.append(pool.apply_async(_signatures_of, (texts[k + ahead],)))
            t1 = time.perf_counter()
            plan = _plan_batch(clusters, docs, sigs)
            t2, c2 = time.perf_counter(), time.process_time()
            spent_write = _write_batch(store, docs, plan)
            t3, c3 = time.perf_counter(), time.process_time()
            t_plan += t2 - t1
            t_write += spent_write[0]
            t_rows += (t3 - t2) - spent_write[0]
            rows_cpu += (c3 - c2) - spent_write[1]
        wall = time.perf_counter() - t0 - t_rows
        main_cpu = time.process_time() - c0 - rows_cpu
    finally:
        pool.close()
        pool.join()
    n = store.count()
    return {
        "mode": "pipelined: signatures in a worker process, clusters in the main process (2 cores)",
        "documents": n,
        "seconds": {
            "wall": round(wall, 2),
            "plan": round(t_plan, 2),
            "write": round(t_write, 2),
            "waiting_for_signatures": round(waited, 2),
            "documents_rows_not_timed": round(t_rows, 2),
        },
        "docs_per_s": round(n / wall),
        "cpu_seconds": {"main": round(main_cpu, 2), "worker": round(worker_cpu, 2)},
        "cpu_bound_docs_per_s": round(n / (main_cpu + worker_cpu)),  # both parts on one core
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "cluster_tables_mb": _table_mb(store),
        "store": store,
    }


def _plan_batch(clusters: StoryClusters, docs: list, sigs: list):
    """The batch's cluster plan; each document's row then carries its cluster, as in the pipeline."""
    incoming = [
        Incoming(d.id, s, d.title, d.source, d.doc_type, _ts(d), _text_of(d)) for d, s in zip(docs, sigs, strict=True)
    ]
    plan = clusters.plan(incoming)
    for d, cluster in zip(docs, plan.cluster_of().values(), strict=True):
        d.cluster_id = cluster
    plan.rows_carry_cluster = True
    return plan


def _write_batch(store: SqliteStore, docs: list, plan) -> tuple[float, float]:
    """Write the documents' rows, then the plan's cluster changes (``write_clusters``: in ingest they share the
    rows' transaction); returns the changes' own (wall, CPU) seconds, their commit included (the rows
    themselves are not part of the measure)."""
    store.write_rows([RowEntry(d.id, d.content_hash, d.external_id, document_row(d)) for d in docs])
    w0, wc = time.perf_counter(), time.process_time()
    store.write_clusters(plan.changes())
    return time.perf_counter() - w0, time.process_time() - wc


def _ts(doc) -> int | None:
    return int(doc.published_at.timestamp()) if doc.published_at else None


def _text_of(doc):
    """The body, made only if clustering asks for it (as the ingest's ``_body``)."""
    return lambda: doc.text


def _table_mb(store: SqliteStore) -> dict[str, float] | None:
    try:
        rows = store.db.execute(
            "SELECT name, SUM(pgsize) FROM dbstat WHERE name IN ('dupe_signatures', 'dupe_bands', 'clusters',"
            " 'cluster_members', 'dupe_signatures_exact', 'cluster_members_cluster', 'documents_cluster',"
            " 'sqlite_autoindex_dupe_signatures_1', 'sqlite_autoindex_cluster_members_1',"
            " 'sqlite_autoindex_clusters_1', 'clusters_size') GROUP BY name"
        ).fetchall()
    except Exception:  # dbstat is an optional SQLite module
        return None
    return {name: round(size / 1e6, 1) for name, size in rows}


def injected_found(store: SqliteStore, of: dict[str, str]) -> int:
    ids = list(of) + list(of.values())
    cluster = {}
    for i in range(0, len(ids), 900):
        chunk = ids[i : i + 900]
        marks = ",".join("?" * len(chunk))
        sql = (
            "SELECT e.external_id, d.cluster_id FROM external_ids e JOIN documents d ON d.id = e.doc_id"
            f" WHERE e.external_id IN ({marks})"
        )
        cluster.update(dict(store.db.execute(sql, chunk).fetchall()))
    return sum(1 for copy, orig in of.items() if cluster.get(copy) and cluster.get(copy) == cluster.get(orig))


def cluster_counts(store: SqliteStore) -> dict:
    row = store.db.execute(
        "SELECT COUNT(*), SUM(size >= 2), SUM(CASE WHEN size >= 2 THEN size END), MAX(size) FROM clusters"
    )
    total, multi, docs, largest = row.fetchone()
    sizes = store.db.execute("SELECT size FROM clusters ORDER BY size DESC LIMIT 5").fetchall()
    kinds = dict(store.db.execute("SELECT kind, COUNT(*) FROM cluster_members GROUP BY kind").fetchall())
    return {
        "clusters": total,
        "with_copies": multi,
        "docs_in_them": docs,
        "largest": [s[0] for s in sizes],
        "joined_as": kinds,
    }


def baseline(records: list[dict], of: dict[str, str], tz) -> dict:
    """datasketch over the same shingles; the document conversion is done before timing."""
    from datasketch import MinHash, MinHashLSH

    texts = []
    for r in records:
        doc = record_to_document(r, tz)
        texts.append((r["id"], normalize(doc.title, doc.text)))
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    found = 0
    t0 = time.perf_counter()
    for key, norm in texts:
        shingles = [norm[i : i + 5].encode() for i in range(max(1, len(norm) - 4))]
        m = MinHash(num_perm=128)
        m.update_batch(shingles)
        if key in of and of[key] in lsh.query(m):
            found += 1
        lsh.insert(key, m, check_duplication=False)
    seconds = time.perf_counter() - t0
    return {
        "documents": len(texts),
        "seconds": round(seconds, 2),
        "docs_per_s": round(len(texts) / seconds),
        "found": found,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--inject", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--baseline-n", type=int, default=200_000, help="documents the baseline runs over (0: none)")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--corpus", type=Path, help="a corpus file to read the first --n records of (default: built)")
    ap.add_argument("--keep", type=Path, help="build the store in this (new) directory and keep it")
    ap.add_argument(
        "--pipelined", action="store_true", help="signatures in a worker process beside the clustering (as ingest)"
    )
    args = ap.parse_args()
    load_before = os.getloadavg()[0]
    records, of = load(args.corpus or ensure(args.n), args.n, args.inject, args.seed)
    if args.keep:
        args.keep.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="assay-dedupe-") as scratch:
        tmp = args.keep or scratch
        ours = (run_pipelined if args.pipelined else run_ours)(records, args.batch, Path(tmp))
        store = ours.pop("store")
        ours["injected_found"] = injected_found(store, of)
        ours["injected"] = len(of)
        ours["clusters"] = cluster_counts(store)
        store.close()
    print(f"assay: {json.dumps(ours, ensure_ascii=False)}", file=sys.stderr)
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "library": library_version(),
        "n": args.n,
        "batch": args.batch,
        "load_before": round(load_before, 2),
        "host_speed": host_speed(),
        "assay": ours,
    }
    if args.baseline_n and importlib.util.find_spec("datasketch") is None:
        print("baseline skipped: `pip install datasketch` to run it", file=sys.stderr)
    elif args.baseline_n:
        subset = records[: args.baseline_n]
        sub_of = {c: o for c, o in of.items() if c in {r["id"] for r in subset}}
        base = baseline(subset, sub_of, Settings().tz)
        base["injected"] = len(sub_of)
        result["baseline_datasketch"] = base
        print(f"datasketch: {json.dumps(base)}", file=sys.stderr)
    result["load_after"] = round(os.getloadavg()[0], 2)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
