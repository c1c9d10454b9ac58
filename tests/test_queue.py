"""The summary queue: ingest enqueues, workers drain, a killed worker loses nothing and doubles nothing."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from conftest import ingest, make_settings, read_records
from llm_server import LLMServer

from assay.summarize import TEMPLATE_VERSION
from assay.summarize.worker import SummaryWorker, make_summarizer
from assay.workspace import Workspace


@pytest.fixture(scope="module")
def server():
    with LLMServer() as srv:
        yield srv


def cctv_file(tmp_path, n: int, start: int = 0):
    """``n`` real CCTV 新闻联播 items (short ones: the test is about the queue, not the model)."""
    records = [r for r in read_records("zh_news_cctv_xwlb.jsonl.gz", 3000) if len(r["text"]) < 1500][start : start + n]
    path = tmp_path / f"cctv-{start}-{n}.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def llm_settings(home, server, model: str = "echo", **kw):
    return make_settings(home, summary_backend="openai", llm_base_url=server.url, llm_model=model, **kw)


def summary_rows(db, backend: str) -> dict[str, int]:
    """content_hash → how many summaries of that backend it has."""
    con = sqlite3.connect(db)
    try:
        rows = con.execute(
            "SELECT d.content_hash, COUNT(s.content_hash) FROM documents d LEFT JOIN summaries s"
            " ON s.content_hash = d.content_hash AND s.backend = ? GROUP BY d.content_hash",
            (backend,),
        ).fetchall()
    finally:
        con.close()
    return dict(rows)


def test_ingest_enqueues_and_the_worker_drains_once(tmp_path, server):
    settings = llm_settings(tmp_path / "home", server)
    with Workspace(settings) as ws:
        report = ingest(ws, cctv_file(tmp_path, 12))
        assert ws.store.queue_counts("openai:echo")["queued"] == report.added == 12
        ingest(ws, cctv_file(tmp_path, 12))  # the same input again queues nothing new
        assert ws.store.queue_counts("openai:echo")["queued"] == 12
        worker = SummaryWorker(ws.store, make_summarizer(settings), concurrency=3)
        done = worker.run(once=True)
        assert (done.done, done.failed) == (12, 0)
        assert ws.store.queue_counts("openai:echo") == {"queued": 0, "running": 0, "done": 12, "failed": 0}
        # search shows the LLM summary (the preferred backend), verified
        hit = ws.searcher.search("", limit=1).hits[0]
        assert hit.summary.backend == "openai:echo"
        assert all(b.check == "supported" for s in hit.summary.sections for b in s.bullets)
        # the extractive summary written at ingest is still there as the fallback
        assert ws.store.summaries_for([ws.store.get_document(hit.id)], "extractive", TEMPLATE_VERSION)
        # the verifier's figures per backend, in stats: extractive bullets are verbatim, echo quotes sentences
        ver = ws.store.stats()["verification"]
        assert ver["openai:echo"]["summaries"] == 12 and ver["openai:echo"]["supported_share"] == 1.0
        assert ver["extractive"]["supported_share"] == 1.0 and ver["extractive"]["supported"] >= 36


def test_unsupported_bullets_lower_the_published_share(tmp_path, server):
    settings = llm_settings(tmp_path / "home", server, model="badcite")
    with Workspace(settings) as ws:
        ingest(ws, cctv_file(tmp_path, 3))
        SummaryWorker(ws.store, make_summarizer(settings), concurrency=3).run(once=True)
        ver = ws.store.stats()["verification"]["openai:badcite"]
        assert (ver["summaries"], ver["supported"], ver["unsupported"], ver["supported_share"]) == (3, 0, 3, 0.0)


def test_failures_are_retried_then_kept_with_their_reason(tmp_path, server):
    settings = llm_settings(tmp_path / "home", server, model="alwaysbad")
    with Workspace(settings) as ws:
        ingest(ws, cctv_file(tmp_path, 2))
        worker = SummaryWorker(ws.store, make_summarizer(settings), concurrency=2, retry_s=0)
        report = worker.run(once=True)
        assert report.failed == 2 and report.done == 0
        failed = ws.store.failed_jobs()
        assert len(failed) == 2 and "unusable twice" in failed[0]["error"]


def test_summarize_command_queues_and_writes_with_force(tmp_path, server):
    home = tmp_path / "home"
    env = {
        **os.environ,
        "ASSAY_HOME": str(home),
        "ASSAY_LLM_BASE_URL": server.url,
        "ASSAY_LLM_MODEL": "echo",
        "ASSAY_WORKERS": "1",
    }
    run = lambda *a: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "assay", *a], env=env, capture_output=True, text=True, timeout=300, check=True
    )
    run("ingest", str(cctv_file(tmp_path, 5)))
    out = json.loads(run("summarize", "--backend", "openai", "--json").stdout)
    assert out["backend"] == "openai:echo" and out["queued"] == 5 and out["done"] == 5
    again = json.loads(run("summarize", "--backend", "openai", "--json").stdout)
    assert again["queued"] == 0  # already summarized
    forced = json.loads(run("summarize", "--backend", "openai", "--force", "--json").stdout)
    assert forced["queued"] == 5 and forced["done"] == 5
    assert set(summary_rows(home / "assay.db", "openai:echo").values()) == {1}


def test_sigkill_mid_queue_twenty_times_loses_and_doubles_nothing(tmp_path, server):
    """Kill a worker process with SIGKILL 20 times while it is working; then let one finish. Every
    document ends with exactly one current summary, and no job is lost or failed."""
    home = tmp_path / "home"
    model = "delay300"
    settings = llm_settings(home, server, model=model)
    with Workspace(settings) as ws:
        added = ingest(ws, cctv_file(tmp_path, 150)).added
    backend = f"openai:{model}"
    env = {
        **os.environ,
        "ASSAY_HOME": str(home),
        "ASSAY_SUMMARY_BACKEND": "openai",
        "ASSAY_LLM_BASE_URL": server.url,
        "ASSAY_LLM_MODEL": model,
    }
    rng = random.Random(7)
    con = sqlite3.connect(home / "assay.db", timeout=30)

    def counts():
        return dict(con.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall())

    kills = 0
    for _ in range(20):
        if counts().get("queued", 0) == 0 and counts().get("running", 0) == 0:
            break
        proc = subprocess.Popen(
            [sys.executable, "-m", "assay", "worker", "--concurrency", "4"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while counts().get("running", 0) == 0 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)  # until it has taken jobs
        time.sleep(rng.uniform(0.05, 0.6))  # then kill it at some point of its work
        proc.send_signal(signal.SIGKILL)
        proc.wait()  # reaped: its pid is gone, so the next worker takes its jobs at once
        kills += 1
    assert kills == 20, "the queue ran dry before 20 kills: make the jobs slower"
    mid = counts()
    assert mid.get("queued", 0) + mid.get("running", 0) > 0
    done = subprocess.run(
        [sys.executable, "-m", "assay", "worker", "--once", "--concurrency", "8"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    final = counts()
    con.close()
    assert final == {"done": added}, final
    per_text = summary_rows(home / "assay.db", backend)
    assert len(per_text) == added and set(per_text.values()) == {1}


def test_unsupported_bullets_are_greyed_with_the_reason_or_hidden(tmp_path, server):
    from test_api import Client

    from assay.interfaces import render
    from assay.interfaces.app import create_app

    home = tmp_path / "home"
    settings = llm_settings(home, server, model="badcite")
    with Workspace(settings) as ws:
        ingest(ws, cctv_file(tmp_path, 1))
        SummaryWorker(ws.store, make_summarizer(settings), concurrency=1).run(once=True)
        hit = ws.searcher.search("").hits[0]
        (bullet,) = hit.summary.sections[0].bullets
        assert bullet.check == "unsupported"
        assert render.summary_lines(hit.summary)[1].startswith("- [unverified: cites [99]")
        client = Client(create_app(ws.settings, ws))
        try:
            page = client.get("/", params={"q": ""}).text
            assert 'class="bullet unsupported"' in page and "cites [99], but the document has" in page
        finally:
            client.close()
    with Workspace(llm_settings(home, server, model="badcite", unsupported_bullets="hide")) as ws:
        hit = ws.searcher.search("").hits[0]
        assert hit.summary.backend == "openai:badcite" and hit.summary.sections == []  # nothing shown as fact
        assert "A claim." not in render.result_text(ws.searcher.search(""), ws.settings.tz)


def test_serve_drains_the_queue_in_process(tmp_path, server):
    """`assay serve` with an LLM backend: documents posted to the API get their LLM summaries without a
    separate worker, and stats show the queue emptying."""
    import urllib.request

    from test_serve import free_port, post_json, wait_for

    port = free_port()
    env = {
        **os.environ,
        "ASSAY_HOME": str(tmp_path / "home"),
        "ASSAY_SUMMARY_BACKEND": "openai",
        "ASSAY_LLM_BASE_URL": server.url,
        "ASSAY_LLM_MODEL": "echo",
        "ASSAY_WORKERS": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "assay", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/api/health", proc)
        records = read_records("zh_news_cctv_xwlb.jsonl.gz", 4)
        status, body = post_json(f"{base}/api/documents", {"documents": records})
        assert status == 200, body
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"{base}/api/stats", timeout=10) as r:
                stats = json.loads(r.read())
            if stats["queue"]["done"] == 4:
                break
            time.sleep(0.2)
        assert stats["queue"] == {"queued": 0, "running": 0, "done": 4, "failed": 0}
        assert stats["verification"]["openai:echo"]["summaries"] == 4
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_claim_does_not_read_the_whole_queue(tmp_path):
    """With tens of thousands of jobs queued (a template upgrade re-queues every summary), a claim walks
    the state index instead of reading and sorting every queued job: 100 claims of one job take well under
    a second (one OR query with a sort took ~20 ms a claim at this size). Fresh jobs go before retried ones."""
    from assay.store.sqlite import SqliteStore

    store = SqliteStore(tmp_path / "q.db", tmp_path / "quarantine")
    try:
        store.enqueue([(f"doc{i}", f"hash{i}") for i in range(30_000)], "extractive")
        with store._lock:
            store.db.execute("UPDATE jobs SET not_before = 1, attempts = 1 WHERE id <= 5")  # retried, due
        t = time.perf_counter()
        claimed = [job for _ in range(100) for job in store.claim("w", 1, 600.0, "extractive")]
        took = time.perf_counter() - t
        assert took < 0.5, f"100 claims took {took:.2f} s"
        assert [j.doc_id for j in claimed[:3]] == ["doc5", "doc6", "doc7"]  # fresh first, in order
        assert len({j.id for j in claimed}) == 100
    finally:
        store.close()


def _extractive_jobs(ws, path) -> list[tuple[str, str]]:
    """Ingest ``path`` (extractive summaries made at ingest), then queue every document again."""
    ingest(ws, path)
    items = ws.store.summary_candidates()
    ws.store.enqueue(items, "extractive", force=True)
    return items


def _stored_summaries(db) -> dict[str, tuple]:
    """content_hash → (summary JSON without its time, supported, unsupported, unchecked) of extractive rows."""
    con = sqlite3.connect(db)
    try:
        rows = con.execute(
            "SELECT content_hash, data, supported, unsupported, unchecked FROM summaries WHERE backend = 'extractive'"
        ).fetchall()
    finally:
        con.close()
    out = {}
    for chash, data, *counts in rows:
        d = json.loads(data)
        d.pop("created_at", None)
        out[chash] = (json.dumps(d, sort_keys=True), *counts)
    return out


def test_the_extractive_worker_writes_in_batches_what_ingest_writes(tmp_path):
    """The extractive backend computes in this process, so its worker claims, reads and writes jobs a batch
    at a time (re-making 65k summaries after an upgrade: ~420 → ~1,200 a second). What it writes is what
    ingest writes: bullets checked against the document (none left "unchecked") and kept as spans."""
    settings = make_settings(tmp_path / "home")
    with Workspace(settings) as ws:
        items = _extractive_jobs(ws, cctv_file(tmp_path, 40))
        at_ingest = _stored_summaries(settings.db_path)
        claims = []
        real_claim = ws.store.claim

        def claim(*a, **kw):
            got = real_claim(*a, **kw)
            claims.append(len(got))
            return got

        ws.store.claim = claim
        report = SummaryWorker(ws.store, make_summarizer(settings), batch=16).run(once=True)
        assert report.done == len(items) == 40 and report.failed == 0
        assert claims == [16, 16, 8, 0]
        assert ws.store.queue_counts("extractive") == {"queued": 0, "running": 0, "done": 40, "failed": 0}
    again = _stored_summaries(settings.db_path)
    assert again == at_ingest
    assert all(unchecked == 0 and supported > 0 for _, supported, _, unchecked in again.values())


def test_a_stopped_extractive_batch_gives_its_other_jobs_back(tmp_path):
    """Stopped between two summaries, the worker writes what it made and puts the rest of its batch back in
    the queue; a document deleted since it was queued fails with the reason, and one whose text changed is
    done without a summary (its new text has a job of its own)."""
    import threading

    settings = make_settings(tmp_path / "home")
    with Workspace(settings) as ws:
        items = _extractive_jobs(ws, cctv_file(tmp_path, 12))
        gone, changed = items[0][0], items[1][0]
        with ws.store._lock:
            ws.store.db.execute("DELETE FROM documents WHERE id = ?", (gone,))
            ws.store.db.execute("UPDATE documents SET content_hash = 'edited' WHERE id = ?", (changed,))
        stop = threading.Event()
        summarizer = make_summarizer(settings)
        summarize = summarizer.summarize
        made = []

        def summarize_then_stop(doc):  # the server stopping while the third summary is made
            made.append(doc.id)
            if len(made) == 3:
                stop.set()
            return summarize(doc)

        summarizer.summarize = summarize_then_stop
        report = SummaryWorker(ws.store, summarizer, batch=12).run(once=True, stop=stop)
        assert report.done == 3 and report.failed == 1
        counts = ws.store.queue_counts("extractive")
        assert counts == {"queued": 7, "running": 0, "done": 4, "failed": 1}  # 3 made + the changed one
        assert "no longer in the store" in ws.store.failed_jobs()[0]["error"]
        rest = SummaryWorker(ws.store, make_summarizer(settings), batch=12).run(once=True)
        assert rest.done == 7
        assert ws.store.queue_counts("extractive") == {"queued": 0, "running": 0, "done": 11, "failed": 1}
