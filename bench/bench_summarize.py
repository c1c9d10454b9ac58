"""Benchmark: ExtractiveSummarizer.summarize() over real CCTV news items, with the LEAD baseline in the same run.

Documents are built (split into paragraphs) before timing; only summarize() is timed, one call per
document, with time.perf_counter_ns around each call.

    python bench/bench_summarize.py --n 5000
    python bench/bench_summarize.py --corpus zh_broker_research_digests --doc-type report --n 900
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assay.model import Document  # noqa: E402
from assay.summarize import ExtractiveSummarizer, LeadSummarizer  # noqa: E402
from assay.text.split import split_paragraphs  # noqa: E402


def data_dir() -> Path:
    env = os.environ.get("ASSAY_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared" / "data"


def load(corpus: str, n: int, doc_type: str, lang: str | None) -> list[Document]:
    path = data_dir() / f"{corpus}.jsonl.gz"
    if not path.exists():
        sys.exit(f"data file not found: {path} (set ASSAY_SHARED_DATA)")
    docs = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            title = r.get("title")
            title = "" if title in (None, "None") else title
            docs.append(
                Document(
                    title=title,
                    paragraphs=split_paragraphs(r.get("text") or ""),
                    doc_type=doc_type,
                    lang=lang or r.get("lang") or "zh",
                ).finalize()
            )
            if len(docs) >= n:
                break
    return docs


def timed(summarizer, docs: list[Document]) -> tuple[list[int], float]:
    """Per-call wall times (ns) and the CPU seconds of the whole loop (robust on a busy machine)."""
    out = []
    clock = time.perf_counter_ns
    cpu0 = time.process_time()
    for d in docs:
        t0 = clock()
        summarizer.summarize(d)
        out.append(clock() - t0)
    return out, time.process_time() - cpu0


def report(name: str, ns: list[int], cpu: float) -> None:
    total = sum(ns) / 1e9
    us = sorted(x / 1e3 for x in ns)
    p = statistics.quantiles(us, n=100) if len(us) >= 2 else us * 99
    print(
        f"{name:<12} docs/s={len(ns) / total:>9,.0f}  mean={statistics.fmean(us):7.1f} µs  "
        f"p50={p[49]:7.1f} µs  p99={p[98]:8.1f} µs  max={us[-1]:9.1f} µs  "
        f"cpu mean={cpu / len(ns) * 1e6:7.1f} µs"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=5000, help="number of documents (default 5000)")
    ap.add_argument("--corpus", default="zh_news_cctv_xwlb", help="data file stem under shared/data")
    ap.add_argument("--doc-type", default="news")
    ap.add_argument("--lang", default=None, help="override the records' lang")
    ap.add_argument("--repeat", type=int, default=1, help="time the whole set this many times, keep the best")
    args = ap.parse_args()

    t0 = time.perf_counter()
    docs = load(args.corpus, args.n, args.doc_type, args.lang)
    chars = sum(len(p.text) for d in docs for p in d.paragraphs)
    print(
        f"{len(docs)} documents from {args.corpus} ({chars / max(1, len(docs)):.0f} chars mean), "
        f"built in {time.perf_counter() - t0:.1f} s; timing summarize() only"
    )
    ext, lead = ExtractiveSummarizer(), LeadSummarizer(3)
    timed(ext, docs[:200])  # warm up (rjieba dictionary, regex caches)
    best_ext = best_lead = None
    for _ in range(max(1, args.repeat)):
        e, ld = timed(ext, docs), timed(lead, docs)
        if best_ext is None or sum(e[0]) < sum(best_ext[0]):
            best_ext = e
        if best_lead is None or sum(ld[0]) < sum(best_lead[0]):
            best_lead = ld
    report("extractive", *best_ext)
    report("lead-3", *best_lead)
    print(f"extractive / lead-3 CPU time: {best_ext[1] / max(best_lead[1], 1e-9):.1f}x (stable on a busy machine)")
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    bullets = sum(len(s.bullets) for d in docs[:1000] for s in ext.summarize(d).sections)
    print(f"bullets per document (first 1000): {bullets / min(len(docs), 1000):.1f}")


if __name__ == "__main__":
    main()
