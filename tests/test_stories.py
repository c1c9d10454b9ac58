"""Search collapses story clusters: one card per story with "N similar · sources" (library, CLI, API, web).

The demo corpus holds the older versions of the research digests that mention 稀土 beside the current
ones: two documents of one story, the case the reference page shows (the same Sohu story twice)."""

from __future__ import annotations

import json
import sqlite3
from itertools import combinations

import pytest
from conftest import DEMO
from test_api import Client
from test_cli import assay

from assay.dedupe.signature import normalize, same_document_story, shingle_set, signature
from assay.interfaces.app import create_app


def _same_story_pairs(ws, ids: list[str]) -> list[tuple[str, str]]:
    """Pairs of these documents that are the same story, judged again from their stored text."""
    docs = ws.store.get_documents(ids)
    sig = {i: signature(d.title, d.text) for i, d in docs.items()}
    sets = {i: shingle_set(normalize(d.title, d.text)) for i, d in docs.items()}
    return [(a, b) for a, b in combinations(ids, 2) if same_document_story(sig[a], sets[a], sig[b], sets[b])]


def test_rare_earths_shows_no_two_cards_of_the_same_story(demo_ws):
    shown = []
    for page in (1, 2, 3):
        result = demo_ws.searcher.search("稀土", sort="latest", limit=20, page=page)
        assert result.collapsed and len(result.hits) == 20
        shown += [h.id for h in result.hits]
    assert len(set(shown)) == len(shown) == 60
    assert _same_story_pairs(demo_ws, shown) == []
    pages = [demo_ws.searcher.search("稀土", sort="latest", limit=20, page=p) for p in (1, 2, 3)]
    clusters = [h.cluster_id for result in pages for h in result.hits]
    assert len(set(clusters)) == 60


def test_without_collapse_the_copies_come_back(demo_ws):
    every = demo_ws.searcher.search("稀土", sort="latest", limit=60, collapse=False)
    ids = [h.id for h in every.hits]
    assert not every.collapsed and all(h.similar == [] for h in every.hits)
    assert len(_same_story_pairs(demo_ws, ids)) >= 5  # the revised digests, side by side
    folded = demo_ws.searcher.search("稀土", sort="latest", limit=60)
    assert folded.total == every.total  # total counts documents either way


def test_a_card_lists_its_story_with_source_and_time(demo_ws):
    hits = demo_ws.searcher.search("稀土", sort="latest", limit=40).hits
    with_copies = [h for h in hits if h.similar_count]
    assert len(with_copies) >= 5
    for hit in with_copies:
        assert hit.similar_count == len(hit.similar) and hit.id not in {m.id for m in hit.similar}
        for m in hit.similar:
            other = demo_ws.store.get_document(m.id)
            assert other.cluster_id == hit.cluster_id
            assert (m.source, m.published_at) == (other.source, other.published_at)
    rep = demo_ws.store.db.execute("SELECT representative FROM clusters WHERE id = ?", (with_copies[0].cluster_id,))
    assert rep.fetchone()[0] == with_copies[0].id  # the representative stands for the story


@pytest.fixture(scope="module")
def client(demo_ws):
    c = Client(create_app(demo_ws.settings, demo_ws))
    yield c
    c.close()


def test_api_collapses_unless_asked_not_to(client):
    folded = client.get("/api/search", params={"q": "稀土", "limit": 50, "sort": "latest"}).json()
    every = client.get("/api/search", params={"q": "稀土", "limit": 50, "collapse": "false", "sort": "latest"}).json()
    assert folded["collapsed"] and not every["collapsed"]
    clusters = [h["cluster_id"] for h in folded["hits"]]
    assert len(set(clusters)) == len(clusters) == 50
    listed = [m for h in folded["hits"] for m in h["similar"]]
    assert listed and all(m["source"] and m["published_at"] for m in listed)
    shown = {h["id"] for h in folded["hits"]}
    assert {m["id"] for m in listed} & {h["id"] for h in every["hits"]} - shown
    dupes = client.get("/api/dupes", params={"limit": 5}).json()
    assert dupes["stats"]["clusters_with_copies"] >= 55 and len(dupes["clusters"]) == 5


def test_web_page_has_a_similar_expander_and_an_all_copies_switch(client):
    page = client.get("/", params={"q": "稀土", "sort": "latest"}).text
    assert page.count('<details class="similar">') >= 3
    assert "similar ·" in page or "篇相似 ·" in page
    assert 'href="/?q=%E7%A8%80%E5%9C%9F&amp;sort=latest&amp;collapse=0"' in page
    every = client.get("/", params={"q": "稀土", "sort": "latest", "collapse": "0"}).text
    assert '<details class="similar">' not in every


def test_cli_dupes_and_no_collapse(tmp_path):
    assay("ingest", str(DEMO), home=tmp_path)
    listing = json.loads(assay("dupes", "--json", home=tmp_path).stdout)
    assert listing["stats"]["clusters_with_copies"] == len(listing["clusters"]) >= 55
    for cluster in listing["clusters"]:
        assert cluster["size"] == len(cluster["members"]) >= 2
        assert cluster["representative"] in {m["id"] for m in cluster["members"]}
        assert all(m["record_ids"] for m in cluster["members"])  # the record ids kept from the input
    kinds = [m["kind"] for c in listing["clusters"] for m in c["members"]]
    assert kinds.count("revision") >= 55  # the older digests: the same source and title, changed text
    records = {r for c in listing["clusters"] for m in c["members"] for r in m["record_ids"]}
    assert any(r.startswith("gator-legacy-") for r in records) and any(r.startswith("gator-report-") for r in records)
    text = assay("dupes", "--limit", "3", home=tmp_path).stdout
    assert text.startswith(f"{listing['stats']['documents']} documents in ") and text.count("[cluster ") == 3
    rebuilt = assay("dupes", "--rebuild", "--json", home=tmp_path)
    assert "clustered" in rebuilt.stderr
    again = json.loads(rebuilt.stdout)
    assert {frozenset(m["id"] for m in c["members"]) for c in again["clusters"]} == {
        frozenset(m["id"] for m in c["members"]) for c in listing["clusters"]
    }
    folded = assay("search", "稀土", "--limit", "30", home=tmp_path).stdout
    assert " similar · " in folded
    every = json.loads(assay("search", "稀土", "--limit", "30", "--no-collapse", "--json", home=tmp_path).stdout)
    assert not every["collapsed"] and all(h["similar"] == [] for h in every["hits"])


def test_a_signature_change_clusters_the_store_again_at_the_next_ingest(tmp_path):
    """The last migration drops signatures made by the older MinHash; the next ingest clusters every stored
    document again (the CLI shows it as a "stories" progress task) and finds the same stories."""
    from assay.store.migrations import MIGRATIONS, SIGNATURE_CHANGE

    assay("ingest", str(DEMO), home=tmp_path)
    before = json.loads(assay("dupes", "--json", home=tmp_path).stdout)["clusters"]
    db = sqlite3.connect(tmp_path / "assay.db")
    with db:  # as a store made before the change, when the migration runs: its signatures and clusters dropped
        db.executescript(MIGRATIONS[SIGNATURE_CHANGE])
    db.close()
    dropped = assay("dupes", home=tmp_path).stdout
    assert "not clustered yet" in dropped
    assert json.loads(assay("dupes", "--json", home=tmp_path).stdout)["clusters"] == []
    again = assay("ingest", str(DEMO), home=tmp_path)
    assert "added 0 · updated 0" in again.stdout + again.stderr
    after = json.loads(assay("dupes", "--json", home=tmp_path).stdout)["clusters"]
    assert len(after) >= 55
    assert {frozenset(m["id"] for m in c["members"]) for c in after} == {
        frozenset(m["id"] for m in c["members"]) for c in before
    }
