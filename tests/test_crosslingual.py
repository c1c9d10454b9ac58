"""English in, Chinese found: query translation (assay/text/lexicon.py, assay/search/translate.py) through the
library, the CLI, the API and saved searches, on the bundled demo corpus (real documents)."""

from __future__ import annotations

import json
import socket

import pytest
from click.testing import CliRunner

from assay.interfaces.cli import cli
from assay.search.translate import mostly_english
from assay.text.lexicon import Lexicon


@pytest.fixture(scope="module")
def lexicon():
    return Lexicon()


def _known(*held):
    return lambda text: 7 if text in held else 0


def test_spans_longest_first_on_stems_with_glossary_terms(lexicon):
    got = lexicon.to_chinese("Rare earths export controls", lambda text: 5)
    assert [r.words for r in got] == ["Rare earths", "export controls"]  # plural stems, longest span
    assert got[0].targets[0] == "稀土"
    assert got[1].targets[0] == "出口管制" and got[1].source == "glossary"


def test_candidates_the_index_lacks_are_dropped(lexicon):
    (r,) = lexicon.to_chinese("semiconductor", _known())
    assert r.targets == ()  # nothing the index holds: searched as written
    (r,) = lexicon.to_chinese("semiconductor", _known("半导体"))
    assert r.targets == ("半导体",)


def test_acronyms_are_case_sensitive_and_stop_words_dropped(lexicon):
    got = lexicon.to_chinese("tariffs on the US", lambda text: 5)
    assert [r.words for r in got] == ["tariffs", "US"]  # on, the: stop words
    assert "美国" in got[1].targets
    assert lexicon.to_chinese("tell us", lambda text: 5)[-1].words == "tell"  # "us" is a stop word


def test_chinese_to_english(lexicon):
    r = lexicon.to_english("稀土", lambda text: 5)
    assert "rare earth" in r.targets


def test_which_queries_are_english():
    assert mostly_english("rare earth export controls")
    assert mostly_english("Tesla 降价")
    assert not mostly_english("稀土 出口")
    assert not mostly_english("《NBA 2K》是哪一年由哪家公司发行的")  # a Chinese question naming NBA
    assert not mostly_english('稀土 "rare earth"')  # quoted: as written
    assert not mostly_english("稀土 or 美国")  # a stop word is not English enough


def test_offline_with_sockets_blocked(monkeypatch):
    """The dictionary and the glossary ship in installed packages: nothing is fetched."""

    def refuse(*args, **kwargs):
        raise OSError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    fresh = Lexicon()
    assert fresh.cedict
    assert fresh.to_chinese("lithium battery", lambda text: 5)[0].targets[0] == "锂电池"


def test_english_query_finds_chinese_documents(demo_ws):
    r = demo_ws.searcher.search("rare earth export controls", with_summaries=False)
    assert r.mode == "hybrid" and r.translation is not None
    assert r.translation["query"].split()[0] == "稀土"
    assert r.hits and r.listing == "about"
    zh = [h for h in r.hits if h.lang == "zh"]
    assert len(zh) >= 5
    for h in r.hits:  # every card is about rare earths, in either language
        doc = demo_ws.store.get_document(h.id)
        text = doc.title + "\n".join(p.text for p in doc.paragraphs)
        assert "稀土" in text or "rare earth" in text.lower(), h.title
    dates = [h.published_at for h in r.hits if h.published_at]
    assert dates == sorted(dates, reverse=True)  # the smart sort: newest first
    plain = demo_ws.searcher.search("rare earth export controls", mode="keywords", with_summaries=False)
    assert plain.mode == "keywords" and plain.translation is None
    assert all(h.lang == "en" for h in plain.hits)


def test_chinese_query_stays_keywords_unless_asked(demo_ws):
    r = demo_ws.searcher.search("稀土", with_summaries=False)
    assert r.mode == "keywords" and r.translation is None
    both = demo_ws.searcher.search("稀土", mode="hybrid", with_summaries=False)
    assert both.mode == "hybrid" and both.total >= r.total
    assert any(s["words"] == "稀土" and "rare earth" in s["as"] for s in both.translation["spans"])


def test_cli_prints_the_translation_line(demo_ws):
    home = str(demo_ws.settings.home)
    out = CliRunner().invoke(cli, ["--data-dir", home, "search", "rare", "earth", "export", "controls"])
    assert out.exit_code == 0, out.output
    assert "searched 稀土" in out.output and "for rare earth export controls" in out.output
    data = json.loads(CliRunner().invoke(cli, ["--data-dir", home, "search", "lithium battery", "--json"]).output)
    assert data["mode"] == "hybrid" and data["translation"]["spans"][0]["as"][0] == "锂电池"
    kw = CliRunner().invoke(cli, ["--data-dir", home, "search", "lithium battery", "--mode", "keywords", "--json"])
    assert json.loads(kw.output)["translation"] is None
