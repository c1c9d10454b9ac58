"""Benchmark: HTML pages → main text and metadata (``assay.ingest.html.extract_page``), one core.

Pages are built from real documents of ../shared/data (CCTV 新闻联播 and WeChat commentary in Chinese,
Reuters-21578 in English): the article's paragraphs inside a portal's clutter (navigation, an ad, a
"hot news" list with its own dates, comments with relative times, a footer), a byline with the time in
one of several Chinese or English formats, og:site_name and a canonical link. Each variant runs in a forked
child on the same pages, so each gets its own peak RSS:

- ``assay``: ``extract_page`` (trafilatura's fast mode for the text, then our metadata: time of day,
  relative times, canonical URL, site, author);
- baseline ``trafilatura+meta``: ``bare_extraction(with_metadata=True)`` as ``extract_html`` called it
  before (default mode, htmldate for the date: a day, no time);
- baseline ``trafilatura-text``: ``bare_extraction(with_metadata=False)`` in its default mode.

For each: pages/s, ms per page (p50, p99), peak RSS, and how often the text equals the article's
paragraphs exactly, the title is right, and the published time is right to the minute (a day only counts
as wrong: the page states the time). Then the largest page (``--big-paragraphs`` paragraphs) alone.

    python bench/bench_html.py                 # 600 pages
    python bench/bench_html.py --n 2000
"""

from __future__ import annotations

import argparse
import gzip
import html
import itertools
import json
import multiprocessing as mp
import os
import re
import resource
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assay.errors import InputError  # noqa: E402
from assay.ingest.html import extract_page  # noqa: E402

DATA = Path(os.environ.get("ASSAY_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 1, 1, 12, 0, tzinfo=TZ)
CORPORA = (
    ("zh_news_cctv_xwlb", 0.5, "央视网"),
    ("zh_wechat_market_commentary", 0.2, "鳄鱼财经"),
    ("en_news_reuters21578", 0.3, "Reuters"),
)
_EN_PARA = re.compile(r"\n\s*\n|\n(?= {2,}\S)")


def records(name: str, n: int) -> list[dict]:
    path = DATA / f"{name}.jsonl.gz"
    if not path.exists():
        sys.exit(f"data file not found: {path} (set ASSAY_SHARED_DATA)")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        rows = (json.loads(line) for line in fh)
        return list(itertools.islice((r for r in rows if len(r.get("text") or "") > 400), n))


def paragraphs(rec: dict) -> list[str]:
    text = rec["text"]
    parts = _EN_PARA.split(text) if rec.get("lang") == "en" else text.split("\n")
    cleaned = (" ".join(re.sub(r"\*\*(.+?)\*\*", r"\1", p).split()) for p in parts)
    return [p for p in cleaned if p]


def byline(i: int, t: datetime, site: str) -> str:
    formats = (
        f"{t:%Y年%m月%d日 %H:%M} 来源：{site}",
        f"{t:%Y-%m-%d %H:%M} 来源：{site}",
        f"发布时间：{t:%Y/%m/%d %H:%M:%S}",
        f"{t:%B} {t.day}, {t.year} {t:%I:%M} {t:%p}",
        f"{int((NOW - t).total_seconds() // 3600)}小时前",
    )
    return formats[i % len(formats)]


def page(i: int, title: str, paras: list[str], site: str, t: datetime) -> str:
    e = html.escape
    nav = "".join(f'<li><a href="/c/{k}">频道{k}</a></li>' for k in range(15))
    hot = "".join(f'<li><a href="/hot/{k}">热点{k} 2025-11-0{k + 1} 08:00</a></li>' for k in range(6))
    comments = "".join(f'<div class="comment"><b>网友{k}</b> {k + 1}小时前<p>支持！</p></div>' for k in range(5))
    body = "".join(f"<p>{e(p)}</p>" for p in paras)
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{e(title)}_{e(site)}</title>'
        f'<meta property="og:site_name" content="{e(site)}"><link rel="canonical" href="https://x.example.com/{i}">'
        f'<script>var ads=[1,2,3];</script></head><body><div class="topbar">今天是2026年1月1日</div>'
        f'<nav><ul>{nav}</ul></nav><div class="ad">广告：限时优惠</div><div class="article"><h1>{e(title)}</h1>'
        f'<div class="info">{byline(i, t, site)}</div><div class="content">{body}</div></div>'
        f'<div class="sidebar"><ul>{hot}</ul></div><div class="comments">{comments}</div>'
        f"<footer>版权所有 © {e(site)}</footer></body></html>"
    )


def build(n: int) -> list[tuple[str, dict]]:
    out = []
    for name, share, site in CORPORA:
        for k, rec in enumerate(records(name, max(1, int(n * share)))):
            t = (NOW - timedelta(hours=3 + k % 20, minutes=k % 60)).replace(second=0)
            if k % 5 == 4:  # "N小时前": to the hour
                t = NOW - timedelta(hours=int((NOW - t).total_seconds() // 3600))
            title = rec.get("title") or "untitled"
            paras = paragraphs(rec)
            expect = {"paragraphs": paras, "title": title, "time": t}
            out.append((page(k, title, paras, site, t), expect))
    return out


# -- the variants ---------------------------------------------------------------------------------------
def run_assay(doc: str):
    try:
        p = extract_page(doc, "https://x.example.com/a", NOW, TZ)
    except InputError:
        return None, None, None
    return p.text.split("\n\n"), p.title, None if p.date_only else p.published_at


def run_trafilatura(doc: str, with_metadata: bool):
    import trafilatura

    d = trafilatura.bare_extraction(
        doc, with_metadata=with_metadata, include_comments=False, include_tables=True, favor_precision=True
    )
    if d is None or not d.text:
        return None, None, None
    lines = [line.strip() for line in d.text.splitlines() if line.strip()]
    return lines, getattr(d, "title", None), None  # htmldate gives a day: never the time


VARIANTS = {
    "assay": run_assay,
    "trafilatura+meta": lambda doc: run_trafilatura(doc, True),
    "trafilatura-text": lambda doc: run_trafilatura(doc, False),
}


def measure(name: str, pages: list[tuple[str, dict]], out) -> None:
    fn = VARIANTS[name]
    fn(pages[0][0])  # imports and first-call set-up are not timed
    times, text_ok, title_ok, time_ok = [], 0, 0, 0
    start = time.perf_counter()
    for doc, expect in pages:
        t0 = time.perf_counter()
        text, title, when = fn(doc)
        times.append(time.perf_counter() - t0)
        text_ok += text == expect["paragraphs"]
        title_ok += title == expect["title"]
        time_ok += when is not None and abs(when - expect["time"]) < timedelta(minutes=1)
    total = time.perf_counter() - start
    n = len(pages)
    out.put(
        {
            "variant": name,
            "pages": n,
            "pages_per_s": round(n / total, 1),
            "ms_p50": round(statistics.median(times) * 1000, 2),
            "ms_p99": round(sorted(times)[int(n * 0.99) - 1] * 1000, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "text_exact": round(text_ok / n, 3),
            "title_right": round(title_ok / n, 3),
            "time_right": round(time_ok / n, 3),
        }
    )


def in_child(name: str, pages) -> dict:
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    proc = ctx.Process(target=measure, args=(name, pages, q))
    proc.start()
    result = q.get()
    proc.join()
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=600)
    ap.add_argument("--big-paragraphs", type=int, default=4000)
    args = ap.parse_args()
    pages = build(args.n)
    size = sum(len(p.encode()) for p, _ in pages) / len(pages)
    print(f"{len(pages)} pages, {size / 1024:.1f} KiB each on average; one process per variant, one core")
    print(json.dumps({"cpus": os.cpu_count(), "python": sys.version.split()[0]}))
    for name in VARIANTS:
        print(json.dumps(in_child(name, pages), ensure_ascii=False))
    reuters = records("en_news_reuters21578", 400)
    paras = list(itertools.islice(itertools.cycle(p for r in reuters for p in paragraphs(r)), args.big_paragraphs))
    when = NOW - timedelta(hours=5, minutes=7)
    big = page(0, "A very long page", paras, "Reuters", when)
    print(f"largest page: {len(big.encode()) / 1e6:.1f} MB, {len(paras)} paragraphs")
    for name in ("assay", "trafilatura+meta"):
        print(json.dumps(in_child(name, [(big, {"paragraphs": paras, "title": "A very long page", "time": when})])))


if __name__ == "__main__":
    main()
