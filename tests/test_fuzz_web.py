"""Fuzzing the parsers that read what the web sends (hypothesis): the date finder, the HTML extractor and the
feed parser. Whatever the input, they return a value or raise the project's InputError, and quickly."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from news_site import article_html, real_articles, rss

from assay.errors import InputError
from assay.ingest.feeds import parse_feed
from assay.ingest.html import extract_page
from assay.text.dates import find_time, parse_date

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 10, 26, 10, 0, tzinfo=TZ)
FUZZ = settings(max_examples=100, deadline=2000, suppress_health_check=[HealthCheck.too_slow])

# pieces that dates are made of, so the fuzzer reaches the parsers' branches, not only their first test
DATE_BITS = st.sampled_from(
    ["2025", "年", "月", "日", "10", "26", "06", ":", "：", "41", "-", "/", ".", " ", "T", "Z", "+08:00", "下午",
     "星期日", "（", "）", "小时前", "分钟前", "天前", "昨天", "刚刚", "ago", "hours", "an", "Oct", "October", ",",
     "pm", "at", "99", "0", "9999", "时", "分", "秒", "GMT", "2", "31", "12"]
)  # fmt: skip
DATE_TEXT = st.lists(DATE_BITS | st.text(max_size=4), max_size=30).map("".join)


@FUZZ
@given(DATE_TEXT | st.text(max_size=200))
def test_dates_never_crash(text):
    for dt, date_only in (find_time(text, TZ, NOW), find_time(text, TZ), parse_date(text, TZ)):
        assert dt is None or (dt.tzinfo is not None and isinstance(date_only, bool))


@pytest.mark.parametrize(
    "text",
    [
        "2025年" * 20_000,
        "1" * 100_000,
        "2025-10-26 " * 10_000,
        ("10月26日 " + "9" * 50) * 2000,
        " " * 100_000 + "3小时前",
        "Oct " * 30_000,
        "2025-10-26T06:41" + ":" * 50_000,
    ],
)
def test_dates_do_not_hang_on_hostile_text(text):
    start = time.perf_counter()
    find_time(text, TZ, NOW)
    parse_date(text, TZ)
    assert time.perf_counter() - start < 1.0


TAGS = st.sampled_from(["p", "div", "h1", "span", "nav", "article", "time", "meta", "script", "footer", "a", "li"])
ATTRS = st.sampled_from(
    ['class="info"', 'class="comment"', 'datetime="2025-10-26T06:41"', 'property="og:site_name" content="x"',
     'rel="canonical" href="/x"', 'type="application/ld+json"', 'class="time"', ""]
)  # fmt: skip


@st.composite
def html_documents(draw, depth: int = 0):
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        if depth < 3 and draw(st.booleans()):
            tag, attr = draw(TAGS), draw(ATTRS)
            inner = draw(html_documents(depth + 1))
            parts.append(f"<{tag} {attr}>{inner}</{tag}>" if draw(st.booleans()) else f"<{tag} {attr}>{inner}")
        else:
            parts.append(draw(DATE_TEXT | st.text(max_size=80)))
    return "".join(parts)


@FUZZ
@given(html_documents() | st.text(max_size=300))
def test_html_extraction_never_crashes(html):
    try:
        page = extract_page(html, "https://news.example.com/a", NOW, TZ)
    except InputError:
        return
    assert page.text.strip()
    assert page.published_at is None or page.published_at.tzinfo is not None


@FUZZ
@given(st.data())
def test_html_extraction_survives_cut_and_spliced_real_pages(data):
    pages = [article_html(a, "https://news.example.com") for a in ARTICLES]
    page = data.draw(st.sampled_from(pages))
    cut = data.draw(st.integers(0, len(page)))
    junk = data.draw(html_documents() | st.text(max_size=50))
    try:
        extract_page(page[:cut] + junk + page[cut:][: data.draw(st.integers(0, 2000))], None, NOW, TZ)
    except InputError:
        pass


ARTICLES = real_articles(3)


@FUZZ
@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_feed_parser_never_crashes(raw):
    try:
        feed = parse_feed(raw, "https://news.example.com/feed.xml")
    except InputError:
        return
    assert all(e.url.startswith(("http://", "https://")) for e in feed.entries)


@FUZZ
@given(st.data())
def test_feed_parser_survives_mangled_real_feeds(data):
    feed = rss(ARTICLES, "https://news.example.com").encode()
    cut = data.draw(st.integers(0, len(feed)))
    junk = data.draw(st.binary(max_size=40) | st.sampled_from([b"<item>", b"</channel>", b"&amp;", b"<![CDATA["]))
    try:
        parse_feed(feed[:cut] + junk + feed[cut:], "https://news.example.com/feed.xml")
    except InputError:
        pass


@pytest.mark.parametrize("junk", [b"\x80", b"\x00"])
def test_a_garbled_encoding_name_is_not_a_crash(junk):
    """Found by the fuzzer above: a byte inside the XML declaration's encoding name crashed feedparser."""
    feed = rss(ARTICLES, "https://news.example.com").encode()
    with pytest.raises(InputError, match="not an RSS or Atom feed"):
        parse_feed(feed[:30] + junk + feed[30:], "https://news.example.com/feed.xml")
