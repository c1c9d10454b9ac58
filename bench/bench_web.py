"""Web benchmark: the search page (HTML, 20 results) and JSON search over real HTTP, with the library call
they make timed in the same run.

A server (``assay serve``, uvicorn, its own process) runs over the data dir; this process times, for each
query, alternately: the library call the page makes (``service.search(..., limit=20)`` on its own
Workspace over the same data dir), ``GET /api/search?q=...&limit=20`` and ``GET /?q=...`` over one
keep-alive connection of the standard library's ``http.client`` (httpx's own overhead, 1–4 ms a request
on this machine, is the client's, not the server's). Reported per query: p50 / p99 in ms of each as the
client sees it, the server's own time from its ``Server-Timing`` header (p50), and what HTTP + JSON or
HTML adds over the library (p50).

    python bench/bench_web.py                         # the 200k bench store (built by bench_ingest if missing)
    python bench/bench_web.py --data-dir DIR --reps 50

Targets (issue 3): search page p50 ≤ 30 ms, JSON search p50 ≤ 15 ms at 200k documents. Writes
bench/out/web.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # measure this checkout, not an installed assay
import bench_ingest  # noqa: E402
import corpus  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
LIMIT = 20
QUERIES = [
    ("common", "中国", {}),
    ("common", "said", {}),
    ("mid", "稀土", {}),
    ("mid", "人工智能", {}),
    ("rare", "鄂温克", {}),
    ("and", "稀土 出口", {}),
    ("phrase", '"出口管制"', {}),
    ("filter", "发展", {"lang": "zh", "type": "news"}),
    ("relevance", "稀土", {"sort": "relevance"}),
    ("page2", "稀土", {"page": 2}),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: Path, port: int, workers: int = 1) -> subprocess.Popen:
    root = str(Path(__file__).resolve().parents[1])  # the server runs this checkout's assay too
    env = {**os.environ, "ASSAY_HOME": str(data_dir), "PYTHONPATH": root}
    cmd = [sys.executable, "-m", "assay", "serve", "--port", str(port), "--workers", str(workers)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600  # opening a store whose index must catch up can take a while
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"the server exited: {proc.stderr.read()}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
            return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    sys.exit("the server did not start in 600 s")


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def timed(fn, out: list[float]) -> None:
    t = time.perf_counter()
    fn()
    out.append((time.perf_counter() - t) * 1000)


class Client:
    """GET over one keep-alive connection; keeps the server's ``Server-Timing`` duration of each answer."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.server_ms: list[float] = []

    def get(self, path: str, params: dict) -> bytes:
        self.conn.request("GET", f"{path}?{urlencode(params, doseq=True)}")
        r = self.conn.getresponse()
        body = r.read()
        if r.status != 200:
            raise RuntimeError(f"GET {path} {params}: HTTP {r.status}: {body[:200]!r}")
        timing = r.getheader("server-timing", "")
        if "dur=" in timing:
            self.server_ms.append(float(timing.split("dur=", 1)[1].split(";")[0]))
        return body

    def close(self) -> None:
        self.conn.close()


def bench_query(ws, client: Client, query: str, extra: dict, reps: int, warmup: int) -> dict:
    from assay.interfaces import service

    params = {"q": query, **extra}
    sort, page = extra.get("sort", "smart"), extra.get("page", 1)
    as_of = service.now_utc()
    filters = service.make_filters(ws.settings.tz, lang=extra.get("lang"), doc_type=extra.get("type"), as_of=as_of)

    def library():
        return service.search(ws, query, filters, sort=sort, page=page, limit=LIMIT)

    server: dict[str, list[float]] = {"json": [], "html": []}

    def api():
        json.loads(client.get("/api/search", {**params, "limit": LIMIT}))
        server["json"].append(client.server_ms[-1])

    def html():
        client.get("/", params)
        server["html"].append(client.server_ms[-1])

    total = library().total
    times: dict[str, list[float]] = {"library": [], "json": [], "html": []}
    for i in range(warmup + reps):
        if i == warmup:
            server["json"].clear()
            server["html"].clear()
        for name, fn in (("library", library), ("json", api), ("html", html)):
            timed(fn, times[name] if i >= warmup else [])
    row = {"query": query, "params": extra, "hits": total}
    for name, xs in times.items():
        row[f"{name}_p50_ms"] = round(statistics.median(xs), 2)
        row[f"{name}_p99_ms"] = round(pct(xs, 99), 2)
    for name, xs in server.items():
        row[f"{name}_server_p50_ms"] = round(statistics.median(xs), 2)
    row["json_extra_p50_ms"] = round(row["json_p50_ms"] - row["library_p50_ms"], 2)
    row["html_extra_p50_ms"] = round(row["html_p50_ms"] - row["library_p50_ms"], 2)
    return row


PASSAGE_QUERIES = ["稀土 出口", "人工智能", "美联储为什么加息", "oil prices"]


def bench_passages(ws, client: Client, query: str, reps: int, warmup: int) -> dict:
    """``GET /api/passages?q=...&limit=10`` beside the library call it makes, alternately."""
    from assay.interfaces import service

    filters = service.make_filters(ws.settings.tz)
    times: dict[str, list[float]] = {"library": [], "json": []}
    server: list[float] = []

    def api():
        json.loads(client.get("/api/passages", {"q": query, "limit": 10}))
        server.append(client.server_ms[-1])

    for i in range(warmup + reps):
        timed(lambda: service.passages(ws, query, filters, limit=10), times["library"] if i >= warmup else [])
        timed(api, times["json"] if i >= warmup else [])
    row = {"query": query, "passages": True}
    for name, xs in times.items():
        row[f"{name}_p50_ms"] = round(statistics.median(xs), 2)
        row[f"{name}_p99_ms"] = round(pct(xs, 99), 2)
    row["json_server_p50_ms"] = round(statistics.median(server[warmup:]), 2)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200_000, help="corpus size when the store must be built")
    ap.add_argument("--data-dir", type=Path, help="an existing data dir (default: bench_ingest's, built if missing)")
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=10)
    args = ap.parse_args()

    from assay.settings import Settings
    from assay.workspace import Workspace

    data_dir = args.data_dir or bench_ingest.default_data_dir(args.n)
    if not (data_dir / "assay.db").exists():
        print(f"no store at {data_dir}: building it from the {args.n:,}-document corpus", file=sys.stderr)
        bench_ingest.run_assay(corpus.ensure(args.n), data_dir, workers=0, summaries=True)
    ws = Workspace(Settings(home=data_dir))
    port = free_port()
    server = start_server(data_dir, port)
    load0 = os.getloadavg()[0]
    print(f"{data_dir}: {ws.index.num_docs():,} documents; {args.reps} reps after {args.warmup}; times in ms\n")
    print(
        f"{'query':<26}{'hits':>8}{'lib p50':>9}{'json p50':>10}{'json p99':>10}{'(server)':>10}"
        f"{'html p50':>10}{'html p99':>10}{'(server)':>10}"
    )
    rows, passages = [], []
    try:
        client = Client(port)
        try:
            for _cls, query, extra in QUERIES:
                row = bench_query(ws, client, query, extra, args.reps, args.warmup)
                rows.append(row)
                label = query + "".join(f" {k}={v}" for k, v in extra.items())
                print(
                    f"{label:<26}{row['hits']:>8}{row['library_p50_ms']:>9}{row['json_p50_ms']:>10}"
                    f"{row['json_p99_ms']:>10}{row['json_server_p50_ms']:>10}{row['html_p50_ms']:>10}"
                    f"{row['html_p99_ms']:>10}{row['html_server_p50_ms']:>10}",
                    flush=True,
                )
            print(f"\n{'passages (/api/passages)':<34}{'lib p50':>9}{'json p50':>10}{'json p99':>10}{'(server)':>10}")
            for query in PASSAGE_QUERIES:
                row = bench_passages(ws, client, query, args.reps, args.warmup)
                passages.append(row)
                print(
                    f"{query:<26}{'':>8}{row['library_p50_ms']:>9}{row['json_p50_ms']:>10}{row['json_p99_ms']:>10}"
                    f"{row['json_server_p50_ms']:>10}",
                    flush=True,
                )
        finally:
            client.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        ws.close()
    keys = ("library_p50_ms", "json_p50_ms", "json_server_p50_ms", "html_p50_ms", "html_server_p50_ms")
    worst = {k: max(r[k] for r in rows) for k in keys}
    median = {k: round(statistics.median(r[k] for r in rows), 2) for k in worst}
    print(
        f"\nworst p50: library {worst['library_p50_ms']}, JSON {worst['json_p50_ms']}"
        f" (server {worst['json_server_p50_ms']}), page {worst['html_p50_ms']}"
        f" (server {worst['html_server_p50_ms']}) ms"
        f" (targets: JSON 15, page 30); median over queries: {median}"
    )
    print(f"load average before / after {load0:.2f} / {os.getloadavg()[0]:.2f}")
    res = {
        "date": datetime.now().isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}",
        "python": platform.python_version(),
        "library": corpus.library_version(),
        "data_dir": str(data_dir),
        "reps": args.reps,
        "load_before": load0,
        "host_speed": corpus.host_speed(),
        "load_after": os.getloadavg()[0],
        "worst_p50": worst,
        "median_p50": median,
        "queries": rows,
        "passages": passages,
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "web.json").write_text(json.dumps(res, ensure_ascii=False, indent=2))
    print(f"→ {OUT / 'web.json'}")


if __name__ == "__main__":
    main()
