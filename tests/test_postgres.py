"""PostgreSQL as the system of record (issue 18), against a server of the tests' own (tests/pg.py): the same
ingest, story clusters and result pages as SQLite over the bundled demo corpus, an ingest that runs twice
changes nothing, and workers in several processes never claim one summary job twice."""

from __future__ import annotations

import gzip
import json
import multiprocessing as mp
from pathlib import Path

import pytest
from conftest import DEMO, ingest, make_settings

from assay.dedupe import Stories
from assay.workspace import Workspace


@pytest.fixture(scope="module")
def both(pg_server, tmp_path_factory):
    """The demo corpus ingested twice over: into SQLite and into PostgreSQL (two ingest workers each)."""
    home = tmp_path_factory.mktemp("pg")
    lite = Workspace(make_settings(home / "sqlite", workers=2))
    pg = Workspace(make_settings(home / "pg", workers=2, database_url=pg_server.new_database()))
    reports = [ingest(ws, DEMO) for ws in (lite, pg)]
    yield lite, pg, reports
    lite.close()
    pg.close()


def test_the_store_is_postgres(both):
    _, pg, _ = both
    assert type(pg.store).__name__ == "PostgresStore" and pg.store.identity.startswith("postgresql://")
    assert not (pg.settings.home / "assay.db").exists()


def test_ingest_gives_the_same_documents_and_stories(both):
    lite, pg, (a, b) = both
    assert (a.added, a.unchanged, a.quarantined) == (b.added, b.unchanged, b.quarantined) and b.added > 400
    assert lite.store.all_ids() == pg.store.all_ids()
    assert Stories(lite.store).stats() == Stories(pg.store).stats()
    assert Stories(pg.store).stats()["clusters_with_copies"] > 20


def test_pages_are_the_same(both):
    lite, pg, _ = both
    for query, kw in [("稀土", {}), ("稀土", {"sort": "latest"}), ("rare earth", {"mode": "keywords"})]:
        one = lite.searcher.search(query, limit=10, **kw)
        other = pg.searcher.search(query, limit=10, **kw)
        assert [h.id for h in one.hits] == [h.id for h in other.hits] and one.total == other.total
        assert [h.similar_count for h in one.hits] == [h.similar_count for h in other.hits]
        assert [h.summary.to_dict()["sections"] if h.summary else None for h in one.hits] == [
            h.summary.to_dict()["sections"] if h.summary else None for h in other.hits
        ]  # the same bullets (made at other times)


def test_a_second_ingest_changes_nothing(both):
    _, pg, _ = both
    seq = pg.store.last_seq()
    again = ingest(pg, DEMO)
    assert again.added == again.updated == 0 and again.unchanged > 400 and pg.store.last_seq() == seq


def _claim_all(url: str, worker: str, out, start) -> None:
    from assay.store.postgres import PostgresStore

    store = PostgresStore(url)
    start.wait(timeout=60)  # all together
    got = []
    while jobs := store.claim(worker, 3, lease_s=60, backend="b"):
        got += [j.id for j in jobs]
    out.put(got)
    store.close()


def test_workers_in_several_processes_never_claim_a_job_twice(pg_server, tmp_path):
    from assay.store.postgres import PostgresStore

    url = pg_server.new_database()
    store = PostgresStore(url)
    items = [(f"{i:016x}", f"hash{i}") for i in range(600)]
    assert store.enqueue(items, "b") == 600
    ctx = mp.get_context("spawn")
    out, start = ctx.Queue(), ctx.Barrier(4)
    procs = [ctx.Process(target=_claim_all, args=(url, f"w{i}:1", out, start)) for i in range(4)]
    for p in procs:
        p.start()
    claimed = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    every = [j for got in claimed for j in got]
    assert len(every) == 600 and len(set(every)) == 600  # each job once, none left
    assert sum(1 for got in claimed if got) >= 2  # the work was shared
    assert store.queue_counts("b")["running"] == 600
    store.close()


def test_check_finds_nothing(both):
    from assay.store.integrity import integrity_report

    _, pg, _ = both
    report = integrity_report(pg.store, pg.index)
    assert sum(report.counts.values()) == 0 and report.documents > 400 and report.indexed == report.documents


def _ingest_shard(url: str, home: str, path: str, start) -> None:
    from conftest import ingest, make_settings

    from assay.workspace import Workspace

    ws = Workspace(make_settings(Path(home), database_url=url, summarize_on_ingest=False, batch_size=50))
    start.wait(timeout=120)
    ingest(ws, Path(path))
    ws.close()


def test_copies_ingested_at_once_by_four_processes_join_one_story(pg_server, tmp_path):
    """The CCTV pairs: 300 copies of one item and 300 different items of the same day, each pair's two records
    given to two different ingest processes that run at the same time, against one PostgreSQL store: as many
    copies joined and no different items merged as one SQLite ingest of them all."""
    import gzip
    import json
    import random

    from conftest import data_file, read_records

    pairs = read_records("zh_neardup_cctv_pairs.jsonl.gz")
    records = {}
    for name in ("zh_news_cctv_xwlb.jsonl.gz", "zh_news_cctv_xwlb_dupscrape.jsonl.gz"):
        with gzip.open(data_file(name), "rt", encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                records[r["id"]] = {k: v for k, v in r.items() if k not in ("url", "origin")}
    rng = random.Random(66)
    same = rng.sample([p for p in pairs if str(p["label"]) == "1"], 300)
    other = rng.sample([p for p in pairs if str(p["label"]) == "0"], 300)
    shards: list[dict[str, dict]] = [{} for _ in range(4)]
    for i, p in enumerate(same + other):
        shards[i % 4].setdefault(p["id_a"], records[p["id_a"]])
        shards[(i + 1) % 4].setdefault(p["id_b"], records[p["id_b"]])
    paths = []
    for k, shard in enumerate(shards):
        path = tmp_path / f"shard{k}.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in shard.values()), "utf-8")
        paths.append(path)

    def figures(store) -> tuple[int, int]:
        cluster = {i: store.get_document(i).cluster_id for p in same + other for i in (p["id_a"], p["id_b"])}
        joined = sum(cluster[p["id_a"]] == cluster[p["id_b"]] for p in same)
        merged = sum(cluster[p["id_a"]] == cluster[p["id_b"]] for p in other)
        return joined, merged

    with Workspace(make_settings(tmp_path / "one", summarize_on_ingest=False)) as ws:
        ingest(ws, *paths)
        alone = figures(ws.store)
        documents = ws.store.count()
    url = pg_server.new_database()
    ctx = mp.get_context("spawn")
    start = ctx.Barrier(4)
    procs = [
        ctx.Process(target=_ingest_shard, args=(url, str(tmp_path / f"node{k}"), str(paths[k]), start))
        for k in range(4)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    from assay.store.postgres import PostgresStore

    store = PostgresStore(url)
    together = figures(store)
    assert store.count() == documents and store.count_unclustered() == 0
    assert all(store.resolve(i) for s in shards for i in s)  # every record id findable
    store.close()
    assert together == alone and alone[0] >= 0.98 * len(same) and alone[1] == 0, (together, alone)


def test_a_second_search_node_builds_its_index_from_the_store_and_follows_it(pg_server, tmp_path):
    """Two nodes (data directories, each its own index) over one store: a node that joins builds its index from
    the store; documents another node ingests reach it through the change log, which is not cut below the
    slower node's cursor; both answer with the same page; /api/health says how far behind a node is."""
    from fastapi.testclient import TestClient

    from assay.interfaces.app import create_app
    from assay.interfaces.service import follow_store

    records = [json.loads(line) for line in gzip.open(DEMO, "rt", encoding="utf-8")]
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records[:250]), "utf-8")
    second.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records[250:]), "utf-8")
    url = pg_server.new_database()
    a = Workspace(make_settings(tmp_path / "a", database_url=url, summarize_on_ingest=False))
    ingest(a, first)
    b = Workspace(make_settings(tmp_path / "b", database_url=url, summarize_on_ingest=False))  # joins: builds
    try:
        assert b.index.num_docs() == a.index.num_docs() == a.store.count()
        assert set(a.store.index_cursors()) == {a.index.node, b.index.node}
        ingest(a, second)
        assert b.store.changes_since(b.index.seq)[1]  # kept for b, which has not read them yet
        with TestClient(create_app(b.settings, b), base_url="http://127.0.0.1") as client:
            health = client.get("/api/health").json()
            assert health["index"]["node"] == b.index.node and health["documents"] == a.store.count()
        follow_store(b)
        assert b.index.num_docs() == a.store.count() and b.index.seq == a.store.last_seq()
        for q in ("稀土", "出口管制"):
            one, other = a.searcher.search(q, limit=10), b.searcher.search(q, limit=10)
            assert [h.id for h in one.hits] == [h.id for h in other.hits] and one.total == other.total > 0
    finally:
        b.close()
        a.close()
