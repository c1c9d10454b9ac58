"""Benchmark: broker-report PDFs (../shared/data/broker_reports_pdf, 22 files, ~400 pages) → documents.

Each variant runs in a fresh child process (its own peak RSS); the figures are pages per second of wall time:

- baseline ``pdfium-text``: raw pypdfium2, ``get_text_range()`` per page (text only: no positions, no
  structure), one process;
- ``assay read_pdf``: characters with boxes → lines, paragraphs with pages, headings, tables, boilerplate
  dropped, first-page metadata (``assay.ingest.pdf.read_pdf``), one process, then ``--cores`` processes
  (a pool over the files);
- ``assay ingest``: the whole pipeline on the folder (``Ingestor.run``: PDF reading, segmentation,
  extractive summary, SQLite, tantivy) with ``--cores`` workers, on a fresh data directory.

Then peak memory on the largest PDF (most pages), for the baseline and for ``read_pdf``: the child's peak
RSS less its RSS before opening the file.

    python bench/bench_pdf.py
    python bench/bench_pdf.py --cores 2 --repeat 3

Writes bench/out/pdf.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DATA = Path(os.environ.get("ASSAY_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
FOLDER = DATA / "broker_reports_pdf"
OUT = Path(__file__).resolve().parent / "out"


def _rss_kb() -> int:
    """Current resident set size (kB), from /proc where there is one."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def raw_pages(path: Path) -> int:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(path.read_bytes())
    try:
        n = 0
        for i in range(len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            textpage.get_text_range()
            textpage.close()
            page.close()
            n += 1
        return n
    finally:
        pdf.close()


def assay_pages(path: Path) -> int:
    from assay.ingest.pdf import read_pdf

    return read_pdf(path.read_bytes()).pages


def _timed(fn_name: str, files: list[Path], cores: int, queue) -> None:
    fn = {"raw": raw_pages, "assay": assay_pages}[fn_name]
    fn(files[0])  # imports and PDFium's start-up outside the timing
    cpu0, start = _cpu(), time.perf_counter()
    if cores <= 1:
        pages = sum(fn(f) for f in files)
    else:
        with mp.get_context("fork").Pool(cores) as pool:
            pages = sum(pool.map(fn, files, chunksize=1))
    wall, cpu = time.perf_counter() - start, _cpu() - cpu0
    queue.put((pages, wall, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, cpu))


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the pool's workers)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _page_counts(files: list[Path], queue) -> None:
    queue.put([raw_pages(f) for f in files])


def _peak(fn_name: str, path: Path, queue) -> None:
    import pypdfium2  # noqa: F401 - loaded before the baseline RSS

    import assay.ingest.pdf  # noqa: F401

    before = _rss_kb()
    {"raw": raw_pages, "assay": assay_pages}[fn_name](path)
    queue.put((before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def _ingest(cores: int, queue) -> None:
    from assay.ingest.pipeline import Ingestor
    from assay.settings import Settings
    from assay.workspace import Workspace

    with tempfile.TemporaryDirectory() as home:
        ws = Workspace(Settings(home=Path(home), workers=cores))
        try:
            cpu0, start = _cpu(), time.perf_counter()
            report = Ingestor(ws.store, ws.index, ws.settings).run([FOLDER])
            queue.put((report.added + report.unchanged, time.perf_counter() - start, _cpu() - cpu0))
        finally:
            ws.close()


def child(target, *args):
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    out = queue.get()
    proc.join()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cores", type=int, default=2, help="processes for the parallel runs (default 2)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each variant; the best is reported")
    args = ap.parse_args()
    files = sorted(FOLDER.glob("*.pdf"))
    if not files:
        sys.exit(f"no PDFs in {FOLDER} (set ASSAY_SHARED_DATA to the shared/data folder)")
    load0 = os.getloadavg()[0]
    counts = child(_page_counts, files)  # PDFium is loaded in children only
    total_pages = sum(counts)
    size = sum(f.stat().st_size for f in files) / 1e6
    print(f"{len(files)} PDFs, {total_pages} pages, {size:.1f} MB · {os.cpu_count()} CPUs · best of {args.repeat}")
    print(f"{'variant':<34} {'pages/s':>8} {'s':>7} {'pages/CPU-s':>12} {'peak RSS MB':>12}")
    rows = []
    for label, name, cores in (
        ("pdfium-text (baseline), 1 proc", "raw", 1),
        ("assay read_pdf, 1 proc", "assay", 1),
        (f"assay read_pdf, {args.cores} procs", "assay", args.cores),
    ):
        runs = [child(_timed, name, files, cores) for _ in range(args.repeat)]
        pages, secs, rss, cpu = min(runs, key=lambda r: r[1])
        print(f"{label:<34} {pages / secs:8.1f} {secs:7.2f} {pages / cpu:12.1f} {rss / 1024:12.0f}")
        rows.append(
            {
                "variant": label,
                "pages_per_s": round(pages / secs, 1),
                "s": round(secs, 2),
                "pages_per_cpu_s": round(pages / cpu, 1),
            }
        )
    runs = [child(_ingest, args.cores) for _ in range(args.repeat)]
    docs, secs, cpu = min(runs, key=lambda r: r[1])
    label = f"assay ingest (pipeline), {args.cores} workers"
    print(f"{label:<34} {total_pages / secs:8.1f} {secs:7.2f} {total_pages / cpu:12.1f} {'':>12}  ({docs} docs)")
    rows.append(
        {
            "variant": label,
            "pages_per_s": round(total_pages / secs, 1),
            "s": round(secs, 2),
            "pages_per_cpu_s": round(total_pages / cpu, 1),
        }
    )
    pages, largest = max(zip(counts, files))
    print(f"\npeak memory on the largest PDF: {largest.name} ({pages} pages, {largest.stat().st_size / 1e6:.1f} MB)")
    memory = {}
    for label, name in (("pdfium-text (baseline)", "raw"), ("assay read_pdf", "assay")):
        before, peak = child(_peak, name, largest)
        grew = (peak - before) / 1024
        print(f"  {label:<24} +{grew:6.1f} MB over {before / 1024:.0f} MB (peak {peak / 1024:.0f} MB)")
        memory[label] = {"grew_mb": round(grew, 1), "peak_mb": round(peak / 1024)}
    print(f"load average before / after {load0:.2f} / {os.getloadavg()[0]:.2f}")
    out = {
        "date": datetime.now().isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}",
        "python": platform.python_version(),
        "library": _commit(),
        "load_before": load0,
        "load_after": os.getloadavg()[0],
        "files": len(files),
        "pages": total_pages,
        "runs": rows,
        "largest": {"file": largest.name, "pages": pages, "memory": memory},
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "pdf.json").write_text(json.dumps(out, ensure_ascii=False, indent=2))
    print(f"→ {OUT / 'pdf.json'}")


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=OUT.parent
        ).stdout.strip()
    except OSError:
        return ""


if __name__ == "__main__":
    main()
