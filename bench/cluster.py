"""A small assay cluster on loopback, as the README's deployment describes it: PostgreSQL (a server of its own,
tests/pg.py: initdb in a temporary directory, durable defaults), two API nodes (`assay serve`, each its own data
directory and full-text index following the store's change log) and three workers (`assay worker`). A benchmark,
not a test (issue 18).

1. `assay ingest --queue-only` of the generated corpus (bench/corpus.py): the inputs go to the store's ingest
   queue as chunks and the three workers write them. Reported: documents/s (wall, from the first chunk queued to
   the last written), each worker's serialized seconds (holding the story lock: the chunk's cluster plan and its
   transaction) and the projection of the serialized part: documents / serialized seconds of all workers = the
   documents/s no number of workers can pass.
2. Both API nodes catch up (their /api/health `behind` reaches 0; the time it took is reported) and answer the
   queries of bench_load.py: the same page from each (ids of the first 20).
3. Searches alone against the two nodes, 16 concurrent clients, for ``--seconds``: requests/s, p50/p99, errors.

    python bench/cluster.py                       # 20,000 documents
    python bench/cluster.py --docs 200000 --seconds 30
    python bench/cluster.py --keep                # leave it running (prints the URLs; Ctrl-C stops it)

Writes bench/out/cluster.json.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import itertools
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import corpus  # noqa: E402
from bench_load import QUERIES  # noqa: E402
from bench_web import free_port, pct  # noqa: E402
from pg import PgServer  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
REPO = Path(__file__).resolve().parents[1]


def _env(home: Path, url: str) -> dict:
    return {**os.environ, "ASSAY_HOME": str(home), "ASSAY_DATABASE_URL": url, "ASSAY_WORKERS": "1"}


def _start(home: Path, url: str, *args: str, log: Path) -> subprocess.Popen:
    out = open(log, "w")  # noqa: SIM115 - the process writes it until it stops
    return subprocess.Popen(
        [sys.executable, "-m", "assay", *args], env=_env(home, url), stdout=out, stderr=subprocess.STDOUT, cwd=REPO
    )


def _wait_http(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"no answer from {url} in {seconds} s")


async def _load(bases: list[str], clients: int, seconds: float) -> dict:
    times: list[float] = []
    errors: list[str] = []
    end = time.monotonic() + seconds

    async def client(k: int) -> None:
        async with httpx.AsyncClient(timeout=30) as http:
            i = k
            while time.monotonic() < end:
                base = bases[i % len(bases)]
                q = QUERIES[i % len(QUERIES)]
                i += 1
                t0 = time.perf_counter()
                try:
                    r = await http.get(f"{base}/api/search?q={quote(q)}&limit=20")
                    if r.status_code != 200:
                        errors.append(f"{r.status_code}")
                        continue
                except httpx.HTTPError as exc:
                    errors.append(type(exc).__name__)
                    continue
                times.append(time.perf_counter() - t0)

    await asyncio.gather(*(client(k) for k in range(clients)))
    return {
        "requests": len(times),
        "errors": len(errors),
        "requests_per_s": round(len(times) / seconds, 1),
        "p50_ms": round(pct(times, 50) * 1000, 1) if times else None,
        "p99_ms": round(pct(times, 99) * 1000, 1) if times else None,
    }


def _first(path: Path, n: int, root: Path) -> Path:
    """The first ``n`` records of the generated corpus (it is made at 200,000 at least)."""
    if n >= 200_000:
        return path
    out = root / f"corpus-{n}.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as src, gzip.open(out, "wt", encoding="utf-8") as dst:
        for line in itertools.islice(src, n):
            dst.write(line)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=20_000)
    ap.add_argument("--corpus", type=Path, help="a JSONL(.gz) corpus instead of the generated one")
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--nodes", type=int, default=2)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--keep", action="store_true", help="keep the cluster running until Ctrl-C")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="assay-cluster-"))
    path = args.corpus or _first(corpus.ensure(max(args.docs, 200_000)), args.docs, root)
    server = PgServer()
    server.start(durable=True)
    url = server.new_database()
    procs: list[subprocess.Popen] = []
    result: dict = {"corpus": str(path), "workers": args.workers, "nodes": args.nodes, "host": corpus.host_speed()}
    try:
        bases = []
        for k in range(args.nodes):
            port = free_port()
            procs.append(_start(root / f"api{k}", url, "serve", "--port", str(port), log=root / f"api{k}.log"))
            bases.append(f"http://127.0.0.1:{port}")
        for base in bases:
            _wait_http(f"{base}/api/health")
        workers = [
            _start(root / f"worker{k}", url, "worker", "--only", "ingest", log=root / f"worker{k}.log")
            for k in range(args.workers)
        ]
        procs += workers
        print(f"PostgreSQL {url}; API nodes {' '.join(bases)}; {args.workers} workers; logs in {root}", flush=True)
        t0 = time.perf_counter()
        ingest = subprocess.run(
            [sys.executable, "-m", "assay", "ingest", "--queue-only", "--json", str(path)],
            env=_env(root / "cli", url),
            capture_output=True,
            text=True,
            cwd=REPO,
        )
        wall = time.perf_counter() - t0
        if ingest.returncode != 0:
            raise SystemExit(ingest.stderr[-3000:])
        report = json.loads(ingest.stdout)
        docs = report["added"] + report["updated"] + report["unchanged"]
        cpu0 = server.cpu_seconds()
        serial = []
        for w in workers:  # stopped now: each prints its chunks and its serialized seconds
            w.send_signal(signal.SIGTERM)
            w.wait(timeout=60)
        for k in range(args.workers):
            text = (root / f"worker{k}.log").read_text()
            line = [ln for ln in text.splitlines() if "serialized" in ln]
            serial.append(float(line[-1].rsplit(",", 1)[1].split()[0]) if line else 0.0)
        result["ingest"] = {
            "documents": docs,
            "added": report["added"],
            "wall_s": round(wall, 2),
            "docs_per_s": round(docs / wall, 1),
            "serialized_s": [round(s, 2) for s in serial],
            "serialized_ms_per_doc": round(sum(serial) * 1000 / max(docs, 1), 4),
            "serialized_ceiling_docs_per_s": round(docs / sum(serial)) if sum(serial) else None,
            "postgres_cpu_s": round(cpu0, 1),
        }
        print(json.dumps(result["ingest"]), flush=True)
        t1 = time.perf_counter()
        behind = {}
        for base in bases:
            while True:
                h = httpx.get(f"{base}/api/health", timeout=30).json()
                if h["index"]["behind"] == 0 and h["documents"] == report["added"]:
                    break
                time.sleep(0.5)
            behind[base] = round(time.perf_counter() - t1, 1)
        result["catch_up_s"] = behind
        same, differ = 0, []
        for q in QUERIES:
            for sort in ("smart", "latest", "relevance"):
                pages = [
                    [
                        h["id"]
                        for h in httpx.get(f"{b}/api/search?q={quote(q)}&limit=20&sort={sort}", timeout=30).json()[
                            "hits"
                        ]
                    ]
                    for b in bases
                ]
                if all(p == pages[0] for p in pages):
                    same += 1
                else:
                    differ.append({"query": q, "sort": sort, "pages": pages})
        result["same_pages"] = f"{same}/{3 * len(QUERIES)}"
        result["different_pages"] = differ
        result["search"] = asyncio.run(_load(bases, args.clients, args.seconds))
        print(json.dumps({k: result[k] for k in ("catch_up_s", "same_pages", "search")}), flush=True)
        OUT.mkdir(exist_ok=True)
        (OUT / "cluster.json").write_text(json.dumps(result, indent=2))
        if args.keep:
            print("running; Ctrl-C stops it", flush=True)
            signal.pause()
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        server.stop()


if __name__ == "__main__":
    main()
