"""Load benchmark: 32 concurrent clients search for 60 s while an ingest of 20,000 documents runs, through
one server (``assay serve``, its own process — or ``--processes 1 2``: ``assay serve --workers N`` for each N,
in one run), over real HTTP on 127.0.0.1. Each server is first timed under searches alone
(``--alone-seconds``), then with the documents being posted.

The store starts as the demo corpus (or ``--data-dir``); the ingest posts real records of
``../shared/data/zh_news_cctv_xwlb.jsonl.gz`` to ``POST /api/documents`` in batches, one batch at a time,
from its own thread. Clients (asyncio + httpx, keep-alive) cycle through queries, page 1, 20 results.
Reported: requests, errors (any non-200 or transport error), p50 / p99 / max latency, requests per
second, and the ingest's documents per second. Writes bench/out/load.json.

    python bench/bench_load.py
    python bench/bench_load.py --clients 32 --seconds 60 --docs 20000 --data-dir /tmp/assay-bench/load
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import itertools
import json
import os
import platform
import shutil
import statistics
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # measure this checkout, not an installed assay
import corpus  # noqa: E402
from bench_web import free_port, pct, start_server  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
QUERIES = ["稀土", "中国 经济", "出口", "人工智能", "oil", "发展", '"出口管制"', "会议", "稀土 出口", "科技"]
BATCH = 500


def records(n: int):
    path = corpus.DATA / "zh_news_cctv_xwlb.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in itertools.islice(f, n):
            yield json.loads(line)


def ingest(base: str, n: int, report: dict) -> None:
    t0, added, errors = time.perf_counter(), 0, 0
    with httpx.Client(base_url=base, timeout=600) as client:
        batch: list[dict] = []
        for rec in itertools.chain(records(n), [None]):
            if rec is not None:
                batch.append(rec)
            if batch and (rec is None or len(batch) >= BATCH):
                r = client.post("/api/documents", json={"documents": batch})
                if r.status_code == 200:
                    added += r.json()["added"] + r.json()["updated"]
                else:
                    errors += 1
                batch = []
    report.update(docs=added, errors=errors, seconds=round(time.perf_counter() - t0, 1))


async def client_loop(base: str, stop: float, offset: int, times: list[float], errors: list[str]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        for i in itertools.count(offset):
            if time.perf_counter() >= stop:
                return
            t = time.perf_counter()
            try:
                r = await client.get("/api/search", params={"q": QUERIES[i % len(QUERIES)], "limit": 20})
                if r.status_code != 200:
                    errors.append(f"HTTP {r.status_code}: {r.text[:200]}")
            except httpx.HTTPError as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
            times.append((time.perf_counter() - t) * 1000)


async def load(base: str, clients: int, seconds: float) -> tuple[list[float], list[str]]:
    times: list[float] = []
    errors: list[str] = []
    stop = time.perf_counter() + seconds
    await asyncio.gather(*(client_loop(base, stop, i, times, errors) for i in range(clients)))
    return times, errors


def prepare(data_dir: Path) -> None:
    """A fresh store of the demo corpus (never wipes a folder outside the bench cache)."""
    if data_dir.exists():
        if corpus.CACHE.resolve() not in data_dir.resolve().parents:
            sys.exit(f"{data_dir} exists; give a new folder or one under {corpus.CACHE}")
        shutil.rmtree(data_dir)
    from assay.demo import corpus_path
    from assay.ingest.pipeline import Ingestor
    from assay.settings import Settings
    from assay.workspace import Workspace

    with Workspace(Settings(home=data_dir)) as ws:
        Ingestor(ws.store, ws.index, ws.settings).run([corpus_path()])


def _figures(times: list[float], errors: list[str], seconds: float) -> dict:
    return {
        "requests": len(times),
        "errors": len(errors),
        "error_samples": errors[:5],
        "rps": round(len(times) / seconds, 1),
        "p50_ms": round(statistics.median(times), 1),
        "p99_ms": round(pct(times, 99), 1),
        "max_ms": round(max(times), 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--alone-seconds", type=float, default=0, help="searches alone first, for this long")
    ap.add_argument("--docs", type=int, default=20_000)
    ap.add_argument("--data-dir", type=Path, default=corpus.CACHE / "load")
    ap.add_argument("--processes", type=int, nargs="+", default=[1], help="server processes (--workers), each run")
    args = ap.parse_args()
    runs = []
    for processes in args.processes:
        runs.append(run(args, processes))
        print(json.dumps(runs[-1], ensure_ascii=False, indent=2), flush=True)
    res = runs[0] if len(runs) == 1 else {"runs": runs}
    OUT.mkdir(exist_ok=True)
    (OUT / "load.json").write_text(json.dumps(res, ensure_ascii=False, indent=2))


def run(args, processes: int) -> dict:
    prepare(args.data_dir)
    port = free_port()
    server = start_server(args.data_dir, port, processes)
    base = f"http://127.0.0.1:{port}"
    load0 = os.getloadavg()[0]
    ingest_report: dict = {}
    alone = None
    writer = threading.Thread(target=ingest, args=(base, args.docs, ingest_report), daemon=True)
    try:
        if args.alone_seconds:
            asyncio.run(load(base, args.clients, 3))  # every process warm
            alone = _figures(*asyncio.run(load(base, args.clients, args.alone_seconds)), args.alone_seconds)
        writer.start()
        times, errors = asyncio.run(load(base, args.clients, args.seconds))
        writer.join()
        final = httpx.get(f"{base}/api/health").json()
    finally:
        server.terminate()
        server.wait(timeout=60)
    res = {
        "processes": processes,
        "searches_alone": alone,
        "date": datetime.now().isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}",
        "python": platform.python_version(),
        "library": corpus.library_version(),
        "clients": args.clients,
        "seconds": args.seconds,
        **_figures(times, errors, args.seconds),
        "ingest": {**ingest_report, "docs_per_s": round(ingest_report["docs"] / ingest_report["seconds"], 1)},
        "documents_after": final["documents"],
        "load_before": load0,
        "load_after": os.getloadavg()[0],
    }
    return res


if __name__ == "__main__":
    main()
