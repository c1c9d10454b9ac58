"""Fetching feeds and pages from a real news site on a loopback address (news_site.py): `assay fetch`
ingests exactly the articles with their times and sources; a second fetch downloads nothing; retries,
size caps, pacing; the poll inside `assay serve`."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from conftest import make_settings
from news_site import TZ, NewsSite, expected_time
from test_cli import assay

from assay.errors import FetchError
from assay.ingest.fetch import Fetcher
from assay.interfaces import service
from assay.model import Document, document_id
from assay.workspace import Workspace

LOOPBACK = ["127.0.0.1/32"]


def fetch_settings(home, **kw):
    kw = {"fetch_allow_networks": LOOPBACK, "fetch_host_interval": 0, "fetch_backoff": 0.01, **kw}
    return make_settings(home, **kw)


@pytest.fixture
def site():
    with NewsSite() as s:
        yield s


def cli_env(monkeypatch):
    monkeypatch.setenv("ASSAY_FETCH_ALLOW_NETWORKS", json.dumps(LOOPBACK))
    monkeypatch.setenv("ASSAY_FETCH_HOST_INTERVAL", "0")
    monkeypatch.setenv("ASSAY_WORKERS", "1")


def test_fetch_ingests_exactly_the_articles_then_downloads_nothing_new(site, tmp_path, monkeypatch):
    cli_env(monkeypatch)
    home = tmp_path / "home"
    listing = tmp_path / "sources.txt"
    listing.write_text(f"# news\n{site.base}/feed.xml\n\nftp://example.com/x 坏的\n", encoding="utf-8")
    added = assay("add-source", "--file", str(listing), home=home)
    assert "1 of 2 sources added" in added.stderr and "not an http(s) URL: 'ftp://example.com/x'" in added.stderr
    started = datetime.now(UTC)
    first = json.loads(assay("fetch", "--json", home=home).stdout)
    assert first["refused"] == [] and first["failed"] == []
    assert first["articles"] == len(site.articles) and first["ingest"]["added"] == len(site.articles)
    assert all(site.bodies[a.path] == 1 for a in site.articles)
    assert site.user_agents == {"assay/0.1 (self-hosted news search; feed reader)"}

    with Workspace(make_settings(home)) as ws:
        assert ws.store.count() == len(site.articles)
        for a in site.articles:
            doc = ws.store.get_document(f"{site.base}{a.path}?utm_source=rss&from=feed")  # by the feed's link
            assert doc.url == f"{site.base}{a.path}"  # the canonical URL (its hash is the id)
            assert doc.id == document_id(Document(title="", paragraphs=[], url=doc.url))
            assert doc.title == a.title and doc.source == a.site
            assert [p.text for p in doc.paragraphs] == a.paragraphs  # exactly the article: no clutter
            want = expected_time(a, started)  # style "none": the feed's pubDate; "relative": "3小时前"
            assert abs(doc.published_at - want) < timedelta(minutes=2), (a.style, doc.published_at, want)
            assert not doc.date_only

    second = json.loads(assay("fetch", "--json", home=home).stdout)
    assert second["not_modified"] == 1 and second["articles"] == 0 and second["requests"] == 1
    assert second["downloaded"] == 0 and second["ingest"] is None
    assert site.not_modified["/feed.xml"] == 1 and site.bodies["/feed.xml"] == 1
    assert all(site.requests[a.path] == 1 for a in site.articles)  # no article asked for again
    listed = assay("sources", home=home).stdout
    assert "[feed]" in listed and f"{len(site.articles)} articles ingested" in listed


def test_a_changed_feed_brings_only_its_new_article(site, tmp_path):
    extra = site.articles.pop()
    with Workspace(fetch_settings(tmp_path)) as ws:
        service.add_source(ws, f"{site.base}/feed.xml", "测试新闻网")
        assert service.fetch_sources(ws).ingest.added == len(site.articles)
        site.articles.append(extra)  # the feed changes: a new ETag
        report = service.fetch_sources(ws)
        assert report.articles == 1 and report.ingest.added == 1
        assert all(site.bodies[a.path] == 1 for a in site.articles)
        doc = ws.store.get_document(f"{site.base}{extra.path}?utm_source=rss&from=feed")
        assert doc.source == "测试新闻网"  # the name given to the source wins over the site's


def test_a_page_source_is_fetched_with_last_modified(site, tmp_path):
    a = site.articles[2]
    with Workspace(fetch_settings(tmp_path)) as ws:
        service.add_source(ws, site.base + a.path, doc_type="report")
        assert service.fetch_sources(ws).ingest.added == 1
        again = service.fetch_sources(ws)
        assert again.not_modified == 1 and again.ingest is None
        assert site.bodies[a.path] == 1 and site.not_modified[a.path] == 1
        assert ws.store.get_document(site.base + a.path).doc_type == "report"
        source = ws.store.web_sources()[0]
        assert source.kind == "page" and source.status == "not modified"


def test_a_page_without_text_is_quarantined_and_the_run_goes_on(site, tmp_path):
    with Workspace(fetch_settings(tmp_path)) as ws:
        service.add_source(ws, f"{site.base}/empty.html")
        service.add_source(ws, f"{site.base}/nowhere.html")
        service.add_source(ws, site.base + site.articles[0].path)
        report = service.fetch_sources(ws)
        assert report.ingest.added == 1
        reasons = dict(report.failed)
        assert "without readable main text" in reasons[f"{site.base}/empty.html"]
        assert "HTTP 404" in reasons[f"{site.base}/nowhere.html"]
        assert ws.store.quarantined()[0]["input"] == f"{site.base}/empty.html"


def test_retries_with_backoff_then_gives_up(site, tmp_path):
    with Fetcher(fetch_settings(tmp_path, fetch_retries=2)) as f:
        assert f.get(f"{site.base}/flaky").status == 200
        assert site.requests["/flaky"] == 3
    site._flaky = 0
    with Fetcher(fetch_settings(tmp_path, fetch_retries=1)) as f, pytest.raises(FetchError, match="HTTP 503"):
        f.get(f"{site.base}/flaky")


def test_size_cap_and_redirects(site, tmp_path):
    with Fetcher(fetch_settings(tmp_path, fetch_max_bytes=100_000)) as f:
        with pytest.raises(FetchError, match="larger than 100000 bytes"):
            f.get(f"{site.base}/big")
        target = site.base + site.articles[0].path
        got = f.get(f"{site.base}/redirect?to={target}")
        assert got.status == 200 and got.url == target and site.requests["/redirect"] == 1


def test_requests_to_one_host_are_paced(site, tmp_path):
    with Fetcher(fetch_settings(tmp_path, fetch_host_interval=0.3)) as f:
        start = time.monotonic()
        for a in site.articles[:3]:
            f.get(site.base + a.path)
        assert time.monotonic() - start >= 0.6


def test_serve_polls_the_sources(site, tmp_path):
    from assay.interfaces.app import start_fetch_poller

    settings = fetch_settings(tmp_path, fetch_every_minutes=0.005)  # every 0.3 s
    with Workspace(settings) as ws:
        assert start_fetch_poller(ws, settings.model_copy(update={"fetch_every_minutes": 0})) is None
        service.add_source(ws, f"{site.base}/feed.xml")
        stop = start_fetch_poller(ws, settings)
        try:
            deadline = time.monotonic() + 60
            while site.not_modified["/feed.xml"] < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            stop()
        assert ws.store.count() == len(site.articles)
        assert site.bodies["/feed.xml"] == 1 and site.not_modified["/feed.xml"] >= 2


def test_sources_are_listed_once_and_removed(tmp_path):
    from assay.errors import Conflict, InputError, NotFound

    with Workspace(fetch_settings(tmp_path)) as ws:
        src = service.add_source(ws, " https://news.example.com/rss ", "示例", "report")
        assert (src.url, src.name, src.doc_type, src.kind) == ("https://news.example.com/rss", "示例", "report", None)
        with pytest.raises(Conflict):
            service.add_source(ws, "https://news.example.com/rss")
        for bad in ("file:///etc/passwd", "news.example.com/rss", "javascript:alert(1)"):
            with pytest.raises(InputError, match="not an http"):
                service.add_source(ws, bad)
        with pytest.raises(InputError, match="unknown document type"):
            service.add_source(ws, "https://news.example.com/other", doc_type="blog")
        assert ws.store.web_source(str(src.id)) == ws.store.web_source(src.url)
        assert ws.store.remove_web_source(src.url).id == src.id
        assert ws.store.web_sources() == []
        with pytest.raises(NotFound):
            ws.store.remove_web_source(str(src.id))


def test_atom_rss1_and_chinese_dates_in_feeds():
    from assay.ingest.feeds import looks_like_feed, parse_feed

    atom = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atom news</title>
    <entry><title>One</title><link rel="alternate" href="/a/1"/><id>tag:x,2025:1</id>
    <updated>2025-10-26T06:41:00+08:00</updated></entry>
    <entry><title>No link</title><id>urn:uuid:1</id></entry>
    <entry><title>Script</title><link href="javascript:alert(1)"/></entry></feed>"""
    feed = parse_feed(atom, "https://news.example.com/atom.xml")
    assert feed.title == "Atom news" and [e.url for e in feed.entries] == ["https://news.example.com/a/1"]
    assert feed.entries[0].published_at == datetime(2025, 10, 26, 6, 41, tzinfo=TZ)
    rss1 = """<?xml version="1.0" encoding="gbk"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>财经要闻</title></channel>
    <item><title>稀土</title><link>https://news.example.com/b/2</link><dc:date>2025年10月26日 06:41</dc:date></item>
    </rdf:RDF>""".encode("gbk")
    feed = parse_feed(rss1, "https://news.example.com/rss1.xml")
    assert feed.title == "财经要闻" and feed.entries[0].title == "稀土"
    assert feed.entries[0].published_at == datetime(2025, 10, 26, 6, 41, tzinfo=UTC)  # settings zone: UTC here
    assert looks_like_feed("text/html", b"<?xml version='1.0'?>\n<rss version='2.0'>")
    assert not looks_like_feed("text/html; charset=utf-8", b"<!DOCTYPE html><html>")
    assert looks_like_feed("application/atom+xml", b"")
