"""Ingest benchmark: the full pipeline against its two baselines, in one run.

1. assay: ``Ingestor(ws.store, ws.index, settings).run([corpus])`` on a fresh data directory, exactly as
   ``assay ingest`` does (read → parse → split → segment → summarize → SQLite → tantivy → commit). It runs
   in a child process so its peak RSS is its own: ``ru_maxrss`` of the ingest process (RUSAGE_SELF) and of
   its largest worker (RUSAGE_CHILDREN). Main-process time in store writes / index adds / commits is
   measured by wrapping those methods (no library change).
2. segmentation alone: ``assay.search.index.index_fields`` (``assay.text.segment``: fold + rjieba +
   sub-words) over the same documents, one process; parsing records into Documents is not timed.
3. raw engine: tantivy alone, same schema, analyzer and writer settings, fed the fields of step 2;
   only ``add_document`` + ``commit`` (and the final merges) are timed.

    python bench/bench_ingest.py                      # 200,000 docs, data dir /tmp/assay-bench/store-200000
    python bench/bench_ingest.py --n 70000 --workers 2 --no-summaries
    python bench/bench_ingest.py --n 70000 --profile --skip-baselines   # where the time goes

Writes bench/out/ingest.json (ingest-no-summaries.json with --no-summaries); the data directory is kept
for bench_search.py.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # measure this checkout, not an installed assay
import corpus  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"


def default_data_dir(n: int) -> Path:
    return corpus.CACHE / f"store-{n}"


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)  # all threads of this process
    return r.ru_utime + r.ru_stime


def _rss_mb() -> int:
    try:
        with open("/proc/self/statm") as f:  # Linux: pages
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 2**20
    except OSError:
        return -1


def _dir_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6, 1)


# -- 1. the library, in a child process ------------------------------------------------------------
def run_assay(
    corpus_path: Path,
    data_dir: Path,
    workers: int,
    summaries: bool,
    profile: bool = False,
    database_url: str | None = None,
) -> dict:
    """Run ``_child`` in a fresh interpreter and return its measurements."""
    if data_dir.exists() and any(data_dir.iterdir()):
        if corpus.CACHE.resolve() not in data_dir.resolve().parents:  # never wipe a user's data dir
            sys.exit(f"{data_dir} is not empty; give a new folder or one under {corpus.CACHE}")
        shutil.rmtree(data_dir)
    cmd = [
        sys.executable,
        __file__,
        "--_child",
        json.dumps(
            {
                "corpus": str(corpus_path),
                "data_dir": str(data_dir),
                "workers": workers,
                "summaries": summaries,
                "profile": profile,
                "database_url": database_url,
            }
        ),
    ]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _timed(obj, name: str, acc: dict) -> None:
    fn = getattr(obj, name, None)
    if fn is None:  # the library renamed it: leave it out of the breakdown
        return

    def wrapper(*a, **kw):
        t = time.perf_counter()
        try:
            out = fn(*a, **kw)
            serial = getattr(out, "serialized_s", None)  # the store's serialized part of a batch write
            if serial is not None:
                acc["serialized"] = acc.get("serialized", 0.0) + serial
            return out
        finally:
            acc[name] = acc.get(name, 0.0) + time.perf_counter() - t

    setattr(obj, name, wrapper)


def _child(args: dict) -> None:
    from assay.ingest.pipeline import Ingestor
    from assay.settings import Settings
    from assay.workspace import Workspace

    settings = Settings(
        home=Path(args["data_dir"]),
        workers=args["workers"],
        summarize_on_ingest=args["summaries"],
        database_url=args.get("database_url"),
    )
    main_s: dict[str, float] = {}
    t0 = time.perf_counter()
    with Workspace(settings) as ws:
        for name in ("write_batch", "write_rows"):  # the store's batch write, whichever the library has
            _timed(ws.store, name, main_s)
        _timed(ws.index, "add", main_s)
        _timed(ws.index, "commit", main_s)
        rss: list[tuple[int, int]] = []  # (documents consumed, main-process RSS MB) every 20,000 documents

        def on_item(_prep, seen=[0]) -> None:  # noqa: B006 - a counter
            seen[0] += 1
            if seen[0] % 20_000 == 0:
                rss.append((seen[0], _rss_mb()))

        ingestor = Ingestor(ws.store, ws.index, settings, on_item=on_item)
        workers = ingestor._workers()
        if args.get("profile"):  # one process (workers=1), so cProfile sees all the work
            import cProfile
            import pstats

            prof = cProfile.Profile()
            report = prof.runcall(ingestor.run, [Path(args["corpus"])])
            OUT.mkdir(exist_ok=True)
            prof.dump_stats(OUT / "ingest.prof")
            pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(25)
        else:
            report = ingestor.run([Path(args["corpus"])])
        t1 = time.perf_counter()
        indexed = ws.index.num_docs()
    wall = time.perf_counter() - t0  # includes waiting for the index merges on close
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    docs = report.added + report.updated + report.unchanged
    print(
        json.dumps(
            {
                "docs": docs,
                "added": report.added,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "quarantined": report.quarantined,
                "indexed": indexed,
                "workers": workers,
                "summaries": args["summaries"],
                "wall_s": round(wall, 2),
                "run_s": round(t1 - t0, 2),
                "docs_per_s": round(docs / wall),
                "main_s": {k: round(v, 2) for k, v in main_s.items()},
                "rss_mb_by_docs": rss,
                "cpu_s": {
                    "main": round(me.ru_utime + me.ru_stime, 1),
                    "workers": round(kids.ru_utime + kids.ru_stime, 1),
                },
                "peak_rss_mb": {
                    "main": round(me.ru_maxrss / 1024),
                    "largest_worker": round(kids.ru_maxrss / 1024),
                    "sum_upper_bound": round((me.ru_maxrss + workers * kids.ru_maxrss) / 1024),
                },
                "store_mb": _dir_mb(Path(args["data_dir"])),
                "index_mb": _dir_mb(settings.index_dir),
            }
        )
    )


# -- 2. segmentation alone, 3. tantivy alone -------------------------------------------------------
def segment_alone(corpus_path: Path, n: int) -> tuple[float, list[dict]]:  # (seconds, fields)
    """Time ``index_fields`` (the pipeline's segmentation step) over the corpus, one process.

    Records become Documents first (parsing and paragraph splitting are not timed), so the fields are
    exactly what the pipeline hands to tantivy."""
    from assay.errors import RecordError
    from assay.ingest.records import record_to_document
    from assay.search.index import index_fields
    from assay.settings import Settings

    tz, fields, spent = Settings().tz, [], 0.0
    with gzip.open(corpus_path, "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= n:
                break
            try:
                doc = record_to_document(json.loads(line), tz)
            except RecordError:  # quarantined by the pipeline too
                continue
            t = time.perf_counter()
            fields.append(index_fields(doc))
            spent += time.perf_counter() - t
    return spent, fields


def tantivy_alone(fields: list[dict]) -> dict:
    """The library's schema and analyzer (via FullTextIndex), then the raw tantivy writer only."""
    import tantivy

    from assay.search.index import FullTextIndex

    path = Path(tempfile.mkdtemp(prefix="tantivy-raw-", dir=corpus.CACHE))
    try:
        index = FullTextIndex(path).index
        writer = index.writer(heap_size=256_000_000, num_threads=2)  # as FullTextIndex.writer
        t, cpu = time.perf_counter(), _cpu()
        for f in fields:
            writer.add_document(tantivy.Document(**f))
        t_add = time.perf_counter() - t
        writer.commit()
        writer.wait_merging_threads()
        total = time.perf_counter() - t
        return {
            "add_s": round(t_add, 2),
            "wall_s": round(total, 2),
            "docs_per_s": round(len(fields) / total),
            "cpu_s": round(_cpu() - cpu, 1),
            "index_mb": _dir_mb(path),
        }
    finally:
        shutil.rmtree(path, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200_000, help="corpus size (built by corpus.py if missing)")
    ap.add_argument("--corpus", type=Path, help="use this JSONL.gz instead of the generated corpus")
    ap.add_argument("--workers", type=int, default=0, help="ingest workers (0: the library's default)")
    ap.add_argument("--data-dir", type=Path, help="where to build the store (wiped first if under /tmp/assay-bench)")
    ap.add_argument("--no-summaries", action="store_true", help="ingest without extractive summaries")
    ap.add_argument("--skip-baselines", action="store_true")
    ap.add_argument(
        "--profile",
        action="store_true",
        help="run the ingest in one process under cProfile (bench/out/ingest.prof, top functions)",
    )
    ap.add_argument("--_child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._child:
        return _child(json.loads(args._child))

    corpus_path = args.corpus or corpus.ensure(args.n)
    data_dir = args.data_dir or default_data_dir(args.n)
    print(f"ingesting {corpus_path} → {data_dir}", file=sys.stderr)
    res = {
        "date": datetime.now().isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}",
        "python": platform.python_version(),
        "library": corpus.library_version(),
        "load_before": os.getloadavg()[0],
        "host_speed": corpus.host_speed(),
        "corpus": str(corpus_path),
        "data_dir": str(data_dir),
    }
    workers = 1 if args.profile else args.workers
    res["assay"] = a = run_assay(corpus_path, data_dir, workers, not args.no_summaries, args.profile)
    print(json.dumps(a), file=sys.stderr)
    if not args.skip_baselines:
        spent, fields = segment_alone(corpus_path, a["docs"] + a["quarantined"])
        res["segment_alone"] = {"wall_s": round(spent, 2), "docs_per_s": round(len(fields) / spent), "procs": 1}
        res["tantivy_alone"] = tantivy_alone(fields)
        del fields

    print(f"\n{'measure':<34}{'docs/s':>9}{'wall s':>9}")
    print(f"{'assay ingest (full pipeline)':<34}{a['docs_per_s']:>9}{a['wall_s']:>9}")
    for key, label in (
        ("segment_alone", "segmentation alone, 1 process"),
        ("tantivy_alone", "tantivy alone, pre-segmented"),
    ):
        if key in res:
            print(f"{label:<34}{res[key]['docs_per_s']:>9}{res[key]['wall_s']:>9}")
    print(
        f"\ndocs {a['docs']:,} (added {a['added']:,}, updated {a['updated']}, unchanged {a['unchanged']}, "
        f"quarantined {a['quarantined']}), indexed {a['indexed']:,}, workers {a['workers']}, "
        f"summaries {a['summaries']}"
    )
    print(
        f"peak RSS MB: main {a['peak_rss_mb']['main']}, largest worker {a['peak_rss_mb']['largest_worker']}, "
        f"sum ≤ {a['peak_rss_mb']['sum_upper_bound']}"
    )
    cpu_ms = {k: v * 1000 / max(a["docs"], 1) for k, v in a["cpu_s"].items()}
    total = sum(cpu_ms.values())
    res["cpu_ms_per_doc"] = {**{k: round(v, 3) for k, v in cpu_ms.items()}, "total": round(total, 3)}
    res["cpu_bound_docs_per_s"] = round((os.cpu_count() or 1) * 1000 / total)  # what idle cores would allow
    print(
        f"CPU per document: main {cpu_ms['main']:.2f} ms + workers {cpu_ms['workers']:.2f} ms = {total:.2f} ms "
        f"→ at most {res['cpu_bound_docs_per_s']} docs/s on {os.cpu_count()} idle cores"
    )
    print(
        f"CPU s: main {a['cpu_s']['main']}, workers {a['cpu_s']['workers']}; main-process time in "
        + ", ".join(f"{k} {v}s" for k, v in a["main_s"].items())
    )
    if a.get("rss_mb_by_docs"):
        print(
            "main-process RSS MB by documents consumed: "
            + ", ".join(f"{n // 1000}k {m}" for n, m in a["rss_mb_by_docs"])
        )
    if "tantivy_alone" in res:
        print(f"tantivy alone used {res['tantivy_alone']['cpu_s']} CPU s (its indexing threads included)")
    print(f"on disk: data dir {a['store_mb']} MB (index {a['index_mb']} MB)")
    res["load_after"] = os.getloadavg()[0]  # 1-minute load average: other work on the machine skews figures
    print(f"load average before / after: {res['load_before']:.2f} / {res['load_after']:.2f}")
    OUT.mkdir(exist_ok=True)
    if args.profile:
        print("(profiled run: one process, cProfile overhead; the figures are not the benchmark)")
        return
    out = OUT / ("ingest-no-summaries.json" if args.no_summaries else "ingest.json")
    out.write_text(json.dumps(res, ensure_ascii=False, indent=2))
    print(f"→ {out}")


if __name__ == "__main__":
    main()
