"""Pasted-text lookups: a long query's best matches reordered by how much of its text each holds as written
(assay/search/lookup.py), in the library and through the search engine on real FinNA flashes."""

from __future__ import annotations

import gzip
import json

from conftest import data_file, ingest, make_settings

from assay.search.lookup import Candidate, held, rescore, units
from assay.workspace import Workspace


def test_units_are_character_pairs_and_whole_words():
    pairs, words = units("上海卫健委：GDP增长5.5%左右，國際")
    assert {"上海", "海卫", "卫健", "健委", "增长", "国际"} <= pairs  # traditional folded to simplified
    assert "委增" not in pairs  # punctuation and Latin words end a run
    assert words == {"gdp", "5.5"}
    assert units("龙") == ({"龙"}, set())


def test_held_counts_pairs_anywhere_and_words_whole():
    want = units("浙江18例")
    assert held(want, "本土病例40例（浙江18例，均在杭州市）") == 1.0
    assert held(want, "浙江180例") < 1.0  # 18 is not a word of 180
    assert held(units("，。"), "anything") == 0.0


def test_rescore_prefers_the_document_stating_the_figure_in_another_form():
    query = "世卫组织：全球累计新冠确诊病例达3.5695亿例"
    other = Candidate(10.0, "世界卫生组织3日公布的最新数据显示，全球累计新冠确诊病例达383509779例。")
    target = Candidate(9.5, "世界卫生组织26日公布的最新数据显示，全球累计新冠确诊病例达356955803例。")
    got = rescore(query, [other, target])
    assert got[1] > got[0]
    assert all(new >= c.score for new, c in zip(got, [other, target], strict=True))  # never below its own
    assert rescore(query, []) == []


def test_a_pasted_summary_finds_its_flash_among_near_identical_ones(tmp_path):
    """Among all FinNA flashes (titles dropped), ten daily WHO ones say the same words with another count
    (326279424, 356955803, …); each one's human summary writes its count in 亿, cut short (3.5695亿). Words
    alone cannot tell them apart (the engine's own order put most of them below a neighbour); the figures do."""
    with gzip.open(data_file("zh_finnews_finna.jsonl.gz"), "rt", encoding="utf-8") as f:
        records = [r for r in map(json.loads, f) if r.get("text")]
    src = tmp_path / "finna.jsonl"
    src.write_text("".join(json.dumps({**r, "title": None}, ensure_ascii=False) + "\n" for r in records), "utf-8")
    who = [r for r in records if "全球累计新冠确诊病例" in r["text"] and r.get("summary")]
    assert len(who) == 10
    with Workspace(make_settings(tmp_path / "h", summarize_on_ingest=False)) as ws:
        ingest(ws, src)
        for r in who:
            res = ws.searcher.search(r["summary"], limit=3, with_summaries=False, collapse=False)
            assert res.long_query and res.order == "relevance"
            assert res.hits[0].id == ws.store.resolve(r["id"]), r["summary"]
            assert res.hits[0].aboutness == 1.0 and res.hits[0].about
            assert [h.score for h in res.hits] == sorted((h.score for h in res.hits), reverse=True)
