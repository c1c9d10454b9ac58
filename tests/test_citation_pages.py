"""``p.N`` in citations: a real broker PDF ingested, its summary's citations show the page of the cited
paragraph — in the CLI result page (text and Markdown), ``assay show``, the JSON (``pages`` beside
``cites``) and the web pages — and that page is the paragraph's own. The cover's analysts show too."""

from __future__ import annotations

import re
import shutil
from zoneinfo import ZoneInfo

import pytest
from conftest import data_file, ingest, make_settings
from test_api import Client

from assay.interfaces import render, service
from assay.interfaces.app import create_app
from assay.interfaces.service import make_filters
from assay.model import Bullet
from assay.workspace import Workspace

TZ = ZoneInfo("Asia/Shanghai")
CITE = re.compile(r"\[(\d+) · p\.(\d+)\]")


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    root = tmp_path_factory.mktemp("pages")
    folder = root / "in"
    folder.mkdir()
    for name in ("report_05.pdf", "report_18.pdf"):
        shutil.copy(data_file("broker_reports_pdf") / name, folder / name)
    workspace = Workspace(make_settings(root / "home"))
    assert ingest(workspace, folder).added == 2
    yield workspace
    workspace.close()


@pytest.fixture(scope="module")
def report(ws):
    views = [service.document_view(ws, i) for i in sorted(ws.store.all_ids())]
    view = next(v for v in views if "选股因子" in v.document.title)  # report_05 (海通)
    assert view.summary and view.summary.sections
    return view


def _cited(view) -> set[int]:
    return {n for s in view.summary.sections for b in s.bullets for n in b.cites}


def _check_pages(text: str, doc) -> int:
    found = CITE.findall(text)
    for n, page in found:
        assert doc.paragraph(int(n)).page == int(page), (n, page)
    return len(found)


def test_show_prints_the_page_of_each_cited_paragraph(report):
    doc = report.document
    cited = _cited(report)
    assert cited and all(doc.paragraph(n).page for n in cited)
    text = render.document_text(doc, report.summary, [], TZ)
    summary_part = text.split("\n\n[1]")[0]
    assert _check_pages(summary_part, doc) == sum(len(b.cites) for s in report.summary.sections for b in s.bullets)
    assert not re.search(r"\[\d+\](?! ·)", summary_part.split("\n", 3)[-1])  # no bare [n] where a page is known
    assert "Analysts 冯佳睿, 罗蕾" in text.splitlines()[3]
    data = render.document_json(doc, report.summary, [])
    for section in data["summary"]["sections"]:
        for b in section["bullets"]:
            assert b["pages"] == [doc.paragraph(n).page for n in b["cites"]]
    assert data["cover"] == {"analysts": ["冯佳睿", "罗蕾"], "rating": None, "target_price": None}


def test_search_results_show_pages_in_text_markdown_and_json(ws, report):
    doc = report.document
    result = service.search(ws, "基金重仓超配因子", make_filters(TZ))
    hit = next(h for h in result.hits if h.id == doc.id)
    assert hit.summary and hit.summary.sections
    assert _check_pages(render.result_text(result, TZ), doc) > 0
    assert _check_pages(render.result_text(result, TZ, style=True), doc) > 0
    assert _check_pages(render.result_markdown(result, TZ), doc) > 0
    bullets = [b for s in render.result_json(result)["hits"][0]["summary"]["sections"] for b in s["bullets"]]
    assert bullets and all(b["pages"] == [doc.paragraph(n).page for n in b["cites"]] for b in bullets)
    assert {"text", "cites", "check", "note"} <= set(bullets[0])  # the fields before stay


def test_citations_without_pages_stay_as_they_were():
    b = Bullet("text", [2, 5])
    assert render.bullet_text(b) == "text [2][5]" and render.bullet_text(b, {5: 3}) == "text [2][5 · p.3]"


def test_web_pages_show_the_page_and_keep_the_paragraph_link(ws, report):
    doc = report.document
    client = Client(create_app(ws.settings, ws))
    try:
        for page in (client.get(f"/doc/{doc.id}").text, client.get("/", params={"q": "基金重仓超配因子"}).text):
            links = re.findall(
                rf'class="cite" href="/doc/{doc.id}#p(\d+)" data-n="(\d+)" data-page="(\d+)">\[(\d+) · p\.(\d+)\]</a>',
                page,
            )
            assert links
            for n, n2, pg, n3, pg2 in links:
                assert n == n2 == n3 and pg == pg2 and doc.paragraph(int(n)).page == int(pg)
        page = client.get(f"/doc/{doc.id}").text
        assert '<span class="analysts">Analysts: 冯佳睿, 罗蕾</span>' in page
    finally:
        client.close()
