"""The store contract (assay/store/base.py): what every implementation of the system of record must do.

Each test takes the ``store`` fixture, made once per implementation in ``STORES``; a second store (PostgreSQL,
issue 18) joins by adding its factory there. The tests use only the protocol's members — no connection, no
SQL — so a store that passes them can stand in for the embedded one.
"""

from __future__ import annotations

import pickle
import time
from datetime import UTC, datetime

import pytest

from assay.errors import NotFound
from assay.model import (
    TEMPLATE_VERSION,
    ApiKey,
    Bullet,
    ClusterAssignment,
    ClusterChanges,
    Document,
    FileRecord,
    Paragraph,
    SavedSearch,
    Section,
    Summary,
    VectorRow,
)
from assay.store.base import Store
from assay.store.rows import RowEntry, document_row, summary_row
from assay.store.sqlite import SqliteStore


def _postgres(request, tmp_path) -> Store:
    from assay.store.postgres import PostgresStore

    server = request.getfixturevalue("pg_server")  # a server of the tests' own (tests/pg.py)
    return PostgresStore(server.new_database(), tmp_path / "quarantine")


STORES = {"sqlite": lambda request, tmp_path: SqliteStore(tmp_path / "assay.db"), "postgres": _postgres}


@pytest.fixture(params=sorted(STORES))
def store(request, tmp_path) -> Store:
    s = STORES[request.param](request, tmp_path)
    yield s
    s.close()


def _doc(title: str, text: str, ext: str | None = None, when: str = "2025-03-01T08:00:00+08:00", **kw) -> Document:
    return Document(
        title=title,
        paragraphs=[Paragraph(1, text), Paragraph(2, "第二段：" + text)],
        source=kw.pop("source", "新华社"),
        published_at=datetime.fromisoformat(when),
        external_id=ext,
        **kw,
    ).finalize()


def _summary(doc: Document) -> Summary:
    return Summary(
        doc.id,
        "news",
        "zh",
        "extractive",
        datetime(2025, 3, 1, tzinfo=UTC),
        [Section("Core Insights", [Bullet(doc.paragraphs[0].text, [1], "supported", "verbatim in [1]")])],
        template_version=TEMPLATE_VERSION,
    )


# -- documents ----------------------------------------------------------------------------------------
def test_writes_are_idempotent_and_logged(store):
    a, b = _doc("稀土出口管制", "商务部公布稀土出口管制措施。", "r-1"), _doc("金价", "金价创新高。", "r-2")
    first = store.write_batch([a, b], [])
    assert first.statuses == {a.id: "added", b.id: "added"}
    again = store.write_batch([_doc("稀土出口管制", "商务部公布稀土出口管制措施。", "r-1")], [])
    assert again.statuses == {a.id: "unchanged"} and again.last_seq == first.last_seq == store.last_seq()
    changed = _doc("金价", "金价回落。", "r-2")
    assert changed.id != b.id  # a changed text without a URL is another document; the record id follows it
    seq, ids = store.changes_since(first.last_seq)
    assert ids == [] and seq == first.last_seq
    out = store.write_batch([changed], [])
    seq, ids = store.changes_since(first.last_seq)
    assert out.statuses == {changed.id: "added"} and ids == [changed.id] and seq == out.last_seq > first.last_seq
    assert store.count() == 3 and store.all_ids() == {a.id, b.id, changed.id}
    store.prune_changes(seq)  # the index has replayed the log: it keeps its last entry, so its position stays
    assert store.last_seq() == seq and store.changes_since(0) == (seq, [changed.id])


def test_documents_read_back_by_id_prefix_and_record_id(store):
    a = _doc("稀土", "稀土价格上涨。", "rec-a", url="https://example.com/a")
    store.write_batch([a], [])
    store.add_external_id(a.id, "rec-b")  # a second record of the same document
    for key in (a.id, a.id[:8], "rec-a", "rec-b"):
        assert store.resolve(key) == a.id
    got = store.get_document("rec-b")
    assert got.title == "稀土" and [p.text for p in got.paragraphs] == [p.text for p in a.paragraphs]
    assert got.published_at == a.published_at and got.url == "https://example.com/a"
    assert store.get_documents([a.id, "missing"]).keys() == {a.id}
    assert sorted(store.external_ids(a.id)) == ["rec-a", "rec-b"]
    assert store.record_ids_of([a.id]) == {a.id: ["rec-a", "rec-b"]}
    with pytest.raises(NotFound):
        store.get_document("no-such-record")
    assert [d.id for d in store.iter_documents(batch=1)] == [a.id]
    assert store.sources_matching("华") == ["新华社"] and store.stats()["documents"] == 1


def test_rows_from_workers_with_summaries_queue_and_known_versions(store):
    a = _doc("降准", "央行宣布降准0.5个百分点。", "r-a")
    entry = RowEntry(a.id, a.content_hash, a.external_id, document_row(a), summary_row(_summary(a), a.content_hash))
    out = store.write_rows([entry], queue_backend="openai:test")
    assert out.statuses == {a.id: "added"}
    known = store.known_versions([a.id, "nope"])
    assert known.keys() == {a.id} and known[a.id].content_hash == a.content_hash
    reader = pickle.loads(pickle.dumps(store.reader()))  # as an ingest worker in another process gets it
    assert reader.known_versions([a.id])[a.id].content_hash == a.content_hash
    card = store.cards([a.id], ("extractive",), TEMPLATE_VERSION)[a.id]
    assert card.title == "降准" and card.summary is not None and "降准" in card.paragraphs
    assert store.cards([a.id], (), TEMPLATE_VERSION)[a.id].summary is None
    (summary,) = store.summaries_for([a], "extractive", TEMPLATE_VERSION).values()
    assert summary.sections[0].bullets[0].text == a.paragraphs[0].text
    assert store.queue_counts("openai:test")["queued"] == 1  # queued in the same transaction


def test_quarantine_keeps_the_input(store):
    assert store.quarantine("feed.jsonl:3", "not JSON", b"{oops")
    (item,) = store.quarantined()
    assert "feed.jsonl:3" in str(item) and "not JSON" in str(item)


# -- the summary queue ------------------------------------------------------------------------------------
def test_queue_leases_finishes_retries_and_releases(store):
    docs = [_doc(f"标题{i}", f"正文{i}。") for i in range(3)]
    store.write_batch(docs, [])
    assert store.enqueue([(d.id, d.content_hash) for d in docs], "b") == 3
    assert store.enqueue([(docs[0].id, docs[0].content_hash)], "b") == 0  # already queued
    jobs = store.claim("host:1", 2, lease_s=60, backend="b")
    assert len(jobs) == 2 and store.claim("host:2", 5, lease_s=60, backend="b")[0].doc_id not in {
        j.doc_id for j in jobs
    }
    by_id = {d.id: d for d in docs}
    done = jobs[0]
    assert store.finish(done, "host:1", summary_row(_summary(by_id[done.doc_id]), done.content_hash))
    assert not store.finish(jobs[1], "host:9", None)  # not that worker's job
    store.fail(jobs[1], "host:1", "timeout", retry_in=0)
    store.release([], "host:1")
    counts = store.queue_counts("b")
    assert counts["done"] == 1 and counts["queued"] + counts["running"] == 2
    assert store.summaries_for([by_id[done.doc_id]], "b", TEMPLATE_VERSION) == {}  # its backend is "extractive"
    assert len(store.summary_candidates()) == 3


def test_an_expired_lease_is_taken_again(store):
    d = _doc("标题", "正文。")
    store.write_batch([d], [])
    store.enqueue([(d.id, d.content_hash)], "b")
    (job,) = store.claim("elsewhere:1", 1, lease_s=0.05, backend="b")
    time.sleep(0.1)
    (again,) = store.claim("elsewhere:2", 1, lease_s=60, backend="b")
    assert again.id == job.id
    assert not store.finish(job, "elsewhere:1", None)  # the first worker lost it
    assert store.finish(again, "elsewhere:2", None)


# -- story clusters -----------------------------------------------------------------------------------
def _assign(doc: Document, n: int, cluster: str, kind: str = "first", matched: str | None = None):
    return ClusterAssignment(
        doc.id,
        n,
        f"exact-{n}",
        40,
        1700000000 + n,
        bytes(8 * 4),
        None,
        None,
        cluster,
        kind,
        matched,
        0.9,
        1700000000,
        40,
    )


def test_cluster_changes_make_stories(store):
    a, b, c = _doc("原文", "同一新闻。", "a"), _doc("转载", "同一新闻，转载。", "b"), _doc("别的", "另一新闻。", "c")
    store.write_batch([a, b, c], [])
    assert store.count_unclustered() == 3 and {d.id for d in store.unclustered(10)} == {a.id, b.id, c.id}
    store.write_clusters(ClusterChanges([_assign(a, 1, a.id), _assign(c, 3, c.id)], []))
    store.write_clusters(ClusterChanges([_assign(b, 2, a.id, "near", a.id)], []))
    assert store.count_unclustered() == 0 and store.signature_top() == 3 <= store.signature_high_water()
    heads = store.story_heads([a.id, b.id, c.id])
    assert heads[b.id].cluster == a.id and heads[b.id].size == 2 and heads[c.id].size == 1
    (story,) = store.largest_stories()
    assert story.representative == a.id and story.size == 2
    members = store.story_members([a.id], limit=10)[a.id]
    assert {m.id for m in members} == {a.id, b.id} and next(m for m in members if m.id == b.id).kind == "near"
    assert store.story_stats()["copies_folded"] == 1
    assert store.signed([a.id, "x"]) == [a.id] and store.signatures_by_exact({"exact-2"}) == {"exact-2": 2}
    assert store.signatures_by_exact({"exact-2"}, after=1) == {"exact-2": 2}  # numbered above 1 only
    assert store.signatures_by_exact({"exact-2"}, after=2) == {}
    assert store.signed_documents({2})[2].cluster == a.id
    assert [s.n for s in store.signatures_after(1)] == [2, 3]
    assert {t.id: t.text for t in store.document_texts([c.id])}[c.id].startswith("另一新闻")
    with store.snapshot():
        assert store.taken_cluster_ids([a.id]) == {a.id}
    store.write_clusters(ClusterChanges([], [b.id]))  # b's text changed: out of its story
    assert store.story_heads([a.id])[a.id].size == 1 and store.largest_stories() == []
    store.clear_clusters()
    assert store.count_unclustered() == 3 and store.signature_top() == 0


def test_documents_and_their_clusters_commit_together(store):
    a = _doc("原文", "同一新闻。", "a")
    row = document_row(a)._replace(cluster_id=a.id)
    store.write_rows([RowEntry(a.id, a.content_hash, "a", row)], clusters=ClusterChanges([_assign(a, 1, a.id)], []))
    assert store.count_unclustered() == 0 and store.signed([a.id]) == [a.id]


# -- ledger, vectors, keys, saved searches, web sources ---------------------------------------------------
def test_folder_ledger(store):
    assert store.file_record("/data/a.pdf") is None
    store.mark_files(
        [
            FileRecord("/data/a.pdf", 10, 111, "ab" * 32, "done", "doc1"),
            FileRecord("/data/b", 5, 1, "c", "quarantined", None, "empty"),
        ]
    )
    assert store.file_record("/data/a.pdf").sha256 == "ab" * 32
    store.touch_file("/data/a.pdf", 10, 222)
    got = store.file_record("/data/a.pdf")
    assert got.mtime_ns == 222 and got.status == "done" and store.file_record("/data/b").reason == "empty"


def test_vectors(store):
    a, b = _doc("甲", "甲文。"), _doc("乙", "乙文。")
    store.write_batch([a, b], [])
    assert store.vector_counts("m") == (0, 2) and len(store.vector_todo("m", 10, 500)) == 2
    store.put_vectors("m", [VectorRow(a.id, a.content_hash, b"\x01" * 8)])
    assert store.vector_counts("m") == (1, 2) and [t.doc_id for t in store.vector_todo("m", 10, 500)] == [b.id]
    store.put_vectors("m", [VectorRow(a.id, a.content_hash, b"\x02" * 8)])  # made again: replaced
    (v,) = store.vectors_since("m", 0)
    assert v.vec == b"\x02" * 8 and store.vectors_since("m", v.seq) == []
    assert [x.doc_id for x in store.vectors_of("m", [a.id, b.id])] == [a.id]
    store.drop_vectors("m")
    assert store.vector_counts("m") == (0, 2)


def test_api_keys_and_saved_searches(store):
    key = store.add_api_key("alice", "ak_1234", "hash-1")
    assert isinstance(key, ApiKey) and [k.name for k in store.api_keys()] == ["alice"]
    assert store.api_key_by_hash("hash-1").name == "alice" and store.api_key_by_hash("other") is None
    store.revoke_api_key("alice")
    assert store.api_key_by_hash("hash-1") is None and store.api_keys()[0].revoked_at is not None
    saved = store.save_search(SavedSearch("稀土", "稀土 出口", {"lang": ["zh"]}, "latest", mode="hybrid"))
    assert saved.id is not None and store.saved_search(saved.id).filters == {"lang": ["zh"]}
    assert [s.name for s in store.saved_searches()] == ["稀土"] and store.saved_search(saved.id).mode == "hybrid"
    store.delete_saved_search(saved.id)
    with pytest.raises(NotFound):
        store.saved_search(saved.id)


def test_web_sources(store):
    src = store.add_web_source("https://example.com/feed.xml", "Example")
    assert [s.url for s in store.web_sources()] == ["https://example.com/feed.xml"]
    assert store.web_source(str(src.id)).name == "Example"
    store.update_web_source(src.id, "ok", "feed")
    assert store.web_source(src.url).status == "ok"
    store.remove_web_source(src.url)
    assert store.web_sources() == []
