"""The REST API, in-process (httpx over the ASGI app), on a real store built from real documents."""

from __future__ import annotations

import asyncio
import html
import time

import httpx
import pytest
from conftest import DATA, DEMO, ingest, make_settings, read_records

from assay.interfaces.app import CSP, create_app
from assay.interfaces.auth import create_key
from assay.search.engine import ABOUT
from assay.workspace import Workspace


class Client:
    """A synchronous face on httpx.AsyncClient + ASGITransport (one event loop per client)."""

    def __init__(self, app, client_host: str = "127.0.0.1", **kw):
        self.loop = asyncio.new_event_loop()
        transport = httpx.ASGITransport(app=app, client=(client_host, 50123))
        self.http = httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000", **kw)

    def request(self, method: str, url: str, **kw) -> httpx.Response:
        return self.loop.run_until_complete(self.http.request(method, url, **kw))

    def get(self, url: str, **kw) -> httpx.Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw) -> httpx.Response:
        return self.request("POST", url, **kw)

    def delete(self, url: str, **kw) -> httpx.Response:
        return self.request("DELETE", url, **kw)

    def close(self) -> None:
        self.loop.run_until_complete(self.http.aclose())
        self.loop.close()


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    workspace = Workspace(make_settings(tmp_path_factory.mktemp("api")))
    assert ingest(workspace, DEMO).added > 400
    yield workspace
    workspace.close()


@pytest.fixture(scope="module")
def client(ws):
    c = Client(create_app(ws.settings, ws))
    yield c
    c.close()


@pytest.fixture(scope="module")
def remote(ws):
    """The same store behind a server that is not local-only (writes need a key)."""
    settings = ws.settings.model_copy(update={"local_only": False})
    c = Client(create_app(settings, ws), client_host="203.0.113.7")
    yield c
    c.close()


def html_page(record: dict) -> bytes:
    """A real document as a small HTML page (title, date, paragraphs)."""
    paras = "".join(f"<p>{html.escape(p)}</p>" for p in record["text"].split("\n") if p.strip())
    return (
        f"<html><head><title>{html.escape(record['title'])}</title>"
        f'<meta property="article:published_time" content="2025-11-01"></head>'
        f"<body><article><h1>{html.escape(record['title'])}</h1>{paras}</article></body></html>"
    ).encode()


# -- read endpoints -----------------------------------------------------------------------------------
def test_health_and_stats_count_the_store(client, ws):
    health = client.get("/api/health").json()
    vectors = health.pop("vectors")  # documents with a vector for semantic search, made in the background
    index = health.pop("index")  # this node's index against the store's change log
    assert health.pop("process") > 0 and isinstance(health.pop("leader"), bool)  # (test_serve: which leads)
    assert health == {"status": "ok", "documents": ws.store.count(), "indexed": ws.index.num_docs()}
    assert index == {"node": ws.index.node, "seq": ws.store.last_seq(), "store_seq": ws.store.last_seq(), "behind": 0}
    assert vectors["of"] == ws.store.count() and 0 <= vectors["documents"] <= vectors["of"]
    stats = client.get("/api/stats").json()
    assert stats["documents"] == ws.store.count()
    assert sum(stats["doc_type"].values()) == stats["documents"] == sum(stats["source"].values())
    days = stats["by_day"]
    assert days and list(days) == sorted(days, reverse=True)
    assert all(len(day) == 10 and n > 0 for day, n in days.items())


def test_search_smart_page_with_highlights_and_summaries(client):
    """The default page: the documents about the query, newest first, each saying why it is there; the
    count of those that only mention it, and the link that lists them."""
    res = client.get("/api/search", params={"q": "稀土", "limit": 20}).json()
    assert res["total"] > 50 and len(res["hits"]) == 20 and res["sort"] == "smart" and res["listing"] == "about"
    assert res["about"] + res["mentions"] == res["total"] and res["mentions"] > res["about"] > 20
    assert all(h["why"] == "about" and ABOUT <= h["aboutness"] <= 1 for h in res["hits"])
    dates = [h["published_at"] for h in res["hits"] if h["published_at"]]
    assert dates == sorted(dates, reverse=True)
    folded = client.get(res["mentions_url"]).json()
    assert folded["listing"] == "mentions" and folded["mentions_url"] is None
    assert folded["hits"] and all(h["why"] == "mention" and h["aboutness"] < ABOUT for h in folded["hits"])
    latest = client.get("/api/search", params={"q": "稀土", "limit": 20, "sort": "latest"}).json()
    assert latest["listing"] == "all" and latest["mentions_url"] is None
    assert {h["why"] for h in latest["hits"]} == {"about", "mention"}  # every match, each marked
    assert client.get("/api/search", params={"q": "稀土", "sort": "newest"}).json()["sort"] == "latest"
    for hit in res["hits"]:
        assert {"title", "source", "published_at", "doc_type", "snippet", "highlights", "excerpt"} <= set(hit)
        marked = [hit["snippet"][a:b] for a, b in hit["highlights"]]
        assert marked and all(m == "稀土" for m in marked)
    assert any(h["summary"] and h["summary"]["sections"] for h in res["hits"])


def test_search_filters_sort_and_paging(client):
    base = {"q": "稀土", "limit": 5}
    news = client.get("/api/search", params={**base, "type": "news", "lang": "zh"}).json()
    assert news["hits"] and all(h["doc_type"] == "news" and h["lang"] == "zh" for h in news["hits"])
    ranged = client.get("/api/search", params={**base, "since": "2025-10-01", "until": "2025-10-31"}).json()
    assert ranged["hits"] and all("2025-10" in h["published_at"][:7] for h in ranged["hits"])
    rel = client.get("/api/search", params={**base, "sort": "relevance"}).json()
    scores = [h["score"] for h in rel["hits"]]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0
    first = client.get("/api/search", params=base).json()
    assert first["next"] and "as_of=" in first["next"] and "page=2" in first["next"]
    second = client.get(first["next"]).json()
    assert second["as_of"] == first["as_of"] and second["page"] == 2
    assert not {h["id"] for h in first["hits"]} & {h["id"] for h in second["hits"]}


def test_pages_stay_stable_while_documents_arrive(client):
    params = {"q": "稀土", "limit": 3}
    first = client.get("/api/search", params=params).json()
    page2_before = client.get(first["next"]).json()
    time.sleep(1.1)  # ingest times are whole seconds: the new document lands after the first page's as_of
    record = {"title": "稀土永磁出口数据更新", "text": "海关数据显示，稀土永磁出口量环比增长。", "source": "test-wire"}
    record["published_at"] = "2099-01-01T08:00:00+08:00"  # newest of all: it would shift every page
    assert client.post("/api/documents", json=record).json()["added"] == 1
    page2_after = client.get(first["next"]).json()
    assert [h["id"] for h in page2_after["hits"]] == [h["id"] for h in page2_before["hits"]]
    assert page2_after["total"] == first["total"]
    fresh = client.get("/api/search", params=params).json()
    assert fresh["total"] == first["total"] + 1 and fresh["hits"][0]["title"] == record["title"]


def test_document_and_summary(client, ws):
    hits = client.get("/api/search", params={"q": "稀土 出口", "limit": 10}).json()["hits"]
    hit = next(h for h in hits if h["external_id"])  # a demo-corpus record (other tests add documents)
    doc = client.get(f"/api/documents/{hit['id']}").json()
    assert doc["id"] == hit["id"] and doc["title"] == hit["title"]
    assert [p["n"] for p in doc["paragraphs"]] == list(range(1, len(doc["paragraphs"]) + 1))
    by_record = client.get(f"/api/documents/{hit['external_id']}").json()
    assert by_record["id"] == hit["id"]
    summary = client.get(f"/api/documents/{hit['id']}/summary").json()
    cites = [n for s in summary["sections"] for b in s["bullets"] for n in b["cites"]]
    assert cites and all(1 <= n <= len(doc["paragraphs"]) for n in cites)


# -- errors -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "status", "needle"),
    [
        ("/api/documents/no-such-doc", 404, "no document with id 'no-such-doc'"),
        ("/api/search?limit=0", 422, "query parameter 'limit'"),
        ("/api/search?page=abc", 422, "query parameter 'page'"),
        ("/api/search?sort=oldest", 422, "query parameter 'sort'"),
        ("/api/search?since=yesterday-ish", 400, "since: not a date"),
        ("/api/search?type=memo", 400, "unknown document type 'memo'"),
        ("/api/search?as_of=soon", 400, "as_of: not an ISO 8601 time"),
        ("/api/searches/999999", 404, "no saved search with id 999999"),
        ("/api/nothing-here", 404, "no such page or endpoint: /api/nothing-here"),
    ],
)
def test_errors_are_json_with_a_clear_message(client, url, status, needle):
    r = client.get(url)
    assert r.status_code == status
    body = r.json()
    assert body["status"] == status and needle in body["error"]


def test_bad_bodies_are_refused_clearly(client):
    r = client.post("/api/documents", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and "body" in r.json()["error"]
    r = client.post("/api/documents", json="just a string")
    assert r.status_code == 400 and "expected a JSON object" in r.json()["error"]
    r = client.post("/api/documents", json={"documents": []})
    assert r.status_code == 400 and "no documents" in r.json()["error"]
    assert client.get("/api/upload").status_code == 405


# -- writes -------------------------------------------------------------------------------------------
def test_json_documents_are_ingested_and_searchable(client):
    records = read_records("zh_finnews_finna.jsonl.gz", 3)
    out = client.post("/api/documents", json={"documents": [*records, {"title": "empty", "text": " "}]}).json()
    assert out["added"] == 3 and out["quarantined"] == 1 and len(out["ids"]) == 3
    assert out["errors"] == [{"input": "documents[3]", "reason": "missing text (no non-empty 'text' field)"}]
    again = client.post("/api/documents", json={"documents": records}).json()
    assert again["unchanged"] == 3 and again["added"] == 0 and again["status"] == "unchanged"
    found = client.get("/api/search", params={"q": records[0]["title"][:6], "limit": 50}).json()
    assert out["ids"][0] in [h["id"] for h in found["hits"]]


def test_upload_of_a_real_html_file(client, ws):
    record = read_records("en_news_reuters21578.jsonl.gz", 40)[-1]
    files = {"files": ("../../../etc/reuters story.html", html_page(record), "text/html")}
    out = client.post("/api/upload", files=files).json()["files"][0]
    assert out["status"] == "added" and out["stored_as"] == "reuters story.html"
    stored = ws.settings.uploads_dir / out["stored_as"]
    assert stored.read_bytes() == html_page(record)
    assert [p.name for p in ws.settings.home.parent.iterdir() if p.name == "etc"] == []
    doc = client.get(f"/api/documents/{out['ids'][0]}").json()
    assert doc["title"] == record["title"]
    word = max(record["text"].split(), key=len).strip(".,")
    found = client.get("/api/search", params={"q": word, "limit": 50}).json()
    assert out["ids"][0] in [h["id"] for h in found["hits"]]
    again = client.post("/api/upload", files=files).json()["files"][0]
    assert again["status"] == "unchanged" and again["stored_as"] == "reuters story.html"


def test_upload_outcomes_name_their_reason(client):
    files = [
        ("files", ("tool.exe", b"MZ\x90\x00", "application/octet-stream")),
        ("files", ("blank.txt", b"   \n\n  ", "text/plain")),
        ("files", ("empty.html", b"", "text/html")),
    ]
    out = {f["file"]: f for f in client.post("/api/upload", files=files).json()["files"]}
    assert out["tool.exe"]["status"] == "failed" and "unsupported type" in out["tool.exe"]["reason"]
    assert out["blank.txt"]["status"] == "quarantined" and out["blank.txt"]["reason"] == "empty file"
    assert out["empty.html"]["status"] == "failed" and "empty" in out["empty.html"]["reason"]


def test_upload_of_a_broker_pdf(client):
    pdf = DATA / "broker_reports_pdf" / "report_06.pdf"
    if not pdf.exists():
        pytest.skip(f"real data not available: {pdf}")
    files = {"files": ("开源量化评论3.pdf", pdf.read_bytes(), "application/pdf")}
    out = client.post("/api/upload", files=files).json()["files"][0]
    assert out["status"] == "added", out
    doc = client.get(f"/api/documents/{out['ids'][0]}").json()
    assert doc["source"] == "开源证券" and doc["doc_type"] == "report"
    assert doc["title"].startswith("A 股市场中如何构造动量因子")
    assert all(p.get("page") for p in doc["paragraphs"]), doc["paragraphs"][:3]


def test_request_size_limit(ws):
    small = Client(create_app(ws.settings.model_copy(update={"max_request_bytes": 1000}), ws))
    try:
        r = small.post("/api/documents", json={"title": "x", "text": "稀土" * 2000})
        assert r.status_code == 413 and "larger than the limit of 1000 bytes" in r.json()["error"]
        assert small.get("/api/health").status_code == 200
    finally:
        small.close()


def test_saved_searches_create_run_delete(client):
    body = {"name": "稀土新闻", "query": "稀土", "filters": {"doc_type": ["news"], "since": "2025-01-01"}}
    created = client.post("/api/searches", json=body)
    assert created.status_code == 201
    saved = created.json()
    assert saved["filters"] == {"doc_type": ["news"], "since": "2025-01-01"} and saved["sort"] == "smart"
    assert client.post("/api/searches", json=body).status_code == 409
    listed = client.get("/api/searches").json()["searches"]
    assert [s["name"] for s in listed] == ["稀土新闻"]
    run = client.get(f"/api/searches/{saved['id']}").json()
    hits = run["result"]["hits"]
    assert hits and all(h["doc_type"] == "news" and h["published_at"] >= "2025-01-01" for h in hits)
    bad = client.post("/api/searches", json={"name": "x", "filters": {"colour": "red"}})
    assert bad.status_code == 400 and "unknown filter 'colour'" in bad.json()["error"]
    assert client.delete(f"/api/searches/{saved['id']}").status_code == 204
    assert client.get("/api/searches").json()["searches"] == []
    assert client.delete(f"/api/searches/{saved['id']}").status_code == 404


# -- auth and the guard -------------------------------------------------------------------------------
WRITES = [
    ("POST", "/api/documents", {"json": {"title": "auth probe", "text": "稀土 auth probe"}}),
    ("POST", "/api/upload", {"files": {"files": ("probe.txt", "稀土 probe".encode(), "text/plain")}}),
    ("POST", "/api/searches", {"json": {"name": "probe"}}),
    ("DELETE", "/api/searches/1", {}),
]


@pytest.mark.parametrize(("method", "url", "kw"), WRITES)
def test_writes_need_a_key_when_not_local_only(remote, method, url, kw):
    r = remote.request(method, url, **kw)
    assert r.status_code == 401 and "needs an API key" in r.json()["error"]
    r = remote.request(method, url, headers={"Authorization": "Bearer assay_wrong"}, **kw)
    assert r.status_code == 401 and "not valid" in r.json()["error"]


def test_keys_open_writes_until_revoked(remote, ws):
    raw, key = create_key(ws.store, "ci")
    assert ws.store.api_keys()[-1].prefix == raw[:12]
    assert raw not in str(ws.store.db.execute("SELECT * FROM api_keys").fetchall())  # only its hash is kept
    doc = {"title": "key probe", "text": "带密钥写入的稀土文档。"}
    assert remote.post("/api/documents", json=doc, headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    created = remote.post("/api/searches", json={"name": "keyed"}, headers={"X-API-Key": raw})
    assert created.status_code == 201
    assert remote.delete(f"/api/searches/{created.json()['id']}", headers={"X-API-Key": raw}).status_code == 204
    assert remote.get("/api/search", params={"q": "稀土"}).status_code == 200  # reads need no key
    ws.store.revoke_api_key(str(key.id))
    assert remote.post("/api/documents", json=doc, headers={"X-API-Key": raw}).status_code == 401


def test_local_only_mode_lets_loopback_write_and_nobody_else(ws, client):
    assert client.post("/api/searches", json={"name": "local"}).status_code == 201
    outsider = Client(create_app(ws.settings, ws), client_host="198.51.100.9")
    try:
        assert outsider.post("/api/searches", json={"name": "outsider"}).status_code == 401
    finally:
        outsider.close()
    r = client.get("/api/health", headers={"Host": "attacker.example:8000"})
    assert r.status_code == 400 and "local-only" in r.json()["error"]
    r = client.post("/api/searches", json={"name": "csrf"}, headers={"Origin": "https://attacker.example"})
    assert r.status_code == 403 and "cross-site" in r.json()["error"]
    names = [s["name"] for s in client.get("/api/searches").json()["searches"]]
    assert "csrf" not in names and "outsider" not in names


def test_security_headers_and_no_listing(client):
    for url in ("/", "/api/health", "/static/assay.css", "/api/nothing"):
        r = client.get(url)
        assert r.headers["content-security-policy"] == CSP and r.headers["x-content-type-options"] == "nosniff"
        assert "access-control-allow-origin" not in r.headers
    assert "script-src 'self'" in CSP and "unsafe-inline" not in CSP
    assert client.get("/static/").status_code == 404
    assert client.get("/static/../../settings.py").status_code == 404
    assert client.get("/openapi.json").json()["paths"]["/api/search"]["get"]["summary"]
    docs = client.get("/api/docs").text
    assert "/api/search" in docs and "<script>" not in docs


def test_passages_for_agents(client):
    """GET /api/passages: paragraphs across documents, each with its document, number, page and headings."""
    res = client.get("/api/passages", params={"q": "稀土 出口", "limit": 8}).json()
    assert 1 <= len(res["passages"]) <= 8 and res["documents"] >= len({p["doc_id"] for p in res["passages"]})
    scores = [p["score"] for p in res["passages"]]
    assert scores == sorted(scores, reverse=True)
    for p in res["passages"]:
        assert {"doc_id", "title", "source", "published_at", "paragraph", "page", "headings", "text"} <= set(p)
        doc = client.get(f"/api/documents/{p['doc_id']}").json()
        para = doc["paragraphs"][p["paragraph"] - 1]
        assert para["n"] == p["paragraph"] and para["text"] == p["text"] and para["page"] == p["page"]
        assert {p["text"][a:b] for a, b in p["highlights"]} <= {"稀土", "出口"}
    assert len({p["text"] for p in res["passages"]}) == len(res["passages"])  # a copy's paragraph once
    reports = client.get("/api/passages", params={"q": "稀土 type:report"}).json()
    assert reports["query_filters"] == {"doc_type": ["report"]}
    assert reports["passages"] and all(p["doc_type"] == "report" for p in reports["passages"])
    assert any(p["headings"] for p in reports["passages"])  # a digest's section headings above the paragraph
    assert client.get("/api/passages", params={"q": "稀土", "limit": 0}).status_code in (400, 422)


def test_a_search_saved_before_the_smart_sort_still_runs(client, ws):
    """Saved searches from before the smart sort hold sort="newest": they run as latest (every match, newest
    first), as they did."""
    from assay.model import SavedSearch

    old = ws.store.save_search(SavedSearch(name="旧的稀土搜索", query="稀土", sort="newest"))
    try:
        run = client.get(f"/api/searches/{old.id}").json()
        assert run["search"]["sort"] == "newest" and run["result"]["sort"] == "latest"
        assert run["result"]["listing"] == "all" and run["result"]["hits"]
        new = client.post("/api/searches", json={"name": "新的", "query": "稀土", "sort": "newest"}).json()
        assert new["sort"] == "latest"  # stored under the name it has now
        client.delete(f"/api/searches/{new['id']}")
    finally:
        ws.store.delete_saved_search(old.id)


def test_english_search_says_what_it_searched_and_saved_searches_keep_the_mode(client):
    r = client.get("/api/search", params={"q": "rare earth export controls"}).json()
    assert r["mode"] == "hybrid" and r["translation"]["from"] == "rare earth export controls"
    assert r["translation"]["query"].startswith("稀土") and any(h["lang"] == "zh" for h in r["hits"])
    kw = client.get("/api/search", params={"q": "rare earth export controls", "mode": "keywords"}).json()
    assert kw["mode"] == "keywords" and kw["translation"] is None
    assert all(h["lang"] == "en" for h in kw["hits"])
    zh = client.get("/api/search", params={"q": "稀土"}).json()
    assert zh["mode"] == "keywords" and zh["translation"] is None
    bad = client.get("/api/search", params={"q": "x", "mode": "telepathy"})
    assert bad.status_code in (400, 422)
    saved = client.post(
        "/api/searches", json={"name": "rare earths, English", "query": "rare earth", "mode": "keywords"}
    )
    assert saved.status_code == 201 and saved.json()["mode"] == "keywords"
    run = client.get(f"/api/searches/{saved.json()['id']}").json()
    assert run["result"]["mode"] == "keywords" and run["result"]["translation"] is None
    assert client.post("/api/searches", json={"name": "x", "query": "y", "mode": "telepathy"}).status_code == 400
    client.delete(f"/api/searches/{saved.json()['id']}")
