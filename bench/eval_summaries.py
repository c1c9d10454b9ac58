"""Evaluation: summary quality (ROUGE against the reference summaries) and the verifier's supported share,
per backend, on zh_finnews_finna (test split) and en_summ_ectsum (val split).

The extractive backend always runs. An LLM backend runs too whenever an endpoint is configured
(``ASSAY_LLM_BASE_URL``, ``ASSAY_LLM_MODEL``, ``ASSAY_SUMMARY_LANGUAGE``; documents in flight at once:
``--concurrency``), and its throughput (documents per minute) is reported. ROUGE is character-level for
Chinese and word-level for English, over the Core Insights bullets. An LLM summary written in English
of a Chinese document cannot be scored against a Chinese reference: ROUGE is then reported only where
the languages match (set ``ASSAY_SUMMARY_LANGUAGE=source`` to score it), while the supported share is
measured either way.

    python bench/eval_summaries.py --n 300
    ASSAY_LLM_BASE_URL=http://127.0.0.1:8000/v1 ASSAY_LLM_MODEL=qwen python bench/eval_summaries.py --n 100
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from rouge import mean_rouge  # noqa: E402

from assay.model import Document  # noqa: E402
from assay.settings import Settings  # noqa: E402
from assay.summarize import CORE_INSIGHTS  # noqa: E402
from assay.summarize.verify import Tally, verify_summary  # noqa: E402
from assay.summarize.worker import make_summarizer  # noqa: E402
from assay.text.split import split_paragraphs  # noqa: E402

SETS = (
    ("zh_finnews_finna", "test", "news", "zh"),
    ("en_summ_ectsum", "val", "transcript", "en"),
)


def data_dir() -> Path:
    env = os.environ.get("ASSAY_SHARED_DATA")
    return Path(env) if env else ROOT.parent / "shared" / "data"


def load(name: str, split: str, doc_type: str, lang: str, n: int) -> list[tuple[Document, str]]:
    path = data_dir() / f"{name}.jsonl.gz"
    if not path.exists():
        sys.exit(f"data file not found: {path} (set ASSAY_SHARED_DATA)")
    out = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if r.get("split") != split:
                continue
            title = (r.get("title") or "") if lang == "en" else ""  # finna's title is its reference summary
            doc = Document(title=title, paragraphs=split_paragraphs(r["text"]), doc_type=doc_type, lang=lang)
            out.append((doc.finalize(), r["summary"]))
            if len(out) >= n:
                break
    return out


def evaluate(summarizer, data, lang: str, concurrency: int) -> dict:
    unit, sep = ("char", "") if lang == "zh" else ("word", " ")
    t0 = time.perf_counter()

    def one(item):
        doc, _ = item
        try:
            return verify_summary(summarizer.summarize(doc), doc), None
        except Exception as exc:  # an LLM failure is counted, not fatal
            return None, f"{type(exc).__name__}: {exc}"

    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(one, data))
    seconds = time.perf_counter() - t0
    tally, pairs, failures, same_lang = Tally(), [], [], True
    for (doc, ref), (summary, error) in zip(data, results, strict=True):
        if summary is None:
            failures.append(error)
            continue
        same_lang = same_lang and summary.language == lang
        for sec in summary.sections:
            for b in sec.bullets:
                tally.add(b.check)
        core = [b.text for sec in summary.sections if sec.heading == CORE_INSIGHTS for b in sec.bullets]
        pairs.append((sep.join(core), ref))
    out = {
        "n": len(data),
        "summarized": len(pairs),
        "failed": len(failures),
        "failures": failures[:5],
        "verifier": tally.to_dict(),
        "seconds": round(seconds, 2),
        "docs_per_min": round(len(data) / seconds * 60, 1) if seconds else None,
    }
    if pairs and same_lang:
        out["rouge"] = {k: round(v, 4) for k, v in mean_rouge(pairs, unit).items()}
        out["rouge_unit"] = unit
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=300, help="documents per set")
    ap.add_argument("--concurrency", type=int, default=8, help="LLM requests in flight")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "eval_summaries.json")
    args = ap.parse_args()
    settings = Settings()
    backends = ["extractive"] + (["openai"] if settings.llm_base_url else [])
    report = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "n": args.n, "results": {}}
    for name, split, doc_type, lang in SETS:
        data = load(name, split, doc_type, lang, args.n)
        for backend in backends:
            summarizer = make_summarizer(settings, backend)
            conc = 1 if backend == "extractive" else args.concurrency
            res = evaluate(summarizer, data, lang, conc)
            key = f"{name}:{split} · {summarizer.name}"
            report["results"][key] = res
            rouge = res.get("rouge")
            r = " / ".join(f"{rouge[k]:.3f}" for k in ("rouge1", "rouge2", "rougeL")) if rouge else "n/a"
            v = res["verifier"]
            share = f"{v['share']:.3f}" if v["share"] is not None else "n/a"
            print(
                f"{key:55s} ROUGE-1/2/L {r}  supported {share} "
                f"({v['supported']}/{v['supported'] + v['unsupported']}, {v['unchecked']} unchecked)  "
                f"{res['docs_per_min']} docs/min  failed {res['failed']}",
                flush=True,
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
