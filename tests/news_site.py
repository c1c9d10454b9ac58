"""A real news site on a loopback address, for the fetch tests: article pages built from real documents of
../shared/data (CCTV 新闻联播 items and WeChat market commentary), wrapped in what real pages carry around
an article (navigation with today's date, an ad, a "hot news" list, comments with their own times, a
footer) and an RSS feed that lists them with tracking parameters on the links.

Each article states its time the way Chinese news sites do, one format per article: "2025年10月26日 06:41",
"2025-10-26 06:41", "2025/10/26 06:41:30", a meta tag, "N小时前" (relative to the fetch), or nothing at all
(the feed's pubDate must then be used). One article is served in GBK. The server answers conditional
requests (ETag on the feed, Last-Modified on the pages) and counts, per path, the requests, the 200 bodies
and the 304s, so a test can show that a second fetch downloads nothing.

Extra paths: ``/redirect?to=URL`` (302), ``/flaky`` (503 twice, then a page), ``/big`` (larger than any
test's size cap), ``/empty.html`` (a page with no article text).
"""

from __future__ import annotations

import html
import re
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from conftest import read_records

TZ = ZoneInfo("Asia/Shanghai")
LAST_MODIFIED = "Sun, 26 Oct 2025 00:00:00 GMT"
STYLES = ("zh", "numeric", "slashes", "meta", "relative", "none")


@dataclass
class Article:
    slug: str
    title: str
    paragraphs: list[str]
    published: datetime  # what the page (or, for style "none", the feed) states
    style: str
    site: str
    charset: str = "utf-8"

    @property
    def path(self) -> str:
        return f"/news/{self.slug}.html"


def real_articles(n: int = 6) -> list[Article]:
    """Articles from real records: CCTV items (their day, a time of day added) and WeChat commentary."""
    cctv = [r for r in read_records("zh_news_cctv_xwlb.jsonl.gz", 400) if len(r["text"]) > 300][:n]
    wechat = [r for r in read_records("zh_wechat_market_commentary.jsonl.gz", 40) if len(r["text"]) > 300][:2]
    out = []
    for i, rec in enumerate(cctv + wechat):
        day = datetime.fromisoformat(rec["published_at"][:10])
        published = day.replace(hour=6 + i, minute=41 - i, tzinfo=TZ)
        style = STYLES[i % len(STYLES)]
        if style == "relative":  # "3小时前": a recent article
            published = datetime.now(TZ).replace(second=0, microsecond=0) - timedelta(hours=3)
        site = "央视网" if rec in cctv else "像鳄鱼一样思考"
        paragraphs = [_plain(p) for p in rec["text"].split("\n") if p.strip()]
        out.append(Article(f"a{i:02d}", rec["title"], paragraphs, published, style, site))
    out[1].charset = "gbk"
    return out


def _plain(text: str) -> str:
    return re.sub(r"\*\*(.+?)\*\*", r"\1", text.strip())


def article_html(a: Article, base: str, fetched_at: datetime | None = None) -> str:
    """The page of an article: the real text in the middle of a portal's clutter."""
    e = html.escape
    nav = "".join(f'<li><a href="/c/{i}">频道{i}</a></li>' for i in range(12))
    hot = "".join(f'<li><a href="/hot/{i}">热点新闻标题第{i}条 2025-11-0{i + 1} 08:00</a></li>' for i in range(5))
    comments = "".join(
        f'<div class="comment-item"><span class="user">网友{i}</span><span class="time">{i + 1}小时前</span>'
        f"<p>说得好，支持！第{i}楼</p></div>"
        for i in range(4)
    )
    body = "".join(f"<p>{e(p)}</p>" for p in a.paragraphs)
    meta = ""
    if a.style == "meta":
        meta = f'<meta property="article:published_time" content="{a.published.isoformat()}">'
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="{a.charset}">
<title>{e(a.title)}_新闻频道_{e(a.site)}</title>
<meta property="og:site_name" content="{e(a.site)}">
<link rel="canonical" href="{base}{a.path}">{meta}
<script>var _hmt = _hmt || []; window.ads = ["banner"];</script>
</head><body>
<div class="topbar">今天是2025年11月22日 星期六 北京 晴 <a href="/login">登录</a> <a href="/reg">注册</a></div>
<nav class="nav"><ul>{nav}</ul></nav>
<div class="ad-banner"><a href="/ad">广告：买房就上某某网，首付5万起，限时优惠！</a></div>
<div class="main"><div class="article">
<h1>{e(a.title)}</h1>
<div class="info">{_byline(a, fetched_at)}</div>
<div class="content">{body}</div>
<div class="share">分享到：微博 微信 QQ空间</div>
</div>
<div class="sidebar"><h3>热点新闻</h3><ul>{hot}</ul></div>
<div class="comments"><h3>网友评论（4）</h3>{comments}</div></div>
<footer><p>版权所有 © {e(a.site)} 京ICP备00000000号 2025-11-22 12:00</p></footer>
</body></html>"""


def _byline(a: Article, fetched_at: datetime | None) -> str:
    source = f"来源：{html.escape(a.site)}"
    t = a.published
    if a.style == "zh":
        return f"{t:%Y年%m月%d日 %H:%M} {source}"
    if a.style == "numeric":
        return f"{t:%Y-%m-%d %H:%M} {source} 作者：李明"
    if a.style == "slashes":
        return f"发布时间：{t:%Y/%m/%d %H:%M:%S} {source}"
    if a.style == "relative":
        hours = round(((fetched_at or datetime.now(TZ)) - t).total_seconds() / 3600)
        return f"{hours}小时前 {source}"
    return source  # "meta" (the time is in a meta tag) and "none" (the feed's pubDate is all there is)


def rss(articles: list[Article], base: str) -> str:
    items = "".join(
        f"<item><title>{html.escape(a.title)}</title><link>{base}{a.path}?utm_source=rss&amp;from=feed</link>"
        f"<guid isPermaLink='false'>{a.slug}</guid><pubDate>{format_datetime(a.published)}</pubDate>"
        f"<description>{html.escape(a.paragraphs[0][:80])}</description></item>"
        for a in articles
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>要闻 - 测试新闻网</title>'
        f"<link>{base}/</link><description>test</description>{items}</channel></rss>"
    )


class NewsSite:
    """The server. ``extra_feed_items``: more links for the feed (the SSRF tests list forbidden ones)."""

    def __init__(self, host: str = "127.0.0.1", articles: list[Article] | None = None):
        self.articles = articles if articles is not None else real_articles()
        self.extra_feed_items: list[str] = []
        self.requests: Counter = Counter()
        self.bodies: Counter = Counter()
        self.not_modified: Counter = Counter()
        self.user_agents: set[str] = set()
        self.relative_base = datetime.now(TZ)
        self._flaky = 0
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer((host, 0), self._handler())
        self.base = f"http://{host}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> NewsSite:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def feed_xml(self) -> str:
        xml = rss(self.articles, self.base)
        extra = "".join(f"<item><title>x</title><link>{html.escape(u)}</link></item>" for u in self.extra_feed_items)
        return xml.replace("</channel>", extra + "</channel>")

    def article(self, path: str) -> Article | None:
        return next((a for a in self.articles if a.path == path), None)

    def _handler(self):
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                with site._lock:
                    site.requests[parts.path] += 1
                    site.user_agents.add(self.headers.get("User-Agent", ""))
                site._route(self, parts.path, parse_qs(parts.query))

        return Handler

    def _route(self, h, path: str, query: dict) -> None:
        if path == "/feed.xml":
            body = self.feed_xml().encode()
            etag = f'"feed-{len(body)}"'
            if h.headers.get("If-None-Match") == etag:
                return self._send(h, 304, b"", path, [("ETag", etag)])
            return self._send(h, 200, body, path, [("Content-Type", "application/rss+xml"), ("ETag", etag)])
        if path == "/redirect":
            return self._send(h, 302, b"", path, [("Location", query["to"][0])])
        if path == "/flaky":
            with self._lock:
                self._flaky += 1
                n = self._flaky
            if n <= 2:
                return self._send(h, 503, b"busy", path, [("Retry-After", "0")])
            path = self.articles[0].path
        if path == "/big":
            return self._send(h, 200, b"<html><body>" + b"<p>x</p>" * 200_000 + b"</body></html>", path)
        if path == "/empty.html":
            return self._send(h, 200, b"<html><head><title>empty</title></head><body></body></html>", path)
        a = self.article(path)
        if a is None:
            return self._send(h, 404, b"not found", path)
        if h.headers.get("If-Modified-Since") == LAST_MODIFIED:
            return self._send(h, 304, b"", path, [("Last-Modified", LAST_MODIFIED)])
        body = article_html(a, self.base, self.relative_base).encode(a.charset, "xmlcharrefreplace")
        ctype = "text/html" if a.charset != "utf-8" else "text/html; charset=utf-8"
        self._send(h, 200, body, path, [("Content-Type", ctype), ("Last-Modified", LAST_MODIFIED)])

    def _send(self, h, status: int, body: bytes, path: str, headers=()) -> None:
        with self._lock:
            if status == 200:
                self.bodies[path] += 1
            elif status == 304:
                self.not_modified[path] += 1
        h.send_response(status)
        for k, v in headers:
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)


def expected_time(a: Article, fetched_at: datetime) -> datetime:
    """What the page says, as assay should read it (relative times against the fetch time, to the hour)."""
    if a.style == "relative":
        hours = round((fetched_at - a.published).total_seconds() / 3600)
        return fetched_at - timedelta(hours=hours)
    return a.published
