"""SIGKILL during a folder ingest, 20 times at random moments: after each, `assay ingest` completes the work
and the store and index are consistent (whole documents, the index holding exactly the store's ids), and
no finished file is parsed twice."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, data_file, read_records

from assay.search.index import FullTextIndex
from assay.store.integrity import check_integrity
from assay.store.sqlite import SqliteStore

KILLS = 20
TEXTS_PER_ROUND = 10
PDFS = 10  # the smallest broker PDFs, each used twice (a copy under a new name is the same document)


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSAY_")}
    env.update(ASSAY_HOME=str(home), ASSAY_WORKERS="1", PYTHONPATH=str(REPO))
    return env


def _ingest(folder: Path, home: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "assay", "ingest", "--json", str(folder)]
    return subprocess.Popen(
        cmd, env=_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, cwd=REPO
    )


def _ingest_to_end(home: Path, folder: Path) -> subprocess.CompletedProcess:
    """``assay ingest --json`` of the folder, run to its end."""
    proc = _ingest(folder, home)
    out, err = proc.communicate(timeout=300)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _add_round(folder: Path, round_no: int, records: list[dict], pdfs: list[Path]) -> int:
    """New files for this round: texts from the CCTV corpus and one broker PDF. Returns how many."""
    batch = records[round_no * TEXTS_PER_ROUND : (round_no + 1) * TEXTS_PER_ROUND]
    for i, rec in enumerate(batch):
        (folder / f"r{round_no:02d}_{i:02d}.md").write_text(f"# {rec['title']}\n\n{rec['text']}", encoding="utf-8")
    pdf = pdfs[round_no % len(pdfs)]
    (folder / f"r{round_no:02d}_{pdf.name}").write_bytes(pdf.read_bytes())
    return len(batch) + 1


@pytest.mark.slow
def test_sigkill_at_random_moments_then_ingest_completes(tmp_path):
    seed = int(os.environ.get("ASSAY_CRASH_SEED", time.time()))
    rng = random.Random(seed)
    folder_pdf = data_file("broker_reports_pdf")
    pdfs = sorted((p for p in folder_pdf.glob("*.pdf") if p.name != "report_12.pdf"), key=lambda p: p.stat().st_size)
    pdfs = pdfs[:PDFS]
    records = read_records("zh_news_cctv_xwlb.jsonl.gz", KILLS * TEXTS_PER_ROUND)
    folder, home = tmp_path / "drop", tmp_path / "home"
    folder.mkdir()
    files = 0
    killed_mid_run = 0
    # how long a run lasts here (start-up included); kills are drawn inside it, so most land mid-run on a fast
    # machine too (a fixed 0.15-2 s let runs of a second finish first on fast hosts: a flaky count below)
    run_s = 2.0
    for round_no in range(KILLS):
        files += _add_round(folder, round_no, records, pdfs)
        proc = _ingest(folder, home)
        delay = rng.uniform(0.15, max(0.3, 0.9 * run_s))
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the whole group: no worker outlives it
            proc.wait()
            killed_mid_run += 1
        started = time.monotonic()
        done = _ingest_to_end(home, folder)
        run_s = min(run_s, time.monotonic() - started)
        assert done.returncode == 0, f"seed {seed}, round {round_no}: {done.stderr[-2000:]}"
        report = json.loads(done.stdout)
        assert report["quarantined"] == 0, (seed, report)
        copies = max(0, round_no + 1 - PDFS)  # PDFs seen in an earlier round: no new document
        _check(home, files, files - copies, seed, round_no)
    assert killed_mid_run >= KILLS // 2, f"seed {seed}: only {killed_mid_run} kills landed during a run"
    # a last run has nothing left to do: every file is skipped without being parsed again
    again = _ingest_to_end(home, folder)
    report = json.loads(again.stdout)
    assert (report["added"], report["updated"], report["unchanged"]) == (0, 0, files), report


def _check(home: Path, files: int, documents: int, seed: int, round_no: int) -> None:
    store = SqliteStore(home / "assay.db")
    index = FullTextIndex(home / "index")
    try:
        problems = check_integrity(store, index)
        assert problems == [], f"seed {seed}, round {round_no}: {problems}"
        finished = store.db.execute("SELECT COUNT(*) FROM files WHERE status = 'done'").fetchone()[0]
        assert finished == files, (seed, round_no, finished, files)
        assert store.count() == documents, (seed, round_no, store.count(), documents)
    finally:
        index.close()
        store.close()
