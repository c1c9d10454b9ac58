from zoneinfo import ZoneInfo

from assay.search.query import compound_parts, parse
from assay.text import detect_lang, fold, split_paragraphs, split_sentences, tokenize
from assay.text.dates import parse_date
from assay.text.segment import index_terms

TZ = ZoneInfo("Asia/Shanghai")


def test_fold_traditional_fullwidth_case():
    assert fold("中美貿易 鋰電池") == "中美贸易 锂电池"
    assert fold("ＡＢＣ１２３") == "abc123"
    assert len(fold("中美貿易")) == len("中美貿易")


def test_fold_for_uncased_terms_skips_only_the_lower_casing():
    # snippets of Chinese queries match in the text as written when nothing but case would change
    text = "AI算力拉动稀土需求，Rare Earth 出口管制"
    assert fold(text, cased=False) is text
    assert fold("中美貿易ＡＢＣ", cased=False) == fold("中美貿易ＡＢＣ") == "中美贸易abc"  # traditional, full width


def test_tokenizer_is_shared_and_folds():
    assert tokenize("中美貿易") == tokenize("中美贸易")
    assert tokenize("鋰電池") == tokenize("锂电池")
    assert "export" in tokenize("Rare-earth EXPORTS rose")
    assert "rare" in tokenize("Rare-earth EXPORTS rose")


def test_index_keeps_search_mode_subwords():
    words, extra = index_terms("服装出口增长")
    assert "服装出口" in words
    assert "出口" in extra and "服装" in extra


def test_compound_parts_cover_the_word():
    parts = compound_parts("出口管制")
    assert "".join(parts) == "出口管制" and len(parts) == 2


def test_query_syntax():
    q = parse('稀土 "出口 管制" -美国 -"关税 政策"')
    assert q.terms == ["稀土"]
    assert q.phrases == [["出口", "管制"]]
    assert q.excluded == ["美国"]
    assert q.excluded_phrases == [["关税", "政策"]]
    assert parse('"unbalanced').terms  # a lone quote does not break parsing


def test_paragraphs_markdown_headings_and_numbering():
    text = "# 标题\n\n第一段。\n第二段。\n\n## 小节\n\n- 要点一\n- 要点二"
    ps = split_paragraphs(text)
    assert [p.n for p in ps] == list(range(1, len(ps) + 1))
    assert ps[0].kind == "heading" and ps[0].level == 1 and ps[0].text == "标题"
    assert [p.text for p in ps[1:3]] == ["第一段。", "第二段。"]
    assert ps[3].kind == "heading" and ps[3].level == 2
    assert [p.text for p in ps[4:]] == ["- 要点一", "- 要点二"]


def test_paragraphs_join_wrapped_english_and_split_indented():
    text = "Showers continued throughout the week in\nthe Bahia cocoa zone.\n    The dry period means\nlate arrivals."
    ps = split_paragraphs(text)
    assert [p.text for p in ps] == [
        "Showers continued throughout the week in the Bahia cocoa zone.",
        "The dry period means late arrivals.",
    ]


def test_markdown_emphasis_removed():
    assert split_paragraphs("**央视网消息**（新闻联播）：内容。")[0].text == "央视网消息（新闻联播）：内容。"


def test_sentences_are_substrings():
    para = "中国稀土出口增长12.5%，达到4.87万吨。美国表示不会让步！U.S. exports rose 5.2% in Jan. The Fed said so."
    sents = split_sentences(para)
    assert sents[0] == "中国稀土出口增长12.5%，达到4.87万吨。"
    assert all(s in para for s in sents)
    assert "The Fed said so." in sents


def test_detect_lang():
    assert detect_lang("中国稀土出口管制") == "zh"
    assert detect_lang("Rare earth exports") == "en"
    assert detect_lang("Apple 发布新款 iPhone，销量大增") == "zh"


def test_dates():
    dt, day = parse_date("2022-01-01", TZ)
    assert day and dt.tzinfo is not None and dt.year == 2022
    dt, day = parse_date("2025年10月26日 06:41", TZ)
    assert not day and (dt.hour, dt.minute) == (6, 41)
    dt, _ = parse_date("26-FEB-1987 15:01:01.79", TZ)
    assert (dt.year, dt.month, dt.day) == (1987, 2, 26)
    assert parse_date("None", TZ) == (None, False)
    assert parse_date("2021-Q3", TZ)[0].month == 7
    assert parse_date("2025-13-45", TZ) == (None, False)
