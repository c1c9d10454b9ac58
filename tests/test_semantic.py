"""Search by meaning: document vectors made, stored and indexed (assay/text/embed.py, assay/search/vectors.py),
and the semantic and hybrid modes over real documents (the bundled demo corpus)."""

from __future__ import annotations

import gzip
import json
import socket
import time

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import DEMO, ingest, make_settings

from assay.interfaces.app import create_app
from assay.interfaces.cli import cli
from assay.search.engine import SEM_ABOUT, Filters
from assay.search.vectors import VectorIndex, catch_up
from assay.text.embed import MODEL, Encoder, pack, unpack
from assay.workspace import Workspace

N = 160  # demo documents: enough rare-earth and English ones, a few seconds to embed


def _demo_subset(path, n=N):
    with gzip.open(DEMO, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    zh = [r for r in rows if "稀土" in (r.get("text") or "")][: n // 2]
    en = [r for r in rows if (r.get("text") or "").isascii()][: n // 4]
    rest = [r for r in rows if r not in zh and r not in en][: n - len(zh) - len(en)]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in zh + en + rest), "utf-8")
    return path


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    home = tmp_path_factory.mktemp("semantic")
    w = Workspace(make_settings(home / "data", summarize_on_ingest=False))
    assert ingest(w, _demo_subset(home / "docs.jsonl")).added > N - 10  # (a few records repeat one another)
    assert w.vectors is not None, "the semantic extra is part of the test install"
    assert catch_up(w.store, w.vectors) == w.store.count()
    yield w
    w.close()


def test_pack_keeps_the_direction():
    rng = np.random.default_rng(1)
    v = rng.normal(size=(20, 512)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    back = unpack([pack(x) for x in v])
    assert back.shape == v.shape and len(pack(v[0])) == 516
    assert np.min(np.sum(back * v, axis=1)) > 0.998


def test_encoder_is_multilingual_and_offline(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    t = time.monotonic()
    enc = Encoder()
    v = enc.encode(["rare earth export controls", "稀土出口管制", "the weather in Paris is mild today"])
    cold = time.monotonic() - t
    assert v.shape == (3, 512) and np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2  # English and Chinese of one thing: near; another thing: far
    assert cold < 10, f"cold start {cold:.1f} s"


def test_vectors_follow_the_store_and_survive_a_restart(ws, tmp_path):
    n = ws.store.count()
    assert ws.store.vector_counts(MODEL) == (n, n)
    assert ws.store.vector_todo(MODEL, 10, 500) == []
    assert len(ws.vectors) == n
    ws.vectors.save()
    again = VectorIndex(ws.home, ws.store)  # another process: the saved graph, then what was written since
    assert len(again) == n and again.sync() == 0
    # a missing file is rebuilt from the store
    other = VectorIndex(tmp_path, ws.store)
    assert other.sync() == n and len(other) == n


def test_the_graph_finds_candidates_and_the_full_vectors_score_them(ws, tmp_path):
    rows = ws.store.vectors_since(MODEL, 0, 10_000)
    x = unpack([r.vec for r in rows])
    q = Encoder().encode(["rare earth export controls"])[0]
    exact = sorted(zip(x @ q, (r.doc_id for r in rows), strict=True), reverse=True)[:10]
    got = ws.vectors.search(q, 10)
    assert ws.vectors.projection.shape == (512, 128)
    # the scores are the full vectors' cosines (not the projection's), nearest first
    full = dict(zip((r.doc_id for r in rows), x @ q, strict=True))
    assert all(abs(sim - full[d]) < 1e-5 for d, sim in got)
    assert [s for _, s in got] == sorted((s for _, s in got), reverse=True)
    assert len({d for d, _ in got} & {d for _, d in exact}) >= 9
    # a graph saved under another projection is not loaded: it is rebuilt from the store
    saved = VectorIndex(tmp_path, ws.store)
    saved.sync()
    saved.save()
    meta = json.loads(saved.meta.read_text())
    assert meta["graph"] == "pca128"
    saved.meta.write_text(json.dumps({**meta, "graph": "pca256"}))
    again = VectorIndex(tmp_path, ws.store)
    assert again.sync() == ws.store.count()


def test_a_revised_record_gets_its_own_vector(tmp_path):
    with Workspace(make_settings(tmp_path / "h", summarize_on_ingest=False)) as w:
        src = tmp_path / "one.jsonl"
        src.write_text(json.dumps({"id": "x1", "title": "稀土出口", "text": "稀土出口管制措施公布。"}) + "\n", "utf-8")
        ingest(w, src)
        assert catch_up(w.store, w.vectors) == 1
        src.write_text(json.dumps({"id": "x1", "title": "Gold", "text": "Gold prices hit a record high."}) + "\n")
        ingest(w, src)
        assert w.store.vector_counts(MODEL) == (1, 2)  # the revised text is a new document, without a vector
        assert catch_up(w.store, w.vectors) == 1
        assert len(w.vectors) == 2 and catch_up(w.store, w.vectors) == 0
        (doc_id, sim), _ = w.vectors.search(Encoder().encode(["gold price"])[0], 5)
        assert sim > 0.3 and w.store.get_document(doc_id).title == "Gold"


def test_an_interrupted_run_resumes(tmp_path):
    with Workspace(make_settings(tmp_path / "h", summarize_on_ingest=False)) as w:
        ingest(w, _demo_subset(tmp_path / "docs.jsonl", 40))
        n = w.store.count()
        calls = []
        made = catch_up(w.store, w.vectors, lambda k, _: calls.append(k), stop=lambda: len(calls) >= 1, batch=16)
        assert made == 16 and w.store.vector_counts(MODEL) == (16, n)
        assert catch_up(w.store, w.vectors, batch=16) == n - 16
        assert w.store.vector_counts(MODEL) == (n, n) and len(w.vectors) == n


def test_semantic_mode_finds_chinese_documents_for_english(ws):
    r = ws.searcher.search("rare earth mining and exports", mode="semantic", sort="relevance", with_summaries=False)
    assert r.mode == "semantic" and r.order == "relevance" and r.hits
    top = [ws.store.get_document(h.id) for h in r.hits[:5]]
    assert sum("稀土" in d.title + "".join(p.text for p in d.paragraphs) for d in top) >= 4
    smart = ws.searcher.search("rare earth mining and exports", mode="semantic", with_summaries=False)
    assert all(h.about for h in smart.hits) and smart.listing == "about"
    dates = [h.published_at for h in smart.hits if h.published_at]
    assert dates == sorted(dates, reverse=True)
    only_en = ws.searcher.search(
        "rare earth", mode="semantic", filters=Filters(lang=["en"]), sort="relevance", with_summaries=False
    )
    assert only_en.hits and all(h.lang == "en" for h in only_en.hits)  # filters hold for vectors too


def test_hybrid_fuses_words_and_vectors(ws):
    fused = ws.searcher.search("rare earth export controls", sort="relevance", with_summaries=False, collapse=False)
    assert fused.mode == "hybrid" and fused.translation is not None
    words_only = ws.searcher.search(
        "rare earth export controls", mode="keywords", sort="relevance", with_summaries=False, collapse=False
    )
    assert fused.total > words_only.total
    scores = [h.score for h in fused.hits]
    assert scores == sorted(scores, reverse=True)
    page = ws.searcher.search("rare earth export controls", with_summaries=False)
    assert page.listing == "about" and all(h.about for h in page.hits)
    assert 0 < SEM_ABOUT < 1
    folded = ws.searcher.search("rare earth export controls", mentions=True, limit=200, with_summaries=False)
    assert folded.listing == "mentions" and not any(h.about for h in folded.hits)
    assert not folded.more  # every candidate that is not about the query fits: no empty next page
    assert not {h.id for h in folded.hits} & {h.id for h in page.hits}


def test_reindex_vectors_and_the_server_make_them_in_the_background(tmp_path):
    home = tmp_path / "h"
    with Workspace(make_settings(home, summarize_on_ingest=False)) as w:
        ingest(w, _demo_subset(tmp_path / "docs.jsonl", 30))
        n = w.store.count()
    out = CliRunner().invoke(cli, ["--data-dir", str(home), "reindex", "--vectors"])
    assert out.exit_code == 0 and f"vectors: {n} made" in out.output, out.output
    out = CliRunner().invoke(
        cli, ["--data-dir", str(home), "search", "rare earth", "--mode", "semantic", "--sort", "relevance", "--json"]
    )
    assert out.exit_code == 0 and json.loads(out.output)["hits"]
    # a new document: the server's vector thread picks it up
    from fastapi.testclient import TestClient

    (tmp_path / "new.jsonl").write_text(json.dumps({"id": "n1", "title": "锂电池", "text": "锂电池产能扩张。"}) + "\n")
    with Workspace(make_settings(home, summarize_on_ingest=False)) as w:
        ingest(w, tmp_path / "new.jsonl")
        with TestClient(create_app(w.settings, w), base_url="http://127.0.0.1") as client:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                v = client.get("/api/health").json()["vectors"]
                if v["documents"] == v["of"] == n + 1:
                    break
                time.sleep(0.2)
            assert v == {"model": MODEL, "documents": n + 1, "of": n + 1}


def test_a_worker_makes_the_missing_vectors(tmp_path):
    home = tmp_path / "h"
    with Workspace(make_settings(home, summarize_on_ingest=False)) as w:
        ingest(w, _demo_subset(tmp_path / "docs.jsonl", 12))
        n = w.store.count()
    out = CliRunner().invoke(cli, ["--data-dir", str(home), "worker", "--vectors", "--once"])
    assert out.exit_code == 0 and f"vectors: {n} made" in out.output, out.output
    with Workspace(make_settings(home, summarize_on_ingest=False)) as w:
        assert w.store.vector_counts(MODEL) == (n, n) and len(w.vectors) == n
