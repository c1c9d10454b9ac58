"""HTML pages → main text and metadata, on pages built from real documents (see news_site.py), and the
date formats of Chinese and English news pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import ingest, make_settings
from news_site import TZ, article_html, expected_time, real_articles

from assay.errors import RecordError
from assay.ingest.html import extract_html, extract_page, same_site
from assay.text.dates import find_time, parse_date
from assay.workspace import Workspace

BASE = "https://news.example.com"
NOW = datetime(2025, 10, 26, 10, 0, tzinfo=TZ)


@pytest.fixture(scope="module")
def articles():
    return real_articles()


def test_pages_give_their_article_text_exactly_and_no_clutter(articles):
    fetched_at = datetime.now(TZ)
    for a in articles:
        page = extract_page(article_html(a, BASE, fetched_at), BASE + a.path + "?utm_source=rss", fetched_at, TZ)
        assert page.text.split("\n\n") == a.paragraphs, a.slug
        for clutter in ("广告", "频道3", "热点新闻", "网友", "版权所有", "分享到", "登录"):
            assert clutter not in page.text, (a.slug, clutter)
        assert page.title == a.title
        assert page.site == a.site
        assert page.url == BASE + a.path  # the canonical link, not the tracking URL


def test_pages_give_their_published_time_in_every_style(articles):
    fetched_at = datetime.now(TZ)
    for a in articles:
        page = extract_page(article_html(a, BASE, fetched_at), BASE + a.path, fetched_at, TZ)
        if a.style == "none":  # nothing on the page: neither the footer's, the sidebar's nor the comments' dates
            assert page.published_at is None, page.published_at
            continue
        assert not page.date_only, a.style
        assert abs(page.published_at - expected_time(a, fetched_at)) < timedelta(minutes=1), a.style


def test_author_from_the_byline(articles):
    numeric = next(a for a in articles if a.style == "numeric")
    assert extract_page(article_html(numeric, BASE), BASE + numeric.path, NOW, TZ).author == "李明"


def test_a_canonical_link_to_another_site_is_ignored(articles):
    a = articles[0]
    html = article_html(a, "https://evil.example.org")
    assert extract_page(html, BASE + a.path, NOW, TZ).url == BASE + a.path
    www = extract_page(article_html(a, "https://www.example.com"), BASE + a.path, NOW, TZ)
    assert www.url == "https://www.example.com" + a.path  # the same site: accepted
    assert same_site("https://a.example.com.cn/x", "https://b.example.com.cn/y")
    assert not same_site("https://example.com.cn/x", "https://other.com.cn/y")


def test_metadata_from_json_ld_and_meta_tags():
    html = """<html><head><title>Ignored | Site</title>
    <script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"NewsArticle",
    "headline":"Copper hits a record","datePublished":"2025-10-26T06:41:00+00:00",
    "author":[{"@type":"Person","name":"Jane Doe"}],"publisher":{"@type":"Organization","name":"Metals Daily"}}]}
    </script></head><body><article><h1>Copper hits a record</h1>
    <p>Copper prices rose to a record on Friday as supply from Chile fell short of what smelters expected.</p>
    <p>Traders said the market would stay tight into next year, with inventories at their lowest since 2008.</p>
    </article></body></html>"""
    page = extract_page(html, "https://metals.example.com/a", NOW, TZ)
    assert (page.title, page.author, page.site) == ("Copper hits a record", "Jane Doe", "Metals Daily")
    assert page.published_at == datetime(2025, 10, 26, 6, 41, tzinfo=UTC)
    assert page.text.split("\n\n")[0].startswith("Copper prices rose")


def test_a_page_without_text_is_an_error():
    with pytest.raises(RecordError, match="without readable main text"):
        extract_page("<html><head><title>x</title></head><body><nav>首页</nav></body></html>")
    with pytest.raises(RecordError):
        extract_page("")


def test_html_files_keep_times_in_the_data_directory_zone(tmp_path, articles):
    a = next(a for a in articles if a.style == "zh")
    text, meta = extract_html(article_html(a, BASE))
    assert meta["date"] == a.published.replace(tzinfo=None).isoformat()  # no zone on the page: none here
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "page.html").write_text(article_html(a, BASE), encoding="utf-8")
    with Workspace(make_settings(tmp_path / "home", timezone="Asia/Shanghai")) as ws:
        assert ingest(ws, folder).added == 1
        doc = ws.store.get_document(str((folder / "page.html").resolve()))
    assert doc.published_at == a.published and doc.source == a.site and doc.url == BASE + a.path


SH = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("text", "expected", "date_only"),
    [
        ("2025年10月26日 06:41 来源：新华社", datetime(2025, 10, 26, 6, 41, tzinfo=SH), False),
        ("2025年10月26日06:41", datetime(2025, 10, 26, 6, 41, tzinfo=SH), False),
        ("2025-10-26 06:41", datetime(2025, 10, 26, 6, 41, tzinfo=SH), False),
        ("发布时间：2025/10/26 06:41:30", datetime(2025, 10, 26, 6, 41, 30, tzinfo=SH), False),
        ("2025年10月26日（星期日）下午3时05分", datetime(2025, 10, 26, 15, 5, tzinfo=SH), False),
        ("2025.10.26", datetime(2025, 10, 26, tzinfo=SH), True),
        ("2025年10月26日", datetime(2025, 10, 26, tzinfo=SH), True),
        ("10月25日 18:30", datetime(2025, 10, 25, 18, 30, tzinfo=SH), False),
        ("12月31日 08:00", datetime(2024, 12, 31, 8, 0, tzinfo=SH), False),  # not in the future: last year
        ("3小时前", NOW - timedelta(hours=3), False),
        ("15分钟前", NOW - timedelta(minutes=15), False),
        ("2 hours ago", NOW - timedelta(hours=2), False),
        ("an hour ago", NOW - timedelta(hours=1), False),
        ("昨天 06:41", datetime(2025, 10, 25, 6, 41, tzinfo=SH), False),
        ("前天 22:10", datetime(2025, 10, 24, 22, 10, tzinfo=SH), False),
        ("刚刚", NOW, False),
        ("Yesterday at 9:15", datetime(2025, 10, 25, 9, 15, tzinfo=SH), False),
        ("October 26, 2025 6:41 pm", datetime(2025, 10, 26, 18, 41, tzinfo=SH), False),
        ("26 Oct 2025, 06:41", datetime(2025, 10, 26, 6, 41, tzinfo=SH), False),
        ("2025-10-26T06:41:00Z", datetime(2025, 10, 26, 6, 41, tzinfo=UTC), False),
        ("Published 2025-10-26 06:41 GMT", datetime(2025, 10, 26, 6, 41, tzinfo=UTC), False),
    ],
)
def test_find_time(text, expected, date_only):
    dt, day = find_time(text, SH, NOW)
    assert (dt, day) == (expected, date_only)
    assert dt.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("text", ["nothing here", "2025-13-45 10:00", "2025年2月30日", "第3小时", "99:99"])
def test_find_time_finds_nothing_in_text_without_a_date(text):
    assert find_time(text, SH, NOW) == (None, False)


def test_relative_times_need_the_fetch_time():
    assert find_time("3小时前", SH) == (None, False)
    assert parse_date("3小时前", SH) == (None, False)


def test_an_xhtml_page_with_an_xml_declaration_keeps_its_metadata(articles):
    a = next(a for a in articles if a.style == "zh")
    page = extract_page('<?xml version="1.0" encoding="utf-8"?>\n' + article_html(a, BASE), BASE + a.path, NOW, TZ)
    assert (page.title, page.site, page.published_at) == (a.title, a.site, a.published)


@pytest.mark.parametrize(
    ("head", "title"),
    [
        (
            "<title>ARGENTINA COULD SUSPEND DEBT PAYMENTS - DEPUTY</title>",
            "ARGENTINA COULD SUSPEND DEBT PAYMENTS - DEPUTY",
        ),
        ('<title>稀土新规发布_新闻频道_央视网</title><meta property="og:site_name" content="央视网">', "稀土新规发布"),
        ("<title>Copper hits a record | Metals News</title>", "Copper hits a record"),
        ('<meta property="og:title" content="铜价创新高 - 财经网">', "铜价创新高"),
    ],
)
def test_titles_lose_the_site_name_not_their_own_parts(head, title):
    body = "<p>" + "Copper prices rose to a record on Friday as supply fell short. " * 3 + "</p>"
    assert extract_page(f"<html><head>{head}</head><body><article>{body}</article></body></html>").title == title
