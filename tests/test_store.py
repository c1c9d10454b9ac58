import sqlite3

import pytest

from assay.errors import NotFound, StoreError
from assay.model import Document, Paragraph
from assay.store.migrations import MIGRATIONS
from assay.store.sqlite import SqliteStore


def _doc(title="标题", text="第一段。", ext="rec-1", **kw):
    return Document(
        title=title,
        paragraphs=[Paragraph(1, text), Paragraph(2, "小节", "heading", 2)],
        source="测试",
        external_id=ext,
        **kw,
    ).finalize()


def test_wal_and_schema_version(tmp_path):
    store = SqliteStore(tmp_path / "a.db")
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.schema_version == len(MIGRATIONS)
    store.close()
    SqliteStore(tmp_path / "a.db").close()  # reopening migrates nothing and keeps working


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "a.db"
    SqliteStore(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version={len(MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(StoreError, match="newer"):
        SqliteStore(path)


def test_write_is_idempotent_and_round_trips(tmp_path):
    store = SqliteStore(tmp_path / "a.db")
    d = _doc()
    out = store.write_batch([d], [])
    assert out.statuses == {d.id: "added"}
    again = store.write_batch([_doc()], [])
    assert again.statuses == {d.id: "unchanged"} and again.last_seq == out.last_seq
    got = store.get_document("rec-1")  # by record id
    assert got.id == d.id and got.content_hash == d.content_hash
    assert [(p.n, p.kind, p.level) for p in got.paragraphs] == [(1, "text", 0), (2, "heading", 2)]
    assert store.get_document(d.id[:8]).id == d.id  # unique prefix
    with pytest.raises(NotFound):
        store.get_document("nope")


def test_update_with_same_url_keeps_id(tmp_path):
    store = SqliteStore(tmp_path / "a.db")
    a = _doc(text="旧内容。", url="https://example.com/a?utm_source=x#top")
    b = _doc(text="新内容。", url="https://EXAMPLE.com/a/")
    assert a.id == b.id
    store.write_batch([a], [])
    assert store.write_batch([b], []).statuses == {a.id: "updated"}
    assert store.get_document(a.id).paragraphs[0].text == "新内容。"
    assert store.count() == 1


def test_quarantine_keeps_bytes_once(tmp_path):
    store = SqliteStore(tmp_path / "a.db")
    assert store.quarantine("in.jsonl:3", "invalid JSON", b"{bad")
    assert not store.quarantine("in.jsonl:3", "invalid JSON", b"{bad")
    rows = store.quarantined()
    assert len(rows) == 1 and rows[0]["reason"] == "invalid JSON"
    assert (tmp_path / "quarantine" / rows[0]["blob"]).read_bytes() == b"{bad"


def test_summaries_are_stored_as_spans_of_the_paragraphs_they_cite(tmp_path):
    """Extractive bullets are kept as (paragraph, start, length); they read back as the same summary, and
    rows written before (the whole text of every bullet) still read."""
    import orjson
    from conftest import read_records

    from assay.ingest.records import record_to_document
    from assay.model import Bullet, Section
    from assay.settings import Settings
    from assay.summarize.extractive import ExtractiveSummarizer
    from assay.summarize.verify import verify_summary

    docs = [record_to_document(r, Settings().tz) for r in read_records("zh_news_cctv_xwlb.jsonl.gz", 60)]
    summarizer = ExtractiveSummarizer()
    made = [verify_summary(summarizer.summarize(d), d) for d in docs]
    # one bullet that is not a span: a paraphrase citing two paragraphs keeps its own text
    made[0].sections.append(Section("Other", [Bullet("两段的意思。", [1, 2], "unsupported", "words not in [1][2]")]))
    store = SqliteStore(tmp_path / "a.db")
    store.write_batch(docs, made)
    got = store.summaries_for(docs, "extractive", made[0].template_version)
    assert len(got) == len(docs)
    for d, s in zip(docs, made, strict=True):
        assert got[d.id].sections == s.sections and got[d.id].rating == s.rating
    stored = dict(store.db.execute("SELECT doc_id, data FROM summaries").fetchall())
    before = sum(len(orjson.dumps(s.to_dict())) for s in made)  # the earlier format: every bullet's text
    assert sum(len(v.encode()) for v in stored.values()) < before / 2
    assert "两段的意思" in stored[docs[0].id]

    # a row in the earlier format (Summary.to_dict) reads as it was written
    old = made[1]
    store.db.execute(
        "UPDATE summaries SET data = ? WHERE doc_id = ?", (orjson.dumps(old.to_dict()).decode(), docs[1].id)
    )
    again = store.summaries_for([docs[1]], "extractive", old.template_version)
    assert again[docs[1].id].sections == old.sections


def test_a_damaged_summary_row_reads_as_no_summary(tmp_path, caplog):
    """A summary row whose span points outside its document (or that is not JSON) is logged and shown as a
    missing summary: the search page shows the excerpt instead of failing."""
    from conftest import DEMO, ingest, make_settings

    from assay.workspace import Workspace

    ws = Workspace(make_settings(tmp_path / "home"))
    try:
        ingest(ws, DEMO)
        first = ws.searcher.search("稀土", limit=3)
        target, other = first.hits[0], first.hits[1]
        assert target.summary is not None and other.summary is not None
        damaged = '{"v":2,"doc_id":"x","template":"news","language":"zh","backend":"extractive",'
        damaged += '"created_at":"2026-01-01T00:00:00+00:00","sections":[["Core Insights",[[999,0,5]]]]}'
        for doc_id, data in ((target.id, damaged), (other.id, "not json")):
            chash = ws.store.get_document(doc_id).content_hash
            ws.store.db.execute("UPDATE summaries SET data = ? WHERE content_hash = ?", (data, chash))
        again = {h.id: h for h in ws.searcher.search("稀土", limit=3).hits}
        assert again[target.id].summary is None and again[other.id].summary is None
        assert again[target.id].excerpt  # the card falls back to the excerpt
        docs = [ws.store.get_document(target.id)]
        assert ws.searcher.summaries(docs) == {}
        assert "unreadable summary row" in caplog.text and "outside the document" in caplog.text
    finally:
        ws.close()
