"""Search benchmark: latency of the library call against the raw engine, in one run.

For each query and each sort (``latest``: every match newest first, the default before the smart sort;
``smart``: newest first among the documents about the query, the default; ``relevance``) it times
``Workspace(settings).searcher.search(query, sort=..., limit=10)``
(parse, build the tantivy query, search, group the top documents into stories, fetch documents and summaries
from SQLite, snippets, the stories' other members) and the raw
engine: the very tantivy query object and arguments the library passed (captured from its first call),
run as ``index.searcher().search(q, 10, ...)`` — no parsing, no hit assembly. The two are timed
alternately. Reported: p50 / p99 in ms, ours / raw, the extra ms over raw (p50), the hit count (which
shows the query's frequency class), the mean time of the library's stages (engine: the query built, and
for the smart sort its search; stories: cluster lookups; cards: documents and summaries in one query
(cards_sql) + snippets; similar: the stories' members; lookup, inside engine: a pasted text's best matches
read and reordered), and the peak RSS of this process.

    python bench/bench_search.py                                  # reuses /tmp/assay-bench/store-200000
    python bench/bench_search.py --data-dir DIR --reps 300        # any existing data dir

Then the smart sort's cost over latest (p50, the same query, in the same run), and passage search
(``searcher.passages(query, limit=10)``: the paragraphs that best answer the query, for /api/passages) p50 / p99.

Targets: p50 ≤ 5 ms, p99 ≤ 25 ms, within 3× of the raw engine; smart ≤ latest + 3 ms (p50). Writes
bench/out/search.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # measure this checkout, not an installed assay
import bench_ingest  # noqa: E402
import corpus  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"

# (class, query, search keyword arguments); the class is what the query is meant to be, the hit count
# printed next to it shows what it is on the corpus.
QUERIES = [
    ("common", "发展", {}),
    ("common", "中国", {}),
    ("common", "said", {}),
    ("mid", "稀土", {}),
    ("mid", "人工智能", {}),
    ("mid", "oil", {}),
    ("rare", "鲸头鹳", {}),
    ("rare", "鄂温克", {}),
    ("rare", "tungsten", {}),
    ("and", "经济 发展", {}),
    ("and", "稀土 出口", {}),
    ("and", "oil prices", {}),
    ("phrase", '"出口管制"', {}),
    ("phrase", '"interest rates"', {}),
    ("filter", "中国", {"filters": {"since": "2025-01-01"}}),
    ("filter", "发展", {"filters": {"lang": ["zh"], "doc_type": ["news"]}}),
    ("page2", "中国", {"page": 2}),
    ("page2", "稀土", {"page": 2}),
    # pasted text (a long query: relevance order, its best matches reordered by the text they hold, for
    # smart and relevance; latest lists every match by time)
    ("lookup", "世卫组织：全球累计新冠确诊病例达3.5695亿例", {}),
    ("lookup", "国家网信办发布互联网信息服务深度合成管理规定征求意见稿", {}),
    ("lookup", "美联储为什么加息以及对A股有什么影响", {}),
    ("lookup", "Oil prices rose after OPEC agreed to cut production in March", {}),
]


def _filters(spec: dict | None):
    from assay.search.engine import Filters

    if not spec:
        return None
    spec = dict(spec)
    for key in ("since", "until"):
        if key in spec:
            spec[key] = datetime.fromisoformat(spec[key]).replace(tzinfo=UTC)
    return Filters(**spec)


class _Capture:
    """Wraps the index so the next ``searcher().search(...)`` call's arguments are recorded."""

    def __init__(self, index):
        self.index, self.calls = index, []

    def searcher(self):
        real, calls = self.index.searcher(), self.calls

        class Proxy:
            def __getattr__(self, name):
                return getattr(real, name)

            def search(self, query, *args, **kwargs):
                calls.append((query, args, kwargs))
                return real.search(query, *args, **kwargs)

        return Proxy()

    def __getattr__(self, name):
        return getattr(self.index, name)


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def _time_alternately(fns, reps: int, warmup: int) -> list[list[float]]:
    """Time the calls in turn, so load from elsewhere on the machine hits them alike."""
    for _ in range(warmup):
        for fn in fns:
            fn()
    outs: list[list[float]] = [[] for _ in fns]
    for _ in range(reps):
        for fn, out in zip(fns, outs, strict=True):
            t = time.perf_counter()
            fn()
            out.append((time.perf_counter() - t) * 1000)
    return outs


def _raw_with_ids(index, q, a, k):
    """The raw engine's top-k as a user of tantivy gets it: the search, then each hit's stored id."""
    searcher = index.searcher()
    res = searcher.search(q, *a, **k)
    return [searcher.doc(addr)["id"][0] for _, addr in res.hits]


def _stage_timers(ws) -> dict[str, list[float]]:
    """Wrap the searcher's stages (instance attributes only) to see where the library's time goes."""
    spent: dict[str, list[float]] = {}
    for obj, name, label in (
        (ws.searcher, "_rank", "engine"),  # build the query (the smart sort: and its one tantivy search)
        (ws.searcher, "_lookup", "lookup"),  # a long query's best matches read and reordered (within engine)
        (ws.searcher, "_group", "stories"),  # the top documents' story clusters (collapsed search)
        (ws.searcher, "_hits", "cards"),  # documents + summaries (one query), snippets, excerpts
        (ws.store, "cards", "cards_sql"),
        (ws.searcher, "_attach_similar", "similar"),  # the other members of the shown stories
    ):
        fn = getattr(obj, name, None)
        if fn is None:
            continue

        def wrapper(*a, _fn=fn, _acc=spent.setdefault(label, []), **kw):
            t = time.perf_counter()
            try:
                return _fn(*a, **kw)
            finally:
                _acc.append((time.perf_counter() - t) * 1000)

        setattr(obj, name, wrapper)
    return spent


def _label(query: str, args: dict) -> str:
    return query + (" p2" if args["page"] > 1 else "") + (" +filter" if args["filters"] else "")


def bench(ws, reps: int, warmup: int) -> list[dict]:
    rows = []
    stages = _stage_timers(ws)
    searcher = ws.searcher
    for cls, query, kw in QUERIES:
        for sort in ("latest", "smart", "relevance"):
            args = {"sort": sort, "limit": 10, "page": kw.get("page", 1), "filters": _filters(kw.get("filters"))}
            index, cap = searcher.index, _Capture(searcher.index)
            searcher.index = cap
            try:
                result = searcher.search(query, **args)
            finally:
                searcher.index = index
            q, a, k = cap.calls[-1]  # the last tantivy call is the one whose hits were used
            for v in stages.values():
                v.clear()
            ours, raw, raw_ids = _time_alternately(
                (
                    lambda: searcher.search(query, **args),  # noqa: B023
                    lambda: index.searcher().search(q, *a, **k),  # noqa: B023
                    lambda: _raw_with_ids(index, q, a, k),  # noqa: B023
                ),
                reps,
                warmup,
            )
            row = {
                "class": cls,
                "query": query,
                "sort": sort,
                "page": args["page"],
                "filters": kw.get("filters"),
                "hits": result.total,
                "match": result.match,
                "p50_ms": round(statistics.median(ours), 2),
                "p99_ms": round(_pct(ours, 99), 2),
                "raw_p50_ms": round(statistics.median(raw), 3),
                "raw_p99_ms": round(_pct(raw, 99), 3),
                "raw_ids_p50_ms": round(statistics.median(raw_ids), 3),
                "window": a[0] if a else None,
            }
            row["ratio_p50"] = round(row["p50_ms"] / max(row["raw_p50_ms"], 1e-3), 1)
            row["ratio_ids_p50"] = round(row["p50_ms"] / max(row["raw_ids_p50_ms"], 1e-3), 1)
            row["overhead_p50_ms"] = round(row["p50_ms"] - row["raw_p50_ms"], 2)
            row["stage_mean_ms"] = {k: round(sum(v) / (reps + warmup), 2) for k, v in stages.items() if v}
            rows.append(row)
            print(
                f"{cls:<7}{_label(query, args):<22}{sort:<10}{result.total:>7}{row['p50_ms']:>7}"
                f"{row['p99_ms']:>7}{row['raw_p50_ms']:>8}{row['raw_p99_ms']:>8}{row['raw_ids_p50_ms']:>8}"
                f"{row['ratio_p50']:>7}{row['ratio_ids_p50']:>7}{row['overhead_p50_ms']:>7}  "
                + " ".join(f"{k} {v}" for k, v in row["stage_mean_ms"].items()),
                flush=True,
            )
    return rows


PASSAGE_QUERIES = ["稀土 出口", "人工智能", "美联储为什么加息", "oil prices", "锂电池 产能 过剩"]


def bench_passages(ws, reps: int, warmup: int) -> list[dict]:
    rows = []
    for query in PASSAGE_QUERIES:
        (times,) = _time_alternately((lambda: ws.searcher.passages(query, limit=10),), reps, warmup)  # noqa: B023
        found = ws.searcher.passages(query, limit=10)
        row = {
            "query": query,
            "documents": found.documents,
            "passages": len(found.passages),
            "p50_ms": round(statistics.median(times), 2),
            "p99_ms": round(_pct(times, 99), 2),
        }
        rows.append(row)
        print(f"passages  {query:<22}{found.documents:>7}{row['p50_ms']:>7}{row['p99_ms']:>7}", flush=True)
    return rows


def smart_cost(rows: list[dict]) -> list[dict]:
    """The smart sort's p50 over latest's, query by query (both timed in this run)."""
    out = []
    for r in rows:
        if r["sort"] != "smart":
            continue
        base = next(x for x in rows if x["sort"] == "latest" and _same(x, r))
        out.append({"query": _label(r["query"], r), "extra_p50_ms": round(r["p50_ms"] - base["p50_ms"], 2)})
    return out


def _same(a: dict, b: dict) -> bool:
    return (a["query"], a["page"], json.dumps(a["filters"])) == (b["query"], b["page"], json.dumps(b["filters"]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200_000, help="corpus size when the store must be built")
    ap.add_argument("--data-dir", type=Path, help="an existing data dir (default: bench_ingest's, built if missing)")
    ap.add_argument("--reps", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=20)
    args = ap.parse_args()

    from assay.settings import Settings
    from assay.workspace import Workspace

    data_dir = args.data_dir or bench_ingest.default_data_dir(args.n)
    if not (data_dir / "assay.db").exists():
        print(f"no store at {data_dir}: building it from the {args.n:,}-document corpus", file=sys.stderr)
        bench_ingest.run_assay(corpus.ensure(args.n), data_dir, workers=0, summaries=True)

    load0 = os.getloadavg()[0]  # 1-minute load average: other work on the machine skews the figures
    t = time.perf_counter()
    ws = Workspace(Settings(home=data_dir))
    open_ms = (time.perf_counter() - t) * 1000
    docs = ws.index.num_docs()
    rss_open = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{data_dir}: {docs:,} documents, opened in {open_ms:.0f} ms; "
        f"{args.reps} reps after {args.warmup} warm-up; times in ms\n"
    )
    print(
        f"{'class':<7}{'query':<22}{'sort':<10}{'hits':>7}{'p50':>7}{'p99':>7}{'raw p50':>8}{'raw p99':>8}"
        f"{'+ids':>8}{'ratio':>7}{'r+ids':>7}{'extra':>7}  mean per stage (ours)"
    )
    rows = bench(ws, args.reps, args.warmup)
    print(f"\n{'':10}{'query':<22}{'docs':>7}{'p50':>7}{'p99':>7}")
    passages = bench_passages(ws, args.reps, args.warmup)
    ws.close()
    extra = smart_cost(rows)
    print(
        "\nsmart − latest (p50, ms): "
        + ", ".join(f"{e['query']} {e['extra_p50_ms']:+.2f}" for e in extra)
        + f"; worst {max(e['extra_p50_ms'] for e in extra):+.2f} (target ≤ +3)"
    )

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    keys = ("p50_ms", "p99_ms", "ratio_p50", "ratio_ids_p50", "overhead_p50_ms")
    worst = {k: max(r[k] for r in rows) for k in keys}
    print(
        f"\nworst p50 {worst['p50_ms']} ms, worst p99 {worst['p99_ms']} ms, worst ours/raw (p50) "
        f"{worst['ratio_p50']}× (over raw + ids {worst['ratio_ids_p50']}×), worst extra time over raw (p50) "
        f"{worst['overhead_p50_ms']} ms "
        "(targets: 5 ms, 25 ms, 3×)"
    )
    print(
        f"peak RSS {peak:.0f} MB (after opening: {rss_open:.0f} MB); "
        f"load average before / after {load0:.2f} / {os.getloadavg()[0]:.2f}"
    )
    res = {
        "date": datetime.now().isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}",
        "python": platform.python_version(),
        "library": corpus.library_version(),
        "load_before": load0,
        "host_speed": corpus.host_speed(),
        "load_after": os.getloadavg()[0],
        "data_dir": str(data_dir),
        "docs": docs,
        "open_ms": round(open_ms),
        "reps": args.reps,
        "warmup": args.warmup,
        "peak_rss_mb": round(peak),
        "rss_after_open_mb": round(rss_open),
        "worst": worst,
        "smart_extra_p50_ms": extra,
        "passages": passages,
        "queries": rows,
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "search.json").write_text(json.dumps(res, ensure_ascii=False, indent=2))
    print(f"→ {OUT / 'search.json'}")


if __name__ == "__main__":
    main()
