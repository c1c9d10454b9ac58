"""Benchmark: the citation verifier on the extractive backend's summaries of real documents.

Summaries are made before timing. Timed, per document: ``verify_summary`` (the path every summary takes at
ingest: extractive bullets are verbatim, so it ends at the substring check), then the full checks on the
same bullets (figures, codes, names, words — the path an LLM's paraphrased bullets take), each document
with a fresh ``Evidence`` so paragraph analysis is counted. Prints the supported share of each path.

    python bench/bench_verify.py --corpus zh_finnews_finna --n 2000
    python bench/bench_verify.py --corpus en_summ_ectsum --doc-type transcript --n 500
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assay.model import Document  # noqa: E402
from assay.summarize import ExtractiveSummarizer  # noqa: E402
from assay.summarize.verify import Evidence, Tally, verify_summary  # noqa: E402
from assay.text.split import split_paragraphs  # noqa: E402


def load(corpus: str, n: int, doc_type: str) -> list[Document]:
    env = os.environ.get("ASSAY_SHARED_DATA")
    path = (Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data") / f"{corpus}.jsonl.gz"
    if not path.exists():
        sys.exit(f"data file not found: {path} (set ASSAY_SHARED_DATA)")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        records = [json.loads(line) for line in itertools.islice(fh, n)]
    return [
        Document(
            title="" if r.get("title") in (None, "None") else r["title"],
            paragraphs=split_paragraphs(r.get("text") or ""),
            doc_type=doc_type,
            lang=r.get("lang") or "zh",
        ).finalize()
        for r in records
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default="zh_finnews_finna")
    ap.add_argument("--doc-type", default="news")
    ap.add_argument("--n", type=int, default=2000)
    args = ap.parse_args()
    docs = load(args.corpus, args.n, args.doc_type)
    summarizer = ExtractiveSummarizer()
    summaries = [summarizer.summarize(d) for d in docs]
    public, full = Tally(), Tally()
    per_doc, per_bullet_public, per_bullet_full = [], [], []
    for doc, summary in zip(docs, summaries):
        bullets = [b for s in summary.sections for b in s.bullets]
        if not bullets:
            continue
        t0 = time.perf_counter_ns()
        checked = verify_summary(summary, doc)
        t1 = time.perf_counter_ns()
        per_doc.append((t1 - t0) / 1e3)
        per_bullet_public.append((t1 - t0) / 1e3 / len(bullets))
        for b in (b for s in checked.sections for b in s.bullets):
            public.add(b.check)
        cited = [b for b in bullets if b.cites]
        evidence = Evidence(doc)
        t2 = time.perf_counter_ns()
        for b in cited:
            full.add(evidence.judge(b.text, [evidence.source(n) for n in b.cites], "").check)
        if cited:
            per_bullet_full.append((time.perf_counter_ns() - t2) / 1e3 / len(cited))
    print(
        f"{args.corpus}: {len(per_doc)} documents, {public.supported + public.unsupported + public.unchecked} bullets"
    )
    for name, t in (("verify_summary", public), ("full checks", full)):
        share = f"{t.share:.4f}" if t.share is not None else "n/a"
        print(f"  {name:15} supported share {share} ({t.supported} / {t.checked}; {t.unchecked} unchecked)")
    for name, xs in (
        ("µs/doc, verify_summary", per_doc),
        ("µs/bullet, verify_summary", per_bullet_public),
        ("µs/bullet, full checks", per_bullet_full),
    ):
        print(f"  {name:26} median {statistics.median(xs):8.1f}  mean {statistics.fmean(xs):8.1f}")


if __name__ == "__main__":
    main()
