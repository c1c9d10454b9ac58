"""The web UI in real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) against a real
uvicorn server on 127.0.0.1, over a store built from the demo corpus and hostile documents."""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from conftest import DEMO, REPO, ingest, make_settings, read_records
from test_api import html_page
from xss import PAYLOADS, hostile_records

from assay.interfaces.app import create_app
from assay.workspace import Workspace

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = REPO / "artifacts"
BYLINE = re.compile(r"^.+· \d{4}-\d{2}-\d{2}( \d{2}:\d{2})?$")

sync_api = pytest.importorskip("playwright.sync_api", reason="the test extra installs playwright")
if not CHROMIUM.exists():
    why = f"{CHROMIUM} not installed (apt-get install chromium; .ci/run does it)"
    if os.environ.get("ASSAY_REQUIRE_BROWSER"):
        pytest.fail(why, pytrace=False)
    pytest.skip(why, allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    workspace = Workspace(make_settings(tmp_path_factory.mktemp("browser")))
    assert ingest(workspace, DEMO).added > 400
    hostile = workspace.settings.home / "hostile.jsonl"
    hostile.write_text("\n".join(json.dumps(r) for r in hostile_records()) + "\n", encoding="utf-8")
    assert ingest(workspace, hostile).added == len(PAYLOADS)
    yield workspace
    workspace.close()


@pytest.fixture(scope="module")
def server(ws):
    """A real uvicorn server on a free loopback port, in a thread of this process."""
    port = free_port()
    config = uvicorn.Config(create_app(ws.settings, ws), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def cards(page):
    return page.locator("#results > li.card")


def test_search_shows_cards_with_source_and_time(page, server):
    page.goto(f"{server}/?q=稀土")
    assert cards(page).count() == 20
    dated = []
    for i in range(cards(page).count()):
        card = cards(page).nth(i)
        assert card.locator("h2 a").inner_text().strip()
        byline = card.locator(".byline").inner_text().strip()
        assert BYLINE.match(byline) or byline.endswith("· date unknown"), byline
        dated.append(bool(BYLINE.match(byline)))
    assert dated[0] and dated == sorted(dated, reverse=True)  # newest first; flashes without a date last
    # the documents that only mention 稀土 are folded under the page: open the group, list them
    page.locator("details.mentions summary").click()
    page.locator("details.mentions a", has_text="List them").click()
    page.wait_for_url(re.compile(r"mentions=1"))
    assert page.locator(".listing-mentions").inner_text().startswith("Documents that mention 稀土")
    assert cards(page).count() == 20
    page.goto(f"{server}/?q=稀土")
    assert page.locator(".card .summary h3", has_text="Core Insights").count() > 0
    assert page.locator("mark", has_text="稀土").count() >= 20
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "search-page.png"), full_page=False)
    assert (ARTIFACTS / "search-page.png").stat().st_size > 10_000


def test_clicking_a_citation_opens_the_paragraph_highlighted_and_in_view(page, server):
    page.goto(f"{server}/?q=稀土")
    cites = page.locator(".card .summary a.cite")
    target = next(i for i in range(cites.count()) if int(cites.nth(i).get_attribute("data-n")) > 3)
    cite = cites.nth(target)
    n = cite.get_attribute("data-n")
    href = cite.get_attribute("href")
    cite.click()
    page.wait_for_url(re.compile(rf"/doc/[0-9a-f]+#p{n}$"))
    assert page.url.endswith(href)
    para = page.locator(f"#p{n}")
    para.wait_for()
    page.locator(f"#p{n}.target").wait_for()  # set by assay.js (CSP forbids eval: no wait_for_function)
    assert para.evaluate("el => el.matches(':target')")
    box = para.bounding_box()
    height = page.evaluate("window.innerHeight")
    assert box and 0 <= box["y"] and box["y"] + min(box["height"], 100) <= height
    page.wait_for_timeout(400)  # the highlight fades in (CSS transition)
    background = para.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    assert para.locator(".pn").inner_text().strip() == n
    others = page.locator(".para.target")
    assert others.count() == 1


def test_upload_a_real_html_file_makes_it_searchable(page, server, tmp_path):
    record = read_records("en_news_reuters21578.jsonl.gz", 60)[-1]
    path = tmp_path / "reuters-upload.html"
    path.write_bytes(html_page(record))
    page.goto(f"{server}/upload")
    page.set_input_files("#upload-input", str(path))
    row = page.locator("#upload-list li").first
    row.locator(".outcome.status-added").wait_for(timeout=30_000)
    assert row.locator("progress").evaluate("el => el.value") == 100
    assert row.locator(".file").inner_text() == "reuters-upload.html"
    row.locator(".outcome a").click()
    page.wait_for_url(re.compile(r"/doc/[0-9a-f]+$"))
    assert page.locator("h1").inner_text().strip() == record["title"]
    word = max(record["text"].split(), key=len).strip(".,")
    page.goto(f"{server}/")
    page.fill("input[name=q]", word)
    page.press("input[name=q]", "Enter")
    page.wait_for_url(re.compile(r"q="))
    assert page.locator("#results h2 a", has_text=record["title"]).count() == 1
    page.goto(f"{server}/upload")
    page.set_input_files("#upload-input", str(path))
    page.locator("#upload-list li .outcome.status-unchanged").wait_for(timeout=30_000)


def test_no_payload_ever_runs(page, server, ws):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{server}/?q=xsstest")  # one template: some cards fold copies, whose expanders we open
    for details in page.locator("details.similar").all():
        details.locator("summary").click()
    assert page.evaluate("typeof window.__xss") == "undefined"
    page.goto(f"{server}/?q=xsstest&collapse=0")
    assert cards(page).count() == len(PAYLOADS)
    links = [cards(page).nth(i).locator("h2 a").get_attribute("href") for i in range(len(PAYLOADS))]
    titles = set(cards(page).locator("h2 a").all_inner_texts())
    assert {f"稀土 xsstest {p}" for p in PAYLOADS} == titles  # shown as text, exactly
    for href in links:
        page.goto(f"{server}{href}")
        assert page.locator("h1").inner_text().startswith("稀土 xsstest ")
        assert page.locator("a[href^='javascript:' i]").count() == 0
        for text in page.locator(".para p").all_inner_texts():
            assert "xsstest" in text or "第" in text or "click" in text
        page.locator(".para a.pn").first.click()  # interact: nothing hostile is clickable
        assert page.evaluate("typeof window.__xss") == "undefined"
    page.goto(f"{server}/?q=xsstest&source=" + "source")
    page.wait_for_timeout(300)
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert dialogs == []


def test_more_results_on_scroll(page, server):
    page.goto(f"{server}/?q=稀土&sort=latest")  # every match: more than two pages
    assert cards(page).count() == 20
    page.locator(".pager").scroll_into_view_if_needed()
    cards(page).nth(39).wait_for(timeout=15_000)
    titles = cards(page).locator("h2 a").all_inner_texts()
    hrefs = [cards(page).nth(i).locator("h2 a").get_attribute("href") for i in range(len(titles))]
    assert len(set(hrefs)) == len(hrefs)


def test_phone_width_and_chinese_ui(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
    try:
        page = context.new_page()
        page.goto(f"{server}/?q=稀土")
        assert page.locator("header nav a").first.inner_text() == "搜索"
        assert page.locator(".resultbar .count").inner_text().startswith("共 ")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "search-page-phone-zh.png"))
        for url in ("/?q=稀土", "/?q=xsstest", "/upload", "/workflows"):  # xsstest: long unbroken tokens
            page.goto(server + url)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{url} scrolls sideways on a phone ({width}px)"
    finally:
        context.close()
