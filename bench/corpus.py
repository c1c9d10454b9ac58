"""Build the benchmark corpus: N news-sized documents (default 200,000) as one JSONL.gz file.

Every record of the real news corpora in ../shared/data goes in unchanged (CCTV 新闻联播, Reuters-21578,
FinNL, FinNA, WeChat market commentary, broker research digests: 62,280 records). The rest are
recombined documents: paragraphs drawn from 2–4 real documents of the same language, the title of the
first of them, a length drawn from the real news length distribution (CCTV for Chinese, Reuters for
English, so the sizes stay news-like), a date drawn uniformly from the real date range of that language,
an id ``bench-000123``, no url. Recombined documents are 75% Chinese, 25% English. Everything is seeded,
so the same N and seed give the same file. The file is cached (not in the repository):

    python bench/corpus.py                       # → /tmp/assay-bench/corpus-200000-s0.jsonl.gz
    python bench/corpus.py --n 20000 --out /tmp/small.jsonl.gz
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

DATA = Path(os.environ.get("ASSAY_BENCH_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))
CACHE = Path(os.environ.get("ASSAY_BENCH_CACHE", "/tmp/assay-bench"))
REAL = [
    "zh_news_cctv_xwlb",
    "en_news_reuters21578",
    "zh_finnews_finnl",
    "zh_finnews_finna",
    "zh_wechat_market_commentary",
    "zh_broker_research_digests",
]
LENGTH_MODEL = {"zh": "zh_news_cctv_xwlb", "en": "en_news_reuters21578"}
ZH_SHARE = 0.75
SOURCE = {"zh": "Bench recombined news (zh)", "en": "Bench recombined news (en)"}
_EN_PARA = re.compile(r"\n\s*\n|\n(?= {2,}\S)")  # Reuters: blank line or an indented line starts one


class HostProbe:
    """The host's speed *during* a run: ``probe()`` between batches times a fixed numpy sort (~2 ms) and
    ``summary()`` gives its milliseconds (min / median / max). ``host_speed`` is taken once, after the run,
    and a run can span a change of the host's speed."""

    def __init__(self) -> None:
        import numpy as np

        self._values = np.random.default_rng(2).integers(0, 2**62, 200_000)
        self.ms: list[float] = []

    def probe(self) -> None:
        import numpy as np

        t = time.perf_counter()
        np.sort(self._values)
        self.ms.append((time.perf_counter() - t) * 1000)

    def summary(self) -> dict[str, float]:
        if not self.ms:
            return {}
        ms = sorted(self.ms)
        low, mid, high = ms[0], ms[len(ms) // 2], ms[-1]
        return {"sort_ms_min": round(low, 2), "sort_ms_median": round(mid, 2), "sort_ms_max": round(high, 2)}


def host_speed() -> dict[str, float]:
    """Milliseconds for two fixed pieces of work (best of 5): a pure-Python loop and a numpy sort. The
    machine's 2 cores are shared with other tenants whose load the load average does not show: the same
    benchmark, same code, ran 40% slower at some hours than at others, and these two figures moved with it.
    Compare runs whose host speeds match."""
    import numpy as np

    def loop() -> float:
        t = time.perf_counter()
        s = 0
        for i in range(3_000_000):
            s += i & 7
        return (time.perf_counter() - t) * 1000

    values = np.random.default_rng(1).integers(0, 2**62, 2_000_000)

    def sort() -> float:
        t = time.perf_counter()
        np.sort(values)
        return (time.perf_counter() - t) * 1000

    return {
        "python_loop_ms": round(min(loop() for _ in range(5)), 1),
        "numpy_sort_ms": round(min(sort() for _ in range(5)), 1),
    }


def library_version() -> str:
    """The commit the library was at (with -dirty when edited), for the record of a benchmark run."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "assay"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("-dirty" if dirty else "")


def default_path(n: int, seed: int = 0) -> Path:
    return CACHE / f"corpus-{n}-s{seed}.jsonl.gz"


def _read(name: str) -> list[dict]:
    path = DATA / f"{name}.jsonl.gz"
    if not path.exists():
        sys.exit(f"missing {path} (set ASSAY_BENCH_DATA to the folder of the real corpora)")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _paragraphs(rec: dict) -> list[str]:
    text = rec.get("text") or ""
    if rec.get("lang") == "en":
        parts = [" ".join(p.split()) for p in _EN_PARA.split(text)]
    else:
        parts = [p.strip() for p in text.split("\n")]
    return [p for p in parts if p]


def _date(value) -> datetime | None:
    if not value or value == "None":
        return None
    for fmt in ("%Y-%m-%d", "%d-%b-%Y %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(str(value).strip(), fmt)
        except ValueError:
            continue
    return None


def build(n: int, seed: int, out: Path) -> Path:
    rng = random.Random(seed)
    real = [rec for name in REAL for rec in _read(name)]
    if n < len(real):
        sys.exit(f"--n must be at least {len(real)} (all real records)")
    pools, lengths, ranges = {}, {}, {}
    for lang in ("zh", "en"):
        recs = [r for r in real if r.get("lang") == lang]
        pools[lang] = [(r.get("title"), ps) for r in recs if (ps := _paragraphs(r))]
        lengths[lang] = [len(r["text"]) for r in _read(LENGTH_MODEL[lang]) if r.get("text")]
        dates = [d for r in recs if (d := _date(r.get("published_at")))]
        ranges[lang] = (min(dates), max(dates))
    tz = {"zh": timezone(timedelta(hours=8)), "en": UTC}

    records = list(real)
    for i in range(n - len(real)):
        lang = "zh" if rng.random() < ZH_SHARE else "en"
        target = min(rng.choice(lengths[lang]), 6000)
        picks = rng.sample(pools[lang], rng.randint(2, 4))
        share = max(target // len(picks), 1)
        paras: list[str] = []
        for _, ps in picks:  # a contiguous run of paragraphs from each source document
            start = rng.randrange(len(ps))
            size = 0
            for p in ps[start:]:
                paras.append(p)
                size += len(p)
                if size >= share:
                    break
        title = picks[0][0] if picks[0][0] not in (None, "None", "") else None
        lo, hi = ranges[lang]
        when = lo + timedelta(seconds=rng.randrange(int((hi - lo).total_seconds()) + 86400))
        records.append(
            {
                "id": f"bench-{i:06d}",
                "title": title,
                "text": "\n\n".join(paras),
                "source": SOURCE[lang],
                "published_at": when.replace(tzinfo=tz[lang]).isoformat(),
                "lang": lang,
            }
        )
    rng.shuffle(records)

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    with open(tmp, "wb") as raw, gzip.GzipFile("", "wb", 3, raw, mtime=0) as gz:  # byte-identical reruns
        for rec in records:
            gz.write((json.dumps(rec, ensure_ascii=False) + "\n").encode("utf-8"))
    os.replace(tmp, out)
    return out


def ensure(n: int = 200_000, seed: int = 0, out: Path | None = None, force: bool = False) -> Path:
    """The corpus file, built once and then reused."""
    out = Path(out) if out else default_path(n, seed)
    if force or not out.exists():
        print(f"building {n:,}-document corpus → {out}", file=sys.stderr)
        build(n, seed, out)
    return out


def describe(path: Path) -> dict:
    lens, langs, recombined = [], {"zh": 0, "en": 0}, 0
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            lens.append(len(rec["text"]))
            langs[rec.get("lang")] = langs.get(rec.get("lang"), 0) + 1
            recombined += str(rec.get("id", "")).startswith("bench-")
    return {
        "docs": len(lens),
        "recombined": recombined,
        "langs": langs,
        "chars_mean": round(statistics.mean(lens)),
        "chars_median": statistics.median(lens),
        "text_mchars": round(sum(lens) / 1e6, 1),
        "mb_gz": round(path.stat().st_size / 1e6, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, help="output .jsonl.gz (default: under /tmp/assay-bench)")
    ap.add_argument("--force", action="store_true", help="rebuild even if the file exists")
    args = ap.parse_args()
    path = ensure(args.n, args.seed, args.out, args.force)
    print(path)
    print(json.dumps(describe(path), ensure_ascii=False))


if __name__ == "__main__":
    main()
