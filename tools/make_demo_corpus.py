"""Build assay/demo/corpus.jsonl.gz from ../shared/data (deterministic; run from the repo root).

Every record that mentions 稀土 in the Chinese corpora, plus a fixed random sample of other real
records, so the demo has a realistic mix: CCTV news (and its second scrape, for duplicates), financial
flashes, broker-research digests (and their older versions, for revised-report clusters), WeChat commentary,
Reuters and earnings-call transcripts.
"""

from __future__ import annotations

import gzip
import json
import random
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
OUT = Path(__file__).resolve().parents[1] / "assay" / "demo" / "corpus.jsonl.gz"
KEEP = ("id", "title", "text", "source", "published_at", "lang", "url", "label", "format", "origin")
MENTION_FILES = [
    "zh_news_cctv_xwlb",
    "zh_news_cctv_xwlb_dupscrape",
    "zh_finnews_finnl",
    "zh_finnews_finna",
    "zh_broker_research_digests",
    "zh_broker_research_digests_legacy_versions",  # older versions of the same digests: story clusters
    "zh_wechat_market_commentary",
]
SAMPLES = {  # file -> how many records without 稀土
    "zh_news_cctv_xwlb": 120,
    "zh_finnews_finnl": 40,
    "zh_finnews_finna": 40,
    "zh_broker_research_digests": 25,
    "zh_wechat_market_commentary": 15,
    "en_news_reuters21578": 60,
    "en_summ_ectsum": 5,
}


def records(name: str):
    with gzip.open(DATA / f"{name}.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def main() -> None:
    rng = random.Random(20251026)
    chosen: dict[str, dict] = {}
    for name in MENTION_FILES:
        for r in records(name):
            if "稀土" in (r.get("text") or "") or "稀土" in (r.get("title") or ""):
                chosen[r["id"]] = r
    for name, k in SAMPLES.items():
        pool = [r for r in records(name) if r["id"] not in chosen and "稀土" not in (r.get("text") or "")]
        if name == "zh_news_cctv_xwlb":
            pool = [r for r in pool if str(r.get("published_at", "")) >= "2025-06"]
        if name == "en_news_reuters21578":
            rare = [r for r in pool if "rare earth" in (r.get("text") or "").lower()]
            pool = [r for r in pool if r not in rare]
            for r in rare:
                chosen[r["id"]] = r
        if name == "en_summ_ectsum":
            pool = sorted(pool, key=lambda r: len(r["text"]))[:200]
        for r in rng.sample(pool, min(k, len(pool))):
            chosen[r["id"]] = r
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(OUT, "wt", encoding="utf-8", compresslevel=9) as f:
        for r in chosen.values():
            f.write(json.dumps({k: r[k] for k in KEEP if k in r}, ensure_ascii=False) + "\n")
    print(f"{len(chosen)} records, {OUT.stat().st_size / 1e6:.2f} MB → {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
