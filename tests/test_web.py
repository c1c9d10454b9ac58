"""The web pages, in-process (httpx over the ASGI app), on a real store built from real documents."""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import DEMO, ingest, make_settings, read_records
from markupsafe import escape
from test_api import Client
from xss import PAYLOADS, hostile_records

from assay.ingest.pipeline import Ingestor
from assay.interfaces.app import create_app
from assay.interfaces.auth import create_key
from assay.interfaces.web.pages import highlight
from assay.workspace import Workspace


def cards(page: str) -> list[str]:
    """The result cards of a search page, as HTML chunks."""
    results = page.split('<ol class="results" id="results">', 1)[-1].split("</ol>\n<nav", 1)[0]
    return results.split('<li class="card"')[1:]


BYLINE = re.compile(r'<p class="byline">(.+?)· (\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2})?)</p>')


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    workspace = Workspace(make_settings(tmp_path_factory.mktemp("web")))
    assert ingest(workspace, DEMO).added > 400
    yield workspace
    workspace.close()


@pytest.fixture(scope="module")
def client(ws):
    c = Client(create_app(ws.settings, ws))
    yield c
    c.close()


def test_search_page_is_the_reference_layout(client):
    page = client.get("/", params={"q": "稀土"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    found = cards(page.text)
    assert len(found) == 20
    bylines = [BYLINE.search(c) for c in found]
    dated = [m.group(2) for m in bylines if m]
    assert len(dated) >= 3 and all(bylines[: len(dated)])  # newest first; documents without a date last
    assert dated == sorted(dated, reverse=True)
    assert 'class="why"' not in page.text  # every card is about the query: none is marked a mention
    # the documents that only mention it are folded under the page, with a link that lists them
    folded = re.search(
        r'<details class="mentions" id="mentions">\s*<summary>(\d+) more documents mention 稀土', page.text
    )
    assert folded and int(folded.group(1)) > 50
    listed = re.search(r'<a href="([^"]+mentions=1[^"]*)">List them', page.text).group(1).replace("&amp;", "&")
    mentions = client.get(listed).text
    assert "Documents that mention 稀土 without being about it" in mentions and len(cards(mentions)) == 20
    with_summary = [c for c in found if 'class="summary"' in c]
    assert with_summary and "Core Insights" in page.text
    for card in with_summary:
        doc_id = re.search(r'href="/doc/([0-9a-f]+)"', card).group(1)
        cites = re.findall(r'class="cite" href="/doc/([0-9a-f]+)#p(\d+)"', card)
        assert cites and all(d == doc_id for d, _ in cites)
    assert page.text.count("<mark>稀土</mark>") >= 20


def test_query_filters_and_paging_live_in_the_url(client):
    page = client.get("/", params={"q": "稀土", "type": "news", "lang": "zh"}).text
    assert '<option value="news" selected>' in page and '<option value="zh" selected>' in page
    next_url = re.search(r'<a rel="next" class="next" href="([^"]+)"', page).group(1)
    params = parse_qs(urlsplit(next_url.replace("&amp;", "&")).query)
    assert params["q"] == ["稀土"] and params["type"] == ["news"] and params["lang"] == ["zh"]
    assert params["page"] == ["2"] and params["as_of"]
    second = client.get(next_url.replace("&amp;", "&")).text
    assert len(cards(second)) > 0 and 'rel="prev"' in second
    relevance = re.search(r'<a href="([^"]+)"[^>]*>Relevance</a>', page).group(1)
    assert "sort=relevance" in relevance and "type=news" in relevance


def test_the_page_says_what_it_took_from_the_query(client):
    page = client.get("/", params={"q": "稀土 source:新华"}).text
    assert "Filter taken from the query: source:新华" in page
    odd = client.get("/", params={"q": "稀土 type:memo"}).text
    assert "type:memo is not a filter" in odd and "searched as words" in odd
    old = client.get("/", params={"q": "稀土", "sort": "newest"}).text  # a link from before the smart sort
    assert '<a href="/?q=%E7%A8%80%E5%9C%9F&amp;sort=latest"' in old and 'aria-current="true">Latest' in old


def test_summary_pending_shows_the_excerpt(client, ws):
    record = read_records("zh_summ_lcsts_part3.jsonl.gz", 1)[0]  # a corpus the demo does not hold
    record["title"] = record["summary"]
    path = ws.settings.uploads_dir / "pending.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    settings = ws.settings.model_copy(update={"summarize_on_ingest": False})
    Ingestor(ws.store, ws.index, settings).run([path])
    page = client.get("/", params={"q": record["title"]}).text
    card = next(c for c in cards(page) if record["title"][:10] in c)
    assert 'class="excerpt"' in card and "summary pending" in card and 'class="summary"' not in card


def test_document_page_numbers_paragraphs_and_links_citations(client, ws):
    doc = next(d for d in ws.store.iter_documents() if len(d.paragraphs) > 5)
    page = client.get(f"/doc/{doc.id}").text
    ids = re.findall(r'class="para[^"]*" id="p(\d+)"', page)
    assert ids == [str(p.n) for p in doc.paragraphs]
    for n in re.findall(r'class="cite" href="/doc/[0-9a-f]+#p(\d+)"', page):
        assert 1 <= int(n) <= len(doc.paragraphs)
    missing = client.get("/doc/does-not-exist")
    assert missing.status_code == 404 and "no document with id" in missing.text


def test_bad_input_on_pages_is_an_error_message_not_a_crash(client):
    page = client.get("/", params={"q": "稀土", "since": "31/02/2025x"})
    assert page.status_code == 400 and "since: not a date" in page.text and 'name="q"' in page.text
    assert client.get("/", params={"page": "0"}).status_code == 422


def test_chinese_ui_by_accept_language_or_setting(client, ws):
    zh = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}).text
    assert '<html lang="zh-CN">' in zh and ">搜索<" in zh and ">工作流<" in zh
    en = client.get("/", headers={"Accept-Language": "fr-FR, en;q=0.8"}).text
    assert '<html lang="en">' in en and ">Workflows<" in en
    fixed = Client(create_app(ws.settings.model_copy(update={"ui_lang": "zh"}), ws))
    try:
        assert ">上传<" in fixed.get("/upload", headers={"Accept-Language": "en"}).text
    finally:
        fixed.close()


def test_every_document_string_is_escaped(client, ws):
    path = ws.settings.uploads_dir / "hostile.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(json.dumps(r) for r in hostile_records()) + "\n", encoding="utf-8")
    assert ingest(ws, path).added == len(PAYLOADS)
    pages = [client.get("/", params={"q": "xsstest"}).text]
    assert '<details class="similar">' in pages[0]  # the records repeat one template: their story lists them
    res = client.get("/api/search", params={"q": "xsstest", "limit": 50, "collapse": "false"}).json()
    pages += [client.get(f"/doc/{h['id']}").text for h in res["hits"]]
    assert len(pages) == 1 + len(PAYLOADS)
    for page in pages:
        assert page.count("<script") == 1  # the one static script tag of the layout
        assert "onerror=" not in page.replace("onerror=&#34;", "")
        assert not re.search(r"<(svg|img|iframe)\b", page)
        assert not re.search(r'href="\s*javascript:', page, re.I)
    every_page = "".join(pages)
    assert all(str(escape(p)) in every_page for p in PAYLOADS)


def test_highlight_escapes_each_piece():
    out = highlight("<b>稀土</b> & 稀土", [(3, 5), (12, 14)])
    assert str(out) == "&lt;b&gt;<mark>稀土</mark>&lt;/b&gt; &amp; <mark>稀土</mark>"
    assert str(highlight("abc", [(2, 9), (1, 2)])) == "a<mark>b</mark>c"


def test_workflows_create_run_delete(client):
    draft = client.get("/workflows", params={"q": "稀土", "type": "news"}).text
    assert 'name="q" value="稀土"' in draft and '<option value="news" selected>' in draft
    form = {"name": "稀土周报", "q": "稀土", "type": "news", "since": "2025-01-01", "sort": "newest"}
    created = client.post("/workflows", data=form, follow_redirects=False)
    assert created.status_code == 303 and created.headers["location"] == "/workflows"
    listing = client.get("/workflows").text
    assert "稀土周报" in listing
    run_url = re.search(r'<a class="run" href="([^"]+)"', listing).group(1).replace("&amp;", "&")
    ran = client.get(run_url).text
    assert cards(ran) and '<option value="news" selected>' in ran
    dup = client.post("/workflows", data=form)
    assert dup.status_code == 409 and "already exists" in dup.text
    sid = re.search(r'action="/workflows/(\d+)/delete"', listing).group(1)
    assert client.post(f"/workflows/{sid}/delete", follow_redirects=False).status_code == 303
    assert "稀土周报" not in client.get("/workflows").text


def test_web_writes_need_a_key_unless_local(ws):
    settings = ws.settings.model_copy(update={"local_only": False})
    remote = Client(create_app(settings, ws), client_host="203.0.113.8")
    try:
        form = {"name": "remote search", "q": "稀土"}
        refused = remote.post("/workflows", data=form)
        assert refused.status_code == 401 and "needs an API key" in refused.text
        assert ">Sign in<" in remote.get("/").text
        bad = remote.post("/login", data={"key": "assay_nope"})
        assert bad.status_code == 401 and "not valid" in bad.text
        raw, _ = create_key(ws.store, "browser")
        signed = remote.post("/login", data={"key": raw}, follow_redirects=False)
        assert signed.status_code == 303 and "httponly" in signed.headers["set-cookie"].lower()
        assert "samesite=strict" in signed.headers["set-cookie"].lower()
        assert remote.post("/workflows", data=form, follow_redirects=False).status_code == 303
    finally:
        remote.close()


def test_long_summaries_fold_under_more_in_cards(client, ws):
    page = client.get("/", params={"q": "稀土", "limit": 50}).text
    long_cards = [c for c in cards(page) if 'class="more-sections"' in c]
    assert long_cards, "some demo summary should be long enough to fold"
    for card in long_cards:
        shown, folded = card.split('<details class="more-sections">', 1)
        assert 3 <= shown.count('<li class="bullet') <= 8  # Core Insights at least, then groups up to ~8 bullets
        more = int(re.search(r"More \((\d+)\)", folded).group(1))
        assert more == folded.count('<li class="bullet') > 0
    doc_id = re.search(r'href="/doc/([0-9a-f]+)"', long_cards[0]).group(1)
    assert 'class="more-sections"' not in client.get(f"/doc/{doc_id}").text  # the document page shows it all


@contextmanager
def status_at(status, pending: int, done: int):
    """A start-up catch-up's status (``service.CatchUpStatus``) as if it were running, reset after."""
    status.pending, status.done = pending, done
    try:
        yield
    finally:
        status.pending = status.done = 0


def test_search_page_says_while_documents_are_grouped_into_stories(client):
    from assay.interfaces import service

    page = client.get("/", params={"q": "稀土"})
    assert "Grouping documents into stories" not in page.text
    with status_at(service.stories_status, 5000, 1000):
        page = client.get("/", params={"q": "稀土"})
        assert "Grouping documents into stories: 1,000 of 5,000 done" in page.text
        assert client.get("/api/health").json()["stories"] == {"grouped": 1000, "of": 5000}


def test_search_page_says_while_summaries_are_made_again(client):
    from assay.interfaces import service

    assert "summaries_renewed" not in client.get("/api/health").json()
    with status_at(service.renewal_status, 300, 120):
        page = client.get("/", params={"q": "稀土"})
        assert "Making summaries again after an upgrade: 120 of 300 done" in page.text
        assert client.get("/api/health").json()["summaries_renewed"] == {"done": 120, "of": 300}


def test_english_query_page_shows_what_it_searched_and_the_mode_switch(client):
    page = client.get("/", params={"q": "rare earth export controls"}).text
    box = re.search(r'<form class="note translation"[^>]*>(.*?)</form>', page, re.S)
    assert box, "the translation line is missing"
    edit = re.search(r'<input name="q" value="([^"]+)"', box.group(1)).group(1)
    assert edit.startswith("稀土") and "rare earth export controls" in box.group(1)
    assert '<input type="hidden" name="mode" value="keywords">' in box.group(1)
    assert page.count("<mark>稀土</mark>") >= 5  # Chinese cards, their words highlighted
    switch = re.search(r'<span class="sort mode"[^>]*>(.*?)</span>', page, re.S).group(1)
    keywords = re.search(r'<a href="([^"]+)">Keywords</a>', switch).group(1).replace("&amp;", "&")
    assert 'aria-current="true">Both languages' in switch and "mode=keywords" in keywords
    plain = client.get(keywords).text
    assert 'class="note translation"' not in plain and "<mark>稀土</mark>" not in plain
    edited = client.get("/", params={"q": edit, "mode": "keywords"}).text
    assert cards(edited) and 'class="note translation"' not in edited
