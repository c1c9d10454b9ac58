"""Cross-lingual quality gate: the 30 English topics of bench/eval_crosslingual.py (one list, imported from
there) over the 5,000-document set (913 broker digests + the first 4,087 FinNA flashes, all Chinese), in
hybrid mode with the dictionary alone (vectors are covered by tests/test_semantic.py; making 5,000 here
would double this test's time). A document is relevant when it holds the topic's Chinese words.

Measured 2026-12-07 (bench/eval_crosslingual.py): relevance P@10 0.987, R@100 0.911; the English words alone
0.050 / 0.008. Floors sit under."""

from __future__ import annotations

import gzip
import importlib.util
import json
import statistics

import pytest
from conftest import REPO, data_file, ingest, make_settings

from assay.workspace import Workspace

FLOORS = {"p10": 0.95, "r100": 0.85, "default_precision": 0.93}


def _topics():
    spec = importlib.util.spec_from_file_location("eval_crosslingual_topics", REPO / "bench" / "eval_crosslingual.py")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SystemExit:  # pragma: no cover
        pytest.skip("bench/eval_crosslingual.py could not be loaded")
    return module.TOPICS


def _jsonl(name):
    with gzip.open(data_file(name), "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    home = tmp_path_factory.mktemp("crosslingual")
    digests = _jsonl("zh_broker_research_digests.jsonl.gz")
    flashes = _jsonl("zh_finnews_finna.jsonl.gz")[: 5000 - len(digests)]
    src = home / "set5k.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in digests + flashes), "utf-8")
    w = Workspace(make_settings(home / "data", workers=2, summarize_on_ingest=False))
    ingest(w, src)
    w.searcher.vectors = None  # the dictionary alone
    yield w
    w.close()


def test_english_topics_find_chinese_documents(ws):
    topics = _topics()
    texts = {d.id: d.title + "\n" + "\n".join(p.text for p in d.paragraphs) for d in ws.store.iter_documents()}
    p10, r100, precision = [], [], []
    for query, zh, _ in topics:
        rel = {i for i, t in texts.items() if all(any(w in t for w in g) for g in zh)}
        deep = ws.searcher.search(query, sort="relevance", limit=100, collapse=False, with_summaries=False)
        assert deep.mode == "hybrid" and deep.translation, query
        p10.append(sum(h.id in rel for h in deep.hits[:10]) / 10)
        r100.append(sum(h.id in rel for h in deep.hits) / max(1, min(100, len(rel))))
        page = ws.searcher.search(query, with_summaries=False)
        precision.append(sum(h.id in rel for h in page.hits) / max(1, len(page.hits)))
        plain = ws.searcher.search(query, mode="keywords", sort="relevance", limit=10, with_summaries=False)
        assert sum(h.id in rel for h in plain.hits) <= 3, query  # the English words alone barely reach them
    got = {"p10": statistics.mean(p10), "r100": statistics.mean(r100), "default_precision": statistics.mean(precision)}
    print(f"\ncross-lingual (30 English topics, 5,000 Chinese documents): {got}")
    for name, floor in FLOORS.items():
        assert got[name] >= floor, f"{name} {got[name]:.3f} fell below {floor}"
