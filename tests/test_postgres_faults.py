"""Faults of a deployment over PostgreSQL (issue 18), as an operator meets them, with real processes: an ingest
worker killed with SIGKILL mid-chunk, the database restarted mid-ingest under workers and an API node, an API
node killed while another answers and a new one catches up. Each ends with `assay check` clean and every input
document stored exactly once."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from conftest import DEMO, data_file
from test_serve import free_port, wait_for


def _env(home: Path, url: str) -> dict:
    return {
        **{k: v for k, v in os.environ.items() if k.startswith(("PYTHON", "LC_", "LANG"))},
        "PATH": os.environ.get("PATH", ""),
        "ASSAY_HOME": str(home),
        "ASSAY_DATABASE_URL": url,
        "ASSAY_WORKERS": "1",
    }


def _assay(home: Path, url: str, *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "assay", *args],
        env=_env(home, url),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def _start(home: Path, url: str, *args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "assay", *args],
        env={**_env(home, url), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _ids(path: Path) -> set[str]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return {str(json.loads(line)["id"]) for line in f if line.strip()}


def _stored_once(url: str, sources: list[Path], documents: int) -> None:
    """Every input record is findable by its id, the store holds ``documents`` documents (one per distinct text
    id), each written by one chunk, and nothing is left unclustered."""
    from assay.store.postgres import PostgresStore

    store = PostgresStore(url)
    try:
        ids = set().union(*(_ids(p) for p in sources))
        missing = [i for i in ids if not _findable(store, i)]
        assert not missing, missing[:5]
        assert store.count() == documents
        assert store.count_unclustered() == 0
        progress = store.ingest_progress()
        assert progress.chunks["failed"] == 0 and progress.finished
        # each chunk's "done" commits with its documents, once: every document was added by exactly one chunk,
        # and none was written over by a second copy of its chunk
        assert progress.written["added"] == documents and progress.written["updated"] == 0
    finally:
        store.close()


def _findable(store, key: str) -> bool:
    from assay.errors import NotFound

    try:
        store.resolve(key)
        return True
    except NotFound:
        return False


def _check(home: Path, url: str) -> None:
    """`assay check` on a node whose index has caught up with the store (a search opens it: it catches up)."""
    _assay(home, url, "search", "稀土")
    out = _assay(home, url, "check").stdout
    assert "ok: no problems found" in out, out


def test_a_worker_killed_mid_chunk_loses_nothing_and_writes_nothing_twice(pg_server, tmp_path):
    """`assay ingest --queue-only` queues the demo corpus in chunks; one `assay worker` is killed with SIGKILL
    while it holds a chunk; a second worker takes that chunk again at once (its worker is gone) and finishes."""
    from assay.ingest import queued
    from assay.settings import Settings
    from assay.store.postgres import PostgresStore

    url = pg_server.new_database()
    store = PostgresStore(url)
    settings = Settings(home=tmp_path / "queue", database_url=url)
    old = queued.CHUNK_ITEMS
    queued.CHUNK_ITEMS = 25  # 20 chunks of the demo corpus
    try:
        enq = queued.enqueue_paths(store, settings, [DEMO])
    finally:
        queued.CHUNK_ITEMS = old
    assert enq.chunks == 20 and enq.items == 489
    first = _start(tmp_path / "w1", url, "worker", "--only", "ingest")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        p = store.ingest_progress(enq.batch)
        if p.chunks["done"] >= 2 and p.chunks["running"] >= 1:
            break
        time.sleep(0.005)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    held = store.ingest_progress(enq.batch)
    assert held.chunks["running"] == 1 and 2 <= held.chunks["done"] < 20, held  # killed holding one chunk
    second = _start(tmp_path / "w2", url, "worker", "--only", "ingest", "--once")
    out, errors = second.communicate(timeout=240)
    assert second.returncode == 0, errors[-3000:]
    final = store.ingest_progress(enq.batch)
    assert final.chunks == {"queued": 0, "running": 0, "done": 20, "failed": 0}
    assert final.written["added"] == 485 and final.written["unchanged"] == 4  # 4 records repeat a text
    store.close()
    _stored_once(url, [DEMO], 485)
    _check(tmp_path / "w2", url)


def test_the_database_restarted_mid_ingest_under_workers_and_an_api_node(pg_server, tmp_path):
    """`assay ingest` (two worker processes) of 6,195 FinNA flashes, and `assay serve` answering searches,
    while PostgreSQL is stopped and started again: the ingest finishes with every document once, the API node
    answers again without a restart, and `assay check` finds nothing."""
    finna = data_file("zh_finnews_finna.jsonl.gz")
    url = pg_server.new_database()
    _assay(tmp_path / "api", url, "ingest", str(DEMO))
    port = free_port()
    api = _start(tmp_path / "api", url, "serve", "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/api/health", api)
        before = _search(base, "稀土")
        assert before["total"] > 50
        ingest = _start(tmp_path / "ingest", url, "ingest", "--json", str(finna), ASSAY_WORKERS="2")
        from assay.store.postgres import PostgresStore

        watcher = PostgresStore(url)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and ingest.poll() is None:
            if watcher.ingest_progress().chunks["done"] >= 2:
                break
            time.sleep(0.02)
        watcher.close()
        assert ingest.poll() is None, "the ingest ended before the restart"
        pg_server.restart(down_s=3.0)
        try:
            out, errors = ingest.communicate(timeout=240)
        except subprocess.TimeoutExpired:
            ingest.kill()
            out, errors = ingest.communicate()
            raise AssertionError(f"the ingest did not finish: {errors[-5000:]}") from None
        assert ingest.returncode == 0, errors[-3000:]
        report = json.loads(out)
        assert report["quarantined"] == 0 and report["added"] + report["unchanged"] == 6195, report
        assert "reconnected" in errors or "again" in errors  # it met the restart
        deadline = time.monotonic() + 60  # the API node, never restarted, follows the restarted database
        while time.monotonic() < deadline:
            health = _get(f"{base}/api/health")
            if health["index"]["behind"] == 0 and health["documents"] == 485 + report["added"]:
                break
            time.sleep(0.2)
        assert health["index"]["behind"] == 0 and health["documents"] == 485 + report["added"], health
        after = _search(base, "稀土")
        assert after["total"] >= before["total"] and after["hits"]
    finally:
        api.terminate()
        api.wait(timeout=30)
    _stored_once(url, [DEMO, finna], 485 + report["added"])
    _check(tmp_path / "ingest", url)


def test_an_api_node_killed_the_other_answers_and_a_new_one_catches_up(pg_server, tmp_path):
    """Two `assay serve` nodes over one store; one is killed with SIGKILL; the other answers, follows an ingest
    made after the kill, and a node started afterwards builds its index from the store and gives the same page."""
    records = [json.loads(line) for line in gzip.open(DEMO, "rt", encoding="utf-8")]
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records[:300]), "utf-8")
    second.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records[300:]), "utf-8")
    url = pg_server.new_database()
    _assay(tmp_path / "cli", url, "ingest", str(first))
    nodes, bases = [], []
    try:
        for name in ("a", "b"):
            port = free_port()
            nodes.append(_start(tmp_path / name, url, "serve", "--port", str(port)))
            bases.append(f"http://127.0.0.1:{port}")
            wait_for(f"{bases[-1]}/api/health", nodes[-1], seconds=60)
        assert _search(bases[0], "稀土")["total"] == _search(bases[1], "稀土")["total"] > 0
        nodes[0].send_signal(signal.SIGKILL)
        nodes[0].wait(timeout=30)
        _assay(tmp_path / "cli", url, "ingest", str(second))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # b follows the change log (every 2 s)
            health = _get(f"{bases[1]}/api/health")
            if health["index"]["behind"] == 0 and health["documents"] == 485:
                break
            time.sleep(0.2)
        assert health["index"]["behind"] == 0 and health["documents"] == 485, health
        port = free_port()
        nodes.append(_start(tmp_path / "c", url, "serve", "--port", str(port)))
        bases.append(f"http://127.0.0.1:{port}")
        wait_for(f"{bases[-1]}/api/health", nodes[-1], seconds=60)
        assert _get(f"{bases[2]}/api/health")["index"]["behind"] == 0
        for q in ("稀土", "出口管制"):
            b, c = _search(bases[1], q), _search(bases[2], q)
            assert [h["id"] for h in b["hits"]] == [h["id"] for h in c["hits"]] and b["total"] == c["total"] > 0
    finally:
        for node in nodes:
            if node.poll() is None:
                node.terminate()
                node.wait(timeout=30)
    _stored_once(url, [DEMO], 485)
    _check(tmp_path / "cli", url)


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


def _search(base: str, q: str) -> dict:
    from urllib.parse import quote

    return _get(f"{base}/api/search?q={quote(q)}&limit=10&sort=latest")
