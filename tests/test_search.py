import json

import pytest
from conftest import ingest, make_settings
from hypothesis import given, settings
from hypothesis import strategies as st
from tantivy import Occur

from assay.errors import QueryError
from assay.search.engine import ABOUT, Filters
from assay.search.query import parse
from assay.text.dates import parse_date
from assay.workspace import Workspace

RECORDS = [
    {
        "id": "a",
        "title": "稀土出口管制升级",
        "text": "商务部宣布对中重稀土实施出口管制。美国表示关注。",
        "source": "新华社",
        "published_at": "2025-10-09",
    },
    {
        "id": "b",
        "title": "服装出口增长",
        "text": "今年前三季度服装出口增长5%。纺织业回暖。",
        "source": "经济日报",
        "published_at": "2025-10-01",
    },
    {
        "id": "c",
        "title": "Rare earth prices",
        "text": "Rare earth prices rose sharply after China tightened exports.",
        "source": "Reuters",
        "published_at": "2025-09-01",
        "lang": "en",
    },
    {
        "id": "d",
        "title": "中美贸易磋商",
        "text": "中美贸易磋商取得进展，双方就稀土问题交换意见。",
        "source": "新华社",
        "published_at": "2025-10-20",
    },
    {
        "id": "e",
        "title": "锂电池产能",
        "text": "锂电池产能扩张，稀土永磁需求上升。",
        "source": "证券时报",
        "published_at": "2024-05-01",
    },
    {
        "id": "f",
        "title": "稀土 稀土 稀土",
        "text": "稀土稀土稀土，稀土行业研究。",
        "source": "某券商研究所",
        "published_at": "2023-01-01",
        "doc_type": "report",
    },
]


def write_records(path):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in RECORDS), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    home = tmp_path_factory.mktemp("search")
    src = write_records(home / "docs.jsonl")
    w = Workspace(make_settings(home / "data"))
    assert ingest(w, src).added == len(RECORDS)
    yield w
    w.close()


def ext(result):
    return [h.external_id for h in result.hits]


def latest(ws, query, **kw):
    """Every match, newest first (the matching itself, whatever is about the query)."""
    return ws.searcher.search(query, sort="latest", **kw)


def test_smart_sort_lists_what_is_about_the_query_newest_first(ws):
    """The default page: the documents about 稀土 newest first; d and e mention it once in passing, so they
    are counted below the page and listed on request (mentions=True), newest first."""
    r = ws.searcher.search("稀土")
    assert r.sort == "smart" and r.listing == "about" and r.order == "newest"
    assert ext(r) == ["a", "f"]  # c is English: "稀土" is not "rare earth" (yet)
    assert (r.total, r.about, r.mentions) == (4, 2, 2)
    assert all(h.about and h.aboutness >= ABOUT for h in r.hits)
    assert max(h.aboutness for h in r.hits) == 1.0  # f: the best match
    folded = ws.searcher.search("稀土", mentions=True)
    assert folded.listing == "mentions" and ext(folded) == ["d", "e"]
    assert all(h.about is False and h.aboutness < ABOUT for h in folded.hits)
    assert ws.searcher.search("稀土", limit=1).more and not ws.searcher.search("稀土", limit=2).more


def test_latest_lists_every_match_newest_first_and_says_which_are_about(ws):
    r = latest(ws, "稀土")
    assert ext(r) == ["d", "a", "e", "f"] and r.listing == "all"
    dates = [h.published_at for h in r.hits]
    assert dates == sorted(dates, reverse=True)
    assert [h.about for h in r.hits] == [False, True, False, True]
    old = ws.searcher.search("稀土", sort="newest")  # the name before the smart sort: saved searches, links
    assert old.sort == "latest" and ext(old) == ext(r)


def test_relevance_prefers_title_and_frequency(ws):
    r = ws.searcher.search("稀土", sort="relevance")
    assert ext(r)[0] == "f"
    assert r.hits[0].score >= r.hits[-1].score


def test_and_by_default_and_fallback_to_any(ws):
    assert ext(ws.searcher.search("稀土 出口")) == ["a"]
    r = latest(ws, "稀土 纺织业")
    assert r.match == "any" and set(ext(r)) >= {"b", "a"}
    assert ws.searcher.search("稀土 纺织业", match="all").total == 0


def test_compound_found_by_its_part(ws):
    # 服装出口 is one word in default mode; the index holds 出口 as a sub-word
    assert "b" in ext(latest(ws, "出口"))


def test_traditional_query_finds_simplified_text(ws):
    assert ext(ws.searcher.search("鋰電池")) == ["e"]
    assert "d" in ext(ws.searcher.search("中美貿易"))


def test_phrase_and_exclusion(ws):
    assert ext(ws.searcher.search('"出口管制"')) == ["a"]
    assert "a" not in ext(latest(ws, "稀土 -美国"))
    assert "d" in ext(latest(ws, "稀土 -美国"))
    assert ext(ws.searcher.search('"管制 出口"')) == []  # order matters in a phrase


def test_or_joins_two_words_or_phrases(ws):
    """OR (or |) between two parts: either may match; the other words must all match still."""
    assert set(ext(latest(ws, "锂电池 OR 纺织业"))) == {"e", "b"}
    assert ext(latest(ws, "稀土 美国 OR 锂电池")) == ["a", "e"]  # 稀土 and (美国 or 锂电池)
    assert ext(latest(ws, '"出口管制" | 中美贸易')) == ["d", "a"]  # a phrase, a word cut in three
    assert ext(latest(ws, "稀土 or 美国", match="all")) == []  # lower-case "or" is a word, in none here
    assert ext(latest(ws, "OR 锂电池 OR")) == ["e"]  # an OR with nothing beside it is ignored
    # the parts for a snippet's highlights include both sides
    hit = ws.searcher.search("稀土 美国 OR 锂电池", sort="relevance").hits[0]
    assert {hit.snippet[a:b] for a, b in hit.highlights} >= {"稀土"}


def test_filters_written_in_the_query(ws):
    """source:, type:, lang:, since:, until: in the query do what the options do, and replace them."""
    tz = ws.settings.tz
    r = latest(ws, "稀土 source:新华")
    assert ext(r) == ["d", "a"] and r.query_filters == {"source": ["新华"]}  # the page says where it came from
    assert ext(latest(ws, '稀土 SOURCE:"新华"')) == ["d", "a"]
    assert ext(latest(ws, "稀土 type:report")) == ["f"]
    assert ext(latest(ws, "lang:en")) == ["c"]
    assert ext(latest(ws, "稀土 since:2025-10-05 until:2025-10-10")) == ["a"]
    assert ext(latest(ws, "稀土 until:2025-10-09")) == ["a", "e", "f"]  # the whole last day
    news = Filters(doc_type=["news"], since=parse_date("2025-10-15", tz)[0])
    assert ext(latest(ws, "稀土 type:report", filters=news)) == []  # type replaced, since kept
    assert ext(latest(ws, "稀土 type:report since:2020-01-01", filters=news)) == ["f"]
    assert ext(latest(ws, "稀土 since:2025-10")) == ["d", "a"]  # a month
    assert ext(latest(ws, "稀土 until:2024")) == ["e", "f"]  # the whole of a year
    assert ext(latest(ws, "稀土 since:today")) == []
    assert ext(latest(ws, "稀土 10:30", match="all")) == []  # not a filter word: a word of the query
    # what only looks like a filter is searched as words, and the page says so
    for text, why in (
        ("稀土 type:memo", "types: news"),
        ("稀土 since:someday", "dates:"),
        ("稀土 -source:新华", "-source: is not supported"),
        ("稀土 lang:chinese", "a language is a code"),
    ):
        r = latest(ws, text)
        assert r.query_filters == {} and len(r.notes) == 1 and why in r.notes[0], text
        assert r.notes[0].startswith(text.split()[1]) and "searched as words" in r.notes[0]
    assert ext(latest(ws, "稀土 type:memo", match="all")) == []  # "type" and "memo" were words, in no document


def test_days_months_years_and_times_before_today():
    """since/until (options, panel, query, saved searches) take a day, a month, a year, today/yesterday or
    a time before today (7d 2w 3m 1y), so a saved search with since:7d keeps to the last week."""
    from datetime import datetime, timedelta, timezone

    from assay.search.engine import parse_day

    tz = timezone(timedelta(hours=8))
    now = datetime(2026, 3, 31, 15, 0, tzinfo=tz)

    def day(value, end=False):
        return parse_day(value, tz, "since", end=end, now=now).strftime("%Y-%m-%d %H:%M:%S")

    assert day("7d") == "2026-03-24 00:00:00" and day("2w") == "2026-03-17 00:00:00"
    assert day("1m") == "2026-02-28 00:00:00"  # no 31 February: its last day
    assert day("1y") == "2025-03-31 00:00:00" and day("yesterday") == "2026-03-30 00:00:00"
    assert day("today", end=True) == "2026-03-31 23:59:59"
    assert (day("2025-10"), day("2025-10", end=True)) == ("2025-10-01 00:00:00", "2025-10-31 23:59:59")
    assert (day("2024"), day("2024", end=True)) == ("2024-01-01 00:00:00", "2024-12-31 23:59:59")
    assert day("2025-10-05", end=True) == "2025-10-05 23:59:59"
    assert parse_day("2025-10-05", tz, "since", now=now).utcoffset() == timedelta(hours=8)
    for bad in ("2025-13", "last week", "7x"):
        with pytest.raises(QueryError, match="not a date"):
            parse_day(bad, tz, "since", now=now)


def test_english_stemming(ws):
    assert ext(ws.searcher.search("export", mode="keywords")) == ["c"]
    assert ext(ws.searcher.search("RARE earths", mode="keywords")) == ["c"]


def test_filters(ws):
    tz = ws.settings.tz
    assert ext(latest(ws, "稀土", filters=Filters(source=["新华"]))) == ["d", "a"]
    assert ext(latest(ws, "稀土", filters=Filters(doc_type=["report"]))) == ["f"]
    assert ext(ws.searcher.search("", filters=Filters(lang=["en"]))) == ["c"]
    since = parse_date("2025-10-05", tz)[0]
    until = parse_date("2025-10-10", tz)[0]
    assert ext(latest(ws, "稀土", filters=Filters(since=since, until=until))) == ["a"]
    assert ws.searcher.search("稀土", filters=Filters(source=["nobody"])).total == 0


def test_filters_on_the_majority_value(ws):
    """lang=zh and type=news keep most documents, so they run as MustNot of the other values: the same
    documents must come back as with the minority filters' complement."""
    everything = set(ext(ws.searcher.search("", limit=10)))
    zh = set(ext(ws.searcher.search("", limit=10, filters=Filters(lang=["zh"]))))
    assert zh == everything - {"c"}
    news = set(ext(ws.searcher.search("", limit=10, filters=Filters(doc_type=["news"]))))
    assert news == everything - {"f"}
    both = latest(ws, "稀土", filters=Filters(lang=["zh"], doc_type=["news"]))
    assert ext(both) == ["d", "a", "e"] and both.total == 3
    assert ws.searcher.search("", filters=Filters(lang=["zh", "en"])).total == len(RECORDS)
    assert ws.searcher.search("", filters=Filters(lang=["fr"])).total == 0
    # the Must form stays for a value that keeps few documents
    kept = ws.searcher._one_of(ws.index.searcher(), "lang", ["en"])
    dropped = ws.searcher._one_of(ws.index.searcher(), "lang", ["zh"])
    assert [o for o, _ in kept] == [Occur.Must] and [o for o, _ in dropped] == [Occur.MustNot]


def test_as_of_hides_documents_added_later(ws):
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    assert ws.searcher.search("", filters=Filters(as_of=now + timedelta(seconds=5))).total == len(RECORDS)
    assert ws.searcher.search("", filters=Filters(as_of=now - timedelta(days=1))).total == 0


def test_pagination(ws):
    everything = ext(ws.searcher.search("", limit=10))
    pages = ext(ws.searcher.search("", limit=2, page=1)) + ext(ws.searcher.search("", limit=2, page=2))
    pages += ext(ws.searcher.search("", limit=2, page=3))
    assert pages == everything and len(everything) == len(RECORDS)
    assert ws.searcher.search("", limit=2, page=1).total == len(RECORDS)


def test_snippet_highlights_the_best_paragraph(ws):
    hit = ws.searcher.search("美国 稀土", sort="relevance").hits[0]
    assert hit.snippet_paragraph is not None
    marked = [hit.snippet[a:b] for a, b in hit.highlights]
    assert "稀土" in marked and "美国" in marked


def test_bad_queries(ws):
    with pytest.raises(QueryError):
        ws.searcher.search("稀土", sort="oldest")
    with pytest.raises(QueryError):
        ws.searcher.search("稀土", limit=0)
    assert ws.searcher.search('"').total >= 0  # odd syntax degrades, never crashes
    for odd in ('source:"', 'source:""', 'lang:"  "', "source:", "OR", "| OR |", 'since:"" 稀土'):
        assert ws.searcher.search(odd).total >= 0, odd


_PIECES = ["稀土", "出口", "rare", "OR", "|", "-", '"', " ", "*", "source:", "type:", "lang:", "since:", "until:"]
_PIECES += ["新华", "report", "memo", "en", "2025-10", "7d", "", ":"]


@given(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join))
@settings(max_examples=300, deadline=None)
def test_any_query_text_parses_or_says_why(text):
    """Whatever is typed into the box, the parser returns a query or raises a QueryError (a 400 with its
    reason), never anything else (a quoted empty filter value raised a TypeError: a 500)."""
    try:
        parse(text)
    except QueryError:
        pass


def test_index_catches_up_after_a_crash_and_reindex_agrees(tmp_path):
    src = write_records(tmp_path / "docs.jsonl")
    settings = make_settings(tmp_path / "data")
    with Workspace(settings) as w:
        ingest(w, src)
        # a write that reached the store but whose index commit never happened (a crash)
        from assay.ingest.records import record_to_document

        extra = record_to_document({"id": "late", "title": "稀土晚到", "text": "稀土新闻晚到了。"}, settings.tz)
        w.store.write_batch([extra], [])
    with Workspace(settings) as w:  # opening catches the index up with the store
        assert "late" in ext(w.searcher.search("晚到"))
        assert w.index.num_docs() == w.store.count()
        before = ext(w.searcher.search("稀土", limit=50))
        assert w.index.rebuild(w.store) == w.store.count()
        assert ext(w.searcher.search("稀土", limit=50)) == before


def test_latin_compound_is_a_phrase(ws):
    assert ext(ws.searcher.search("rare-earth")) == ["c"]
    assert ext(ws.searcher.search("earth-rare")) == []


def test_lost_index_is_rebuilt_from_the_store(tmp_path):
    import shutil

    src = write_records(tmp_path / "docs.jsonl")
    settings = make_settings(tmp_path / "data")
    with Workspace(settings) as w:
        ingest(w, src)
        ingest(w, src)  # commits again, and prunes the change log
    shutil.rmtree(settings.index_dir)  # the index is derived data: losing it loses nothing
    with Workspace(settings) as w:
        assert w.index.num_docs() == len(RECORDS)
        assert ext(latest(w, "稀土")) == ["d", "a", "e", "f"]


def test_as_of_keeps_pages_stable_while_documents_arrive(tmp_path):
    import time
    from datetime import UTC, datetime

    home = tmp_path / "data"
    first = tmp_path / "first.jsonl"
    with_url = [dict(r, url="https://example.com/d") if r["id"] == "d" else r for r in RECORDS]
    first.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in with_url), encoding="utf-8")
    with Workspace(make_settings(home)) as w:
        ingest(w, first)
    time.sleep(1.1)  # ingest times are kept to the second
    as_of = datetime.now(UTC)
    time.sleep(1.1)
    # a copy of "a" 16 days later (within a story's 30 days), the newest document of all
    late = dict(RECORDS[0], id="late", title="稀土新闻 later", published_at="2025-10-25")
    # the same URL with new text is an update: it keeps its first ingest time
    changed = dict(with_url[3], text=RECORDS[3]["text"] + "补充一句稀土。")
    second = tmp_path / "second.jsonl"
    second.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in (late, changed)), encoding="utf-8")
    with Workspace(make_settings(home)) as w:
        report = ingest(w, second)
        assert (report.added, report.updated) == (1, 1)
        assert ext(latest(w, "稀土", collapse=False))[0] == "late"
        # "late" repeats "a": one card, the earliest standing for it, in the place of its own time (the page
        # stays newest first by the times it shows)
        cards = latest(w, "稀土").hits
        assert ext(latest(w, "稀土")) == ["d", "a", "e", "f"]
        assert [m.id for m in cards[1].similar] == [w.store.resolve("late")]
        pinned = latest(w, "稀土", filters=Filters(as_of=as_of))
        assert ext(pinned) == ["d", "a", "e", "f"]
    with Workspace(make_settings(home)) as w:  # the same after a rebuild from the store
        w.index.rebuild(w.store)
        assert ext(latest(w, "稀土", filters=Filters(as_of=as_of))) == ["d", "a", "e", "f"]


def test_a_pasted_sentence_is_ranked_over_most_of_its_words(ws):
    """A long query (a headline, a sentence) is not a strict AND: a document that writes one of its words
    differently still comes first; short queries stay AND."""
    pasted = "商务部宣布对中重稀土实施出口管制 美国表示严重关切"  # 严重关切: in no document
    r = ws.searcher.search(pasted)
    assert r.long_query and r.match == "most" and r.order == "relevance" and r.listing == "all"
    assert ext(r)[0] == "a"
    assert ws.searcher.search(pasted, match="all").total == 0  # the strict AND finds nothing
    question = ws.searcher.search("稀土为什么要出口管制")  # a question: its question words are in no answer
    assert question.long_query and ext(question)[0] == "a"
    short = ws.searcher.search("稀土 关切")
    assert not short.long_query and short.match == "any"  # AND first; any only when nothing holds all


def test_pasted_punctuation_is_text(ws):
    """Headline punctuation is not syntax: '|' in a long text, a dash before a number."""
    r = ws.searcher.search("独家 | 商务部宣布对中重稀土实施出口管制 美国表示关注")
    assert r.long_query and ext(r)[0] == "a" and "OR and | in it were read as words" in r.notes[0]
    assert parse("稀土 -2.5%").excluded == [] and parse("稀土 -出口").excluded == ["出口"]


def test_passages_are_paragraphs_with_their_place(ws):
    result = ws.searcher.passages("出口管制", limit=5)
    assert result.passages and result.documents >= 1
    first = result.passages[0]
    doc = ws.store.get_document(first.doc_id)
    assert first.external_id == "a" and doc.paragraphs[first.paragraph - 1].text == first.text
    assert "".join(first.text[a:b] for a, b in first.highlights) == "出口管制"
    assert ws.searcher.passages("稀土 type:report").passages[0].external_id == "f"  # the query's filters
    assert ws.searcher.passages("稀土 -出口").passages and all(
        p.external_id != "a" for p in ws.searcher.passages("稀土 -出口").passages
    )


def test_a_query_of_filters_alone_lists_everything_newest_first(ws):
    """No words to be about: the smart page is every match, newest first (not an arbitrary top by a constant
    score)."""
    r = ws.searcher.search("type:news")
    assert r.listing == "all" and r.total == 5 and ext(r) == ["d", "a", "b", "c", "e"]
    assert ext(ws.searcher.search("-美国")) == ["d", "b", "c", "e", "f"]


def test_a_pasted_paragraph_is_cut_to_its_first_words():
    from assay.search.query import MAX_TERMS

    text = " ".join(f"词{i}号" for i in range(100))
    q = parse(text)
    assert len(q.terms) <= MAX_TERMS and q.long and any("first 64 words" in n for n in q.notes)
    with pytest.raises(QueryError, match="OR groups and exclusions"):
        parse(" ".join(f"-排除{i}" for i in range(70)))
