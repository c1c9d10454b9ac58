"""Write assay/text/use-m3-pca.npy: the projection the vector graph navigates by (run from the repo root).

The encoder's 512-dimensional vectors are projected onto their first ``DIMS`` principal directions (uncentred:
the eigenvectors of the mean outer product, so a cosine in the projection stays close to the full one) for the
approximate-nearest-neighbour graph only; its candidates are then scored with the full vectors from the store
(assay/search/vectors.py). The directions are fitted on the titles and leads of a fixed sample of every news,
research and commentary corpus in ../shared/data, Chinese and English (``PER_CORPUS`` records each): no
labels, no evaluation topics. Deterministic for one encoder version; takes about 3 minutes on 2 cores.
"""

from __future__ import annotations

import gzip
import json
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from assay.text.embed import LEAD_CHARS, encoder  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "assay" / "text" / "use-m3-pca.npy"
DIMS = 128
PER_CORPUS = 2000
CORPORA = [
    "zh_finnews_finna",
    "zh_finnews_finnl",
    "zh_news_cctv_xwlb",
    "zh_broker_research_digests",
    "zh_broker_reports_pdf_text",
    "zh_wechat_market_commentary",
    "zh_summ_lcsts_part3",
    "en_news_reuters21578",
    "en_summ_ectsum",
]


def leads(name: str) -> list[str]:
    with gzip.open(DATA / f"{name}.jsonl.gz", "rt", encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    random.Random(name).shuffle(records)
    out = []
    for r in records:
        text = ((r.get("title") or "") + "\n" + (r.get("text") or r.get("content") or "")).strip()
        if len(text) >= 20:
            out.append(text[:LEAD_CHARS])
        if len(out) == PER_CORPUS:
            break
    return out


def main() -> None:
    texts = []
    for name in CORPORA:
        got = leads(name)
        print(f"{name}: {len(got)}", file=sys.stderr)
        texts += got
    x = encoder().encode(texts)
    w, v = np.linalg.eigh(x.T @ x / len(x))
    order = np.argsort(w)[::-1]
    w, v = w[order], v[:, order]
    kept = float(w[:DIMS].sum() / w.sum())
    np.save(OUT, v[:, :DIMS].astype(np.float32))
    print(f"{len(texts)} leads; {DIMS} of 512 directions keep {kept:.3f} of the energy → {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
