"""The address guard: in the default setting, loopback, private and link-local addresses are refused after
DNS resolution and on every redirect, before anything is sent.

Only loopback addresses are ever contacted here. A "victim" server on 127.0.0.1 counts what reaches it and
must see nothing; 10.0.0.1 and 169.254.169.254 are refused before any connection is attempted (were the
guard broken, the test would fail on the refused-list assertions, not reach them: the guard runs first).
"""

from __future__ import annotations

import ipaddress

import pytest
from conftest import make_settings
from news_site import NewsSite

from assay.errors import FetchRefused
from assay.ingest.fetch import AddressPolicy, Fetcher, _GuardedBackend
from assay.interfaces import service
from assay.settings import Settings
from assay.workspace import Workspace

METADATA = "http://169.254.169.254/latest/meta-data/"
PRIVATE = "http://10.0.0.1/internal"


@pytest.fixture
def victim():
    with NewsSite("127.0.0.1", articles=[]) as s:
        yield s


def forbidden_urls(victim: NewsSite) -> list[str]:
    port = victim.server.server_address[1]
    return [
        f"{victim.base}/secret",
        f"http://localhost:{port}/secret",
        f"http://127.1:{port}/secret",
        f"http://0x7f000001:{port}/secret",
        f"http://[::1]:{port}/secret",
        f"http://[::ffff:127.0.0.1]:{port}/secret",
        PRIVATE,
        "http://192.168.1.1/",
        "http://172.16.0.1/",
        METADATA,
        "http://[fe80::1]/",
        "http://0.0.0.0/",
    ]


def test_default_setting_refuses_loopback_private_and_link_local(victim, tmp_path):
    settings = make_settings(tmp_path)
    assert settings.fetch_allow_networks == []
    with Fetcher(settings) as f:
        for url in forbidden_urls(victim):
            with pytest.raises(FetchRefused, match="refused"):
                f.get(url)
        assert f.requests == 0
    assert sum(victim.requests.values()) == 0


def test_other_schemes_are_refused(tmp_path):
    with Fetcher(make_settings(tmp_path)) as f:
        for url in ("file:///etc/passwd", "ftp://example.com/x", "gopher://127.0.0.1:70/", "data:text/html,x"):
            with pytest.raises(FetchRefused, match="not an http"):
                f.get(url)


def test_the_connection_itself_is_guarded(victim):
    """Even a request that got past the first check (a name that resolves anew) cannot connect."""
    backend = _GuardedBackend(AddressPolicy([]))
    with pytest.raises(FetchRefused):
        backend.connect_tcp("127.0.0.1", victim.server.server_address[1], timeout=2)
    assert sum(victim.requests.values()) == 0


def test_policy_addresses():
    policy = AddressPolicy([])
    for text in ("127.0.0.1", "10.0.0.1", "169.254.169.254", "192.168.0.1", "100.64.0.1", "::1", "fe80::1",
                 "fc00::1", "::ffff:10.0.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255"):  # fmt: skip
        assert not policy.allowed(ipaddress.ip_address(text)), text
    for text in ("8.8.8.8", "1.1.1.1", "2001:4860:4860::8888"):
        assert policy.allowed(ipaddress.ip_address(text)), text
    allowed = AddressPolicy(["127.0.0.2/32"])
    assert allowed.allowed(ipaddress.ip_address("127.0.0.2"))
    assert not allowed.allowed(ipaddress.ip_address("127.0.0.1"))


def test_bad_allow_list_stops_start_up(tmp_path):
    with pytest.raises(ValueError, match="not a network"):
        Settings(home=tmp_path, fetch_allow_networks=["localhost"])


def test_a_source_on_loopback_is_refused_by_default(victim, tmp_path):
    with Workspace(make_settings(tmp_path)) as ws:
        service.add_source(ws, f"{victim.base}/feed.xml")
        report = service.fetch_sources(ws)
        assert [u for u, _ in report.refused] == [f"{victim.base}/feed.xml"]
        assert ws.store.web_sources()[0].status.startswith("refused: 127.0.0.1 resolves to 127.0.0.1")
    assert sum(victim.requests.values()) == 0


def test_feed_items_and_redirects_to_forbidden_addresses_are_refused(victim, tmp_path):
    """The feed's own server (127.0.0.2) is allowed; what its entries point at, directly or through a
    redirect, is not: the victim on 127.0.0.1, a private address, the cloud metadata address."""
    with NewsSite("127.0.0.2") as site:
        redirects = [f"{site.base}/redirect?to={u}" for u in (PRIVATE, METADATA, f"{victim.base}/secret")]
        site.extra_feed_items = [f"{victim.base}/secret", PRIVATE, METADATA, *redirects]
        settings = make_settings(tmp_path, fetch_allow_networks=["127.0.0.2/32"], fetch_host_interval=0)
        with Workspace(settings) as ws:
            service.add_source(ws, f"{site.base}/feed.xml")
            report = service.fetch_sources(ws)
            assert sorted(u for u, _ in report.refused) == sorted(site.extra_feed_items)
            assert all("refused" in why for _, why in report.refused)
            assert report.ingest.added == len(site.articles) and report.failed == []
            assert site.requests["/redirect"] == 3  # the redirects were answered; their targets never asked
            again = service.fetch_sources(ws)  # the feed is unchanged: 304, nothing refused anew
            assert again.not_modified == 1 and again.refused == []
    assert sum(victim.requests.values()) == 0


def test_a_feed_body_that_names_a_local_file_is_not_opened(tmp_path):
    """feedparser tries bytes as a file name: a body "/path/to/feed.xml" must not make it read that file."""
    from news_site import real_articles, rss

    from assay.errors import RecordError
    from assay.ingest.feeds import parse_feed

    local = tmp_path / "local-feed.xml"
    articles = real_articles(2)
    local.write_text(rss(articles, "https://news.example.com"), encoding="utf-8")
    assert len(parse_feed(local.read_bytes(), "https://news.example.com/feed.xml").entries) == len(articles)
    for body in (str(local).encode(), b"/dev/zero", b"/etc/passwd"):
        with pytest.raises(RecordError, match="not an RSS or Atom feed"):
            parse_feed(body, "https://news.example.com/feed.xml")
