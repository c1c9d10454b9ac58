"""`assay serve` and `assay keys`, run as a user runs them: real processes, real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager

from conftest import DEMO
from test_cli import assay


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    raise AssertionError(f"server did not answer {url} in {seconds} s")


def post_json(url: str, body: dict, key: str | None = None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json", **({"X-API-Key": key} if key else {})}
    req = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@contextmanager
def served(home, *args: str, **env):
    """`assay serve` over ``home`` in its own process on a free port: yields the base URL once it answers."""
    port = free_port()
    env = {"ASSAY_HOME": str(home), "ASSAY_WORKERS": "1", "PATH": "", **env}
    cmd = [sys.executable, "-m", "assay", "serve", "--port", str(port), *args]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/api/health", proc)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_keys_create_list_revoke(tmp_path):
    created = assay("keys", "create", "nightly job", home=tmp_path)
    raw = created.stdout.strip()
    assert raw.startswith("assay_") and len(raw) > 40 and "shown only now" in created.stderr
    listed = json.loads(assay("keys", "list", "--json", home=tmp_path).stdout)
    assert [(k["name"], k["revoked_at"]) for k in listed] == [("nightly job", None)]
    assert raw[:12] == listed[0]["prefix"] and raw not in assay("keys", "list", home=tmp_path).stdout
    assert "revoked key 1 (nightly job)" in assay("keys", "revoke", "nightly job", home=tmp_path).stdout
    again = assay("keys", "revoke", "nightly job", home=tmp_path, check=False)
    assert again.returncode != 0 and "no live API key" in again.stderr


def test_serve_refuses_a_public_address_in_local_only_mode(tmp_path):
    proc = assay("serve", "--host", "0.0.0.0", home=tmp_path, check=False)
    assert proc.returncode != 0 and "local-only" in proc.stderr and "ASSAY_LOCAL_ONLY=false" in proc.stderr


def test_serve_answers_over_http_and_needs_keys_when_not_local_only(tmp_path):
    assay("ingest", str(DEMO), home=tmp_path)
    raw = assay("keys", "create", "ci", home=tmp_path).stdout.strip()
    with served(tmp_path, ASSAY_LOCAL_ONLY="false") as base:
        with urllib.request.urlopen(f"{base}/api/search?q=%E7%A8%80%E5%9C%9F&limit=3") as r:
            result = json.loads(r.read())
        assert result["total"] > 50 and len(result["hits"]) == 3 and result["as_of"]
        doc = {"title": "served", "text": "经由 HTTP 写入的稀土文档。"}
        status, body = post_json(f"{base}/api/documents", doc)
        assert status == 401 and "needs an API key" in body["error"]
        status, body = post_json(f"{base}/api/documents", doc, key=raw)
        assert status == 200 and body["added"] == 1


def test_serve_with_two_processes_shares_requests_and_one_leads(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    assay("ingest", str(DEMO), home=tmp_path)
    with served(tmp_path, "--workers", "2") as base:

        def health(_):
            with urllib.request.urlopen(f"{base}/api/health", timeout=10) as r:
                return json.loads(r.read())

        deadline = time.monotonic() + 30
        seen: dict[int, bool] = {}
        while len(seen) < 2 and time.monotonic() < deadline:
            with ThreadPoolExecutor(8) as ex:
                seen.update((h["process"], h["leader"]) for h in ex.map(health, range(40)))
        assert len(seen) == 2 and sorted(seen.values()) == [False, True], seen  # two answer, one leads
        with urllib.request.urlopen(f"{base}/api/search?q=%E7%A8%80%E5%9C%9F&limit=3") as r:
            assert json.loads(r.read())["total"] > 50


def test_cli_ingest_beside_a_running_server_that_has_written(tmp_path):
    """The server takes the index writer for an upload and gives it back: `assay ingest` in another process
    can write while the server runs, and the server's searches then find what it added."""
    assay("ingest", str(DEMO), home=tmp_path)
    with served(tmp_path) as base:
        status, body = post_json(f"{base}/api/documents", {"title": "上传", "text": "服务器写入的钨矿文档。"})
        assert status == 200 and body["added"] == 1
        extra = tmp_path / "extra.md"
        extra.write_text("# 命令行写入\n\n服务器运行时由命令行写入的 Zorblaxite 矿新闻。\n", encoding="utf-8")
        query = f"{base}/api/search?q=zorblaxite"
        with urllib.request.urlopen(query) as r:
            assert json.loads(r.read())["total"] == 0
        out = assay("ingest", str(extra), home=tmp_path)
        assert "added 1" in out.stdout + out.stderr
        deadline = time.monotonic() + 10  # the server's reader picks the commit up on its own
        found = 0
        while time.monotonic() < deadline and not found:
            with urllib.request.urlopen(query) as r:
                found = json.loads(r.read())["total"]
            time.sleep(0.2)
        assert found == 1


def test_serve_groups_a_store_whose_stories_were_dropped(tmp_path):
    """A store whose clusters a migration dropped (a signature change) is grouped into stories again by the
    server itself at start-up, not only at the next upload: the same stories come back."""
    import sqlite3

    from assay.store.migrations import MIGRATIONS, SIGNATURE_CHANGE

    assay("ingest", str(DEMO), home=tmp_path)
    before = json.loads(assay("dupes", "--json", home=tmp_path).stdout)["clusters"]
    db = sqlite3.connect(tmp_path / "assay.db")
    with db:  # the signature-change migration replayed: signatures and clusters dropped
        db.executescript(MIGRATIONS[SIGNATURE_CHANGE])
    db.close()
    with served(tmp_path) as base:
        deadline = time.monotonic() + 60
        while True:
            with urllib.request.urlopen(f"{base}/api/dupes?limit=1000") as r:
                got = json.loads(r.read())
            if got["stats"]["unclustered"] == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert got["stats"]["unclustered"] == 0
        assert {frozenset(m["id"] for m in c["members"]) for c in got["clusters"]} == {
            frozenset(m["id"] for m in c["members"]) for c in before
        }
        with urllib.request.urlopen(f"{base}/api/health") as r:
            assert "stories" not in json.loads(r.read())  # shown only while grouping


def _summary_versions(home) -> dict[int, int]:
    import sqlite3

    db = sqlite3.connect(home / "assay.db")
    try:
        return dict(db.execute("SELECT template_version, COUNT(*) FROM summaries GROUP BY 1").fetchall())
    finally:
        db.close()


def _age_summaries(home) -> int:
    """Make every stored summary look written by the previous template version (an upgraded install)."""
    import sqlite3

    from assay.summarize import TEMPLATE_VERSION

    db = sqlite3.connect(home / "assay.db")
    with db:
        n = db.execute("UPDATE summaries SET template_version = ?", (TEMPLATE_VERSION - 1,)).rowcount
    db.close()
    return n


def test_summaries_of_an_older_template_are_shown_then_made_again_by_serve(tmp_path):
    """After an upgrade that changes the summary template, cards keep the older summaries (not the excerpt)
    and the server makes them again at start-up, so the store ends with one current summary per text."""
    from assay.settings import Settings
    from assay.summarize import TEMPLATE_VERSION
    from assay.workspace import Workspace

    assay("ingest", str(DEMO), home=tmp_path)
    made = _age_summaries(tmp_path)
    assert made > 400
    with Workspace(Settings(home=tmp_path)) as ws:
        assert len(ws.store.stale_summaries("extractive")) >= made - 5  # texts shared by copies count once
        page = ws.searcher.search("稀土", limit=10)
        assert page.hits and all(h.summary is not None for h in page.hits)
    with served(tmp_path) as base:
        deadline = time.monotonic() + 90
        while _summary_versions(tmp_path).get(TEMPLATE_VERSION - 1) and time.monotonic() < deadline:
            time.sleep(0.3)
        with urllib.request.urlopen(f"{base}/api/search?q=%E7%A8%80%E5%9C%9F&limit=10") as r:
            hits = json.loads(r.read())["hits"]
    assert _summary_versions(tmp_path) == {TEMPLATE_VERSION: made}
    assert hits and all(h["summary"] for h in hits)


def test_summarize_makes_summaries_of_an_older_template_again(tmp_path):
    from assay.summarize import TEMPLATE_VERSION

    assay("ingest", str(DEMO), home=tmp_path)
    made = _age_summaries(tmp_path)
    out = json.loads(assay("summarize", "--json", home=tmp_path).stdout)
    assert out["queued"] == made and out["done"] == made and out["failed"] == 0
    assert _summary_versions(tmp_path) == {TEMPLATE_VERSION: made}
    again = json.loads(assay("summarize", "--json", home=tmp_path).stdout)
    assert again["queued"] == 0  # nothing stale is left
