"""Extractive summaries: templates, ratings, verbatim bullets and citation integrity.

The last test runs over ≥ 1,000 real documents from ../shared/data (skipped with a message when the folder
is absent; ASSAY_SHARED_DATA overrides its location).
"""

from __future__ import annotations

import gzip
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import DATA, read_records

from assay.model import Document, Paragraph, Summary
from assay.summarize import (
    CORE_INSIGHTS,
    INVESTMENT_RATING,
    NO_RATING,
    SUMMARY_BY_SECTIONS,
    TEMPLATE_VERSION,
    ExtractiveSummarizer,
    LeadSummarizer,
    Summarizer,
    find_rating,
    normalize_rating,
    pick_template,
)
from assay.text.split import split_paragraphs

SUM = ExtractiveSummarizer()


def make(text: str, doc_type: str = "news", lang: str = "zh", title: str = "") -> Document:
    return Document(title=title, paragraphs=split_paragraphs(text), doc_type=doc_type, lang=lang).finalize()


def section(summary: Summary, heading: str):
    return next((s for s in summary.sections if s.heading == heading), None)


def assert_cited(doc: Document, summary: Summary) -> None:
    """Every bullet is verbatim in each paragraph it cites; cites are in range and never headings."""
    n = len(doc.paragraphs)
    for sec in summary.sections:
        for b in sec.bullets:
            assert b.text.strip(), f"empty bullet in {sec.heading!r}"
            assert b.check == "unchecked"
            for c in b.cites:
                assert 1 <= c <= n, f"cite {c} out of range 1..{n}"
                p = doc.paragraph(c)
                assert p is not None and p.kind != "heading", f"cite {c} is a heading"
                assert b.text in p.text, f"bullet not verbatim in [{c}]: {b.text!r} / {p.text!r}"


def all_bullets(summary: Summary) -> list[str]:
    return [b.text for s in summary.sections for b in s.bullets]


NEWS = """**央视网消息**（新闻联播）：国务院新闻办公室今天举行发布会，介绍2024年前三季度稀土行业运行情况。

工业和信息化部表示，前三季度全国稀土冶炼分离产品产量同比增长12.5%，行业利润总额达到380亿元。稀土永磁材料出口量同比增长8.2%，主要出口至德国、美国和日本。

发布会指出，稀土是战略性矿产资源，我国将继续实施稀土开采总量控制，完善稀土产品追溯体系。

在技术创新方面，多家企业突破了高丰度稀土永磁材料制备技术，产品性能达到国际先进水平。江西、内蒙古等地的稀土产业园区加快建设，带动上下游企业集聚发展。

此外，有关部门将加大对非法开采和走私行为的打击力度。今年以来，已查处违法违规案件56起，涉案金额超过3亿元。

专家认为，随着新能源汽车和风电行业快速发展，稀土永磁材料需求将持续增长。预计到2025年，全球高性能钕铁硼需求将超过30万吨。

记者了解到，我国还将推动稀土资源综合利用，提高回收率。一批稀土回收利用示范项目已经建成投产，年处理废旧稀土材料能力达到5万吨。

与此同时，稀土行业的绿色低碳转型也在加快推进。多家冶炼分离企业完成了环保改造，废水排放量较去年下降20%。

业内人士表示，稀土价格总体保持平稳，氧化镨钕价格在每吨40万元左右波动。下游磁材企业订单饱满，开工率保持在80%以上。
"""

REPORT = """# 稀土行业深度报告

## 投资要点

我们认为稀土行业正进入新一轮景气周期，供给端受配额约束，需求端受新能源车拉动。维持“买入”评级，目标价45元。

## 一、供给格局

2024年第一批稀土开采指标为13.5万吨，同比增长12.5%，增速较往年明显放缓。海外供给方面，缅甸进口矿受政局影响波动较大。

### 1.1 国内配额

国内配额集中于北方稀土和中国稀土集团两大集团，行业集中度进一步提升。

## 二、需求分析

新能源汽车驱动电机是稀土永磁最大的增量需求来源，预计2025年需求占比将超过30%。风电、节能变频空调和工业机器人等领域需求同样稳步增长。

## 三、风险提示

稀土价格大幅波动的风险；下游需求不及预期的风险；海外供给超预期释放的风险。
"""

EN_REPORT = """## Summary

Rare earth magnet makers are entering a new upcycle as quotas tighten and electric vehicle demand grows.
We maintain our Overweight rating on the sector, with China Northern Rare Earth as our top pick.

## Supply

China's 2024 mining quota rose 12.5% to 135,000 tonnes, the slowest growth in five years, while imports from
Myanmar remain volatile.

## Demand

Electric vehicle traction motors are the largest source of incremental demand and could account for over 30%
of consumption by 2025. Wind turbines and industrial robots add steady growth.
"""


def test_protocol_and_templates() -> None:
    assert isinstance(SUM, Summarizer)
    assert SUM.name == "extractive" and SUM.template_version == TEMPLATE_VERSION
    assert isinstance(LeadSummarizer(), Summarizer)
    assert pick_template("report") == "report"
    assert pick_template("news") == "news"
    assert pick_template("other") == "news"
    assert pick_template(None) == "news"
    assert pick_template("weird") == "news"
    for t in ("filing", "transcript", "announcement"):
        assert pick_template(t) == t


def test_news_structure() -> None:
    doc = make(NEWS, title="前三季度稀土行业运行平稳")
    s = SUM.summarize(doc)
    assert s.doc_id == doc.id and s.template == "news" and s.language == "zh"
    assert s.backend == "extractive" and s.rating is None and s.template_version == TEMPLATE_VERSION
    assert s.created_at.tzinfo is not None
    assert s.sections[0].heading == CORE_INSIGHTS
    core = s.sections[0].bullets
    assert 3 <= len(core) <= 5
    # document order, and the dateline is not part of the bullet
    assert [b.cites[0] for b in core] == sorted(b.cites[0] for b in core)
    assert not any(b.text.startswith("央视网消息") for b in core)
    # themed groups: 1-3, headed by keywords joined by " · ", 1-3 bullets each
    groups = s.sections[1:]
    assert 1 <= len(groups) <= 3
    for g in groups:
        assert g.heading and g.heading not in (CORE_INSIGHTS, SUMMARY_BY_SECTIONS)
        assert 1 <= len(g.bullets) <= 3
        for word in g.heading.split(" · "):
            assert word in doc.text  # extractive heading
    texts = all_bullets(s)
    assert len(texts) == len(set(texts)), "a sentence is used twice"
    assert_cited(doc, s)


def test_group_headings_skip_words_that_name_no_topic() -> None:
    from assay.summarize.extractive import _Unit
    from assay.summarize.outline import keywords

    # "时间" is frequent in this stretch and rare elsewhere, so it scored first (seen on a real card)
    text = "美国中央司令部称，美军于美东时间当天15时（德黑兰时间14日22时30分）开始对伊朗发动新一轮打击。"
    chunk = text + "当地时间晚些时候伊朗表示将作出回应。"
    heading = keywords([_Unit(text, 1, 0, -1, 1.0)], chunk, chunk + "美国股市收涨。美国CPI同比增长3.5%。", True, set())
    words = heading.split(" · ")
    assert "时间" not in words and "当天" not in words
    assert "伊朗" in words and all(w in text for w in words)


def test_group_headings_are_nouns_not_figures_or_verbs() -> None:
    from assay.summarize.extractive import _Unit
    from assay.summarize.outline import keywords

    # seen on a real card as "投降 · 两次 · 预计": a verb, a count and a forecast word
    text = "德银“投降”：预计2026年加息两次（50bp），利率升至4.1%，美联储年内或再度放缓缩表。"
    doc_text = text + "美股三大指数集体收涨。"
    words = keywords([_Unit(text, 1, 0, -1, 1.0)], text, doc_text, True, set()).split(" · ")
    assert not {"两次", "预计", "投降"} & set(words)
    assert "利率" in words and all(w in text for w in words)

    # English: no figures, ordinals or words of expectation; words written side by side make one phrase
    text = "Operating margin was 12.5% in the second quarter, and we expect the Coatings segment to improve."
    chunk = text + " Operating margin in Coatings rose on pricing."
    words = keywords([_Unit(text, 1, 0, -1, 1.0)], chunk, chunk + " Revenue grew.", False, set()).split(" · ")
    assert "Operating margin" in words
    assert not {"second", "expect", "quarter"} & {w.lower() for w in words}


def test_group_headings_of_real_news_name_topics() -> None:
    """Quality floor: the words of the group headings of 1,200 real Chinese news items are nouns, names or
    nominal verbs by rjieba's tags (100% measured; 56% before headings were filtered by part of speech)."""
    import rjieba

    from assay.ingest.records import record_to_document

    noun = {"n", "nr", "nrt", "nrfg", "ns", "nt", "nz", "ng", "eng", "j", "vn", "an"}
    total = good = 0
    for name in ("zh_news_cctv_xwlb.jsonl.gz", "zh_wechat_market_commentary.jsonl.gz"):
        for r in read_records(name, 600):
            if not (r.get("text") or "").strip():
                continue
            doc = record_to_document(r, UTC)
            for sec in SUM.summarize(doc).sections[1:]:
                for w in sec.heading.split(" · "):
                    tags = rjieba.tag(w, False)
                    total += 1
                    good += len(tags) == 1 and tags[0][1] in noun
    assert total > 1000
    assert good / total >= 0.95, f"{good}/{total} heading words name a topic"


def test_a_sentence_written_twice_in_a_row_is_shown_once() -> None:
    once = "2026年1-5月对日稀土磁体出口量连续三个月低于200吨（5月仅123吨）"
    doc = make(
        "⑪今日有150亿元7天期逆回购和9000亿元买断式逆回购到期，央行同步开展了逆回购操作。\n\n"
        + once * 2
        + "。\n\n工信部数据显示，2026年稀土开采总量控制指标同比增速仅为2%，较往年明显放缓。"
    )
    texts = all_bullets(SUM.summarize(doc))
    assert once in texts and not any(once * 2 in t for t in texts)
    assert any(t.startswith("今日有150亿元") for t in texts)  # the list marker ⑪ is not part of the bullet
    assert_cited(doc, SUM.summarize(doc))


def test_numbered_items_inside_a_sentence_are_candidates_of_their_own() -> None:
    # a digest line that runs two items together (seen on a real card)
    doc = make(
        "纳指周涨2.43%，半导体/AI硬件领涨。\n\n"
        "微软YTD跌21%，七雄中表现最差，估值回落至PE 22.6x ③ 特朗普称苹果已同意与英特尔合作芯片设计制造\n\n"
        "兆威机电发布新一代仿生灵巧手，实现三大升级：①仿生性能进阶，外形贴合人体工程学；②核心组件设计寿命超1万小时。"
    )
    s = SUM.summarize(doc)
    texts = all_bullets(s)
    assert not any(c in t for t in texts for c in "①②③"), texts
    assert "微软YTD跌21%，七雄中表现最差，估值回落至PE 22.6x" in texts  # the item before ③, on its own
    assert_cited(doc, s)


def test_a_headline_and_the_body_that_restates_it_are_not_both_picked() -> None:
    # a CCTV 国内联播快讯 item: each brief is a headline line over its body (seen on a real card, where both
    # were bullets); the figure is rounded in the headline (超700亿元 over 757亿元)
    briefs = [
        (
            "今年上半年中国企业信用水平总体平稳",
            "市场监管总局今天公布数据显示，今年上半年中国企业信用指数为161.88，企业信用水平呈现总体平稳。",
        ),
        (
            "今年上半年全国发放退役军人创业贷超700亿元",
            "记者今天从退役军人事务部了解到，今年上半年，全国共发放退役军人创业贷757亿元，有效缓解了融资难题。",
        ),
        (
            "财政部在香港发行150亿元人民币国债",
            "今天，财政部在香港面向机构投资者招标发行2026年第四期150亿元人民币国债，认购倍数4.67倍。",
        ),
        ("海南离岛免税购物金额超210亿元", "据海口海关统计，今年1—7月，海南离岛免税购物金额为216亿元，同比增长17.9%。"),
    ]
    doc = make("\n\n".join(f"{head}\n\n{body}" for head, body in briefs), title="国内联播快讯")
    s = SUM.summarize(doc)
    texts = all_bullets(s)
    for head, body in briefs:
        assert not (head in texts and body in texts), (head, texts)
    assert 3 <= len(s.sections[0].bullets) <= 5
    assert_cited(doc, s)
    # a short document keeps its 3 Core Insights even when one of them is a restated headline
    short = make(f"{briefs[0][0]}\n\n{briefs[0][1]}\n\n{briefs[1][1]}")
    assert len(SUM.summarize(short).sections[0].bullets) == 3


def test_report_with_headings_and_rating() -> None:
    doc = make(REPORT, doc_type="report", title="稀土行业深度报告")
    s = SUM.summarize(doc)
    assert s.template == "report"
    assert s.rating == "买入"
    heads = [sec.heading for sec in s.sections]
    assert heads[:2] == [INVESTMENT_RATING, CORE_INSIGHTS]
    rating = s.sections[0].bullets
    assert len(rating) == 1 and "维持“买入”评级" in rating[0].text
    assert 1 <= len(s.sections[1].bullets) <= 5
    assert SUMMARY_BY_SECTIONS in heads
    i = heads.index(SUMMARY_BY_SECTIONS)
    assert s.sections[i].bullets == []
    # the report's own top level with >= 2 headings: level 2 (the level-1 title is alone)
    by_sections = heads[i + 1 :]
    assert by_sections, "no sections"
    own = {p.text for p in doc.paragraphs if p.kind == "heading" and p.level == 2}
    assert set(by_sections) <= own
    for sec in s.sections[i + 1 :]:
        assert 1 <= len(sec.bullets) <= 2
    texts = all_bullets(s)
    assert len(texts) == len(set(texts))
    assert_cited(doc, s)


def test_report_sections_cite_their_own_section() -> None:
    doc = make(REPORT, doc_type="report")
    s = SUM.summarize(doc)
    heads = [sec.heading for sec in s.sections]
    start = heads.index(SUMMARY_BY_SECTIONS) + 1
    # paragraph n -> the level-2 heading it sits under
    under: dict[int, str] = {}
    current = ""
    for p in doc.paragraphs:
        if p.kind == "heading" and p.level <= 2:
            current = p.text
        under[p.n] = current
    for sec in s.sections[start:]:
        for b in sec.bullets:
            assert under[b.cites[0]] == sec.heading


def test_english_report_overweight() -> None:
    doc = make(EN_REPORT, doc_type="report", lang="en", title="Rare earths: upcycle")
    s = SUM.summarize(doc)
    assert s.rating == "Overweight"
    bullet = s.sections[0].bullets[0]
    assert "Overweight rating" in bullet.text
    assert s.sections[1].heading == CORE_INSIGHTS
    assert_cited(doc, s)


def test_report_without_rating() -> None:
    doc = make(REPORT.replace("维持“买入”评级，目标价45元。", "目标价45元。"), doc_type="report")
    s = SUM.summarize(doc)
    assert s.rating is None
    first = s.sections[0]
    assert first.heading == INVESTMENT_RATING
    assert [(b.text, b.cites) for b in first.bullets] == [(NO_RATING["zh"], [])]
    en = make("We like the sector.\n\nDemand is strong and supply is tight this year.", doc_type="report", lang="en")
    assert SUM.summarize(en).sections[0].bullets[0].text == NO_RATING["en"]


@pytest.mark.parametrize(
    "text",
    [
        "投资评级说明：买入：预期未来6个月内，股价表现优于市场基准指数15%以上。",
        "穆迪下调美国主权信用评级，美债收益率全线上扬。",
        "银行板块我们推荐关注国有银行及中信银行（998 HK/未评级），券商板块推荐关注龙头。",
        "The company maintained its plan to sell the unit by year end.",
    ],
)
def test_no_false_ratings(text: str) -> None:
    lang = "en" if text.isascii() else "zh"
    doc = make(text, doc_type="report", lang=lang)
    assert find_rating(doc, lang == "zh", 150) is None
    assert SUM.summarize(doc).rating is None


@pytest.mark.parametrize(
    ("text", "rating"),
    [
        ("我们维持公司“增持”评级，上调目标价至30元。", "增持"),
        ("首次覆盖，给予“强烈推荐”评级。", "强烈推荐"),
        ("基础化工行业估值处于低位，维持行业 “同步大市” 的投资评级。", "同步大市"),
        ("投资评级：买入（维持）", "买入"),
        ("We upgrade the shares to Buy from Hold on stronger margins.", "Buy"),
        ("Analysts at the bank initiated coverage with an outperform rating.", "Outperform"),
    ],
)
def test_rating_statements(text: str, rating: str) -> None:
    lang = "en" if text.isascii() else "zh"
    doc = make(text + ("\n\nDemand is strong this year." if lang == "en" else "\n\n行业需求保持旺盛。"), "report", lang)
    s = SUM.summarize(doc)
    assert s.rating == rating
    assert s.sections[0].bullets[0].cites == [1]
    assert_cited(doc, s)


def test_normalize_rating() -> None:
    assert normalize_rating("overweight") == "Overweight"
    assert normalize_rating("equal weight") == "Equal-weight"
    assert normalize_rating("market  perform") == "Market Perform"
    assert normalize_rating("买入") == "买入"


def test_very_short_and_empty_documents() -> None:
    short = make("央行今日开展1000亿元逆回购操作。")
    s = SUM.summarize(short)
    assert [sec.heading for sec in s.sections] == [CORE_INSIGHTS]
    assert [(b.text, b.cites) for b in s.sections[0].bullets] == [("央行今日开展1000亿元逆回购操作。", [1])]

    tiny = make("涨了。")  # shorter than the usual minimum: still summarised (relaxed pass)
    assert all_bullets(SUM.summarize(tiny)) == ["涨了。"]

    for empty in (make(""), make("# 只有标题"), make("\n\n   \n")):
        s = SUM.summarize(empty)
        assert s.sections == []
        assert_cited(empty, s)
    s = SUM.summarize(make("# 只有标题", doc_type="report"))
    assert [sec.heading for sec in s.sections] == [INVESTMENT_RATING]


def test_headings_never_cited() -> None:
    text = "# 标题一\n\n" + "\n\n".join(
        f"## 小节{i}\n\n第{i}段的内容讲述了一件重要的事情，涉及{i * 7}亿元投资。" for i in range(1, 8)
    )
    for doc_type in ("news", "report"):
        doc = make(text, doc_type=doc_type)
        s = SUM.summarize(doc)
        assert all_bullets(s)
        assert_cited(doc, s)


def test_news_with_own_headings_uses_them() -> None:
    parts = []
    for i, topic in enumerate(["市场回顾", "政策动向", "海外市场", "后市展望"], 1):
        parts.append(f"## {topic}")
        parts.append("".join(f"{topic}第{j}句话介绍了相关情况，数据为{i * j}个百分点。" for j in range(1, 5)))
    doc = make("\n\n".join(parts), title="市场周报")
    s = SUM.summarize(doc)
    assert s.sections[0].heading == CORE_INSIGHTS
    for sec in s.sections[1:]:
        assert sec.heading in {"市场回顾", "政策动向", "海外市场", "后市展望"}
    assert_cited(doc, s)


def test_long_sentence_is_clipped_to_a_clause_run() -> None:
    long = (
        "国家发展改革委印发现代流通体系建设规划提出，到2025年，现代流通体系加快建设，商品和资源要素流动更加顺畅，"
        "商贸、物流设施更加完善，国内外流通网络和服务体系更加健全，流通业态模式更加丰富多元，流通市场主体更具活力，"
        "交通承载能力和金融信用支撑能力明显增强，应急保障能力和绿色发展水平显著提升，流通成本持续下降、效率明显提高。"
    )
    assert len(long) > 150
    doc = make(long)
    b = SUM.summarize(doc).sections[0].bullets[0]
    assert b.text in long and len(b.text) <= 150 and len(b.text) >= 8
    assert not b.text.endswith(("，", "、"))


def test_markdown_list_markers_trimmed() -> None:
    doc = make(
        "- 2024年人民币位列全球第四大支付货币，跨境收付金额达64.1万亿元。\n- CIPS覆盖185个国家和地区。", "report"
    )
    texts = all_bullets(SUM.summarize(doc))
    assert "2024年人民币位列全球第四大支付货币，跨境收付金额达64.1万亿元。" in texts
    assert not any(t.startswith("-") for t in texts)


def test_deterministic_and_serialisable() -> None:
    doc = make(NEWS, title="前三季度稀土行业运行平稳")
    a, b = SUM.summarize(doc), SUM.summarize(doc)
    da, db = a.to_dict(), b.to_dict()
    da.pop("created_at"), db.pop("created_at")
    assert da == db
    back = Summary.from_dict(a.to_dict())
    assert back == a
    assert isinstance(back.created_at, datetime)


def test_deterministic_across_processes() -> None:
    """Sets are iterated in hash order, which changes with PYTHONHASHSEED: output must not."""
    import subprocess
    import sys

    code = (
        "import json, sys; sys.path.insert(0, 'tests'); import test_summarize as t; "
        "out = [t.SUM.summarize(t.make(x, d, l)).to_dict() for x, d, l in "
        "((t.NEWS, 'news', 'zh'), (t.REPORT, 'report', 'zh'), (t.EN_REPORT, 'report', 'en'))]; "
        "[o.pop('created_at') for o in out]; print(json.dumps(out, ensure_ascii=False, sort_keys=True))"
    )
    root = Path(__file__).resolve().parents[1]
    runs = [
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    ]
    assert runs[0] == runs[1] and runs[0].strip()


def test_lead_baseline() -> None:
    doc = make(NEWS)
    s = LeadSummarizer(2).summarize(doc)
    assert s.backend == "lead" and len(s.sections[0].bullets) == 2
    assert_cited(doc, s)


def test_paragraph_objects_directly() -> None:
    """Documents built without the splitter (PDF ingestion) work the same."""
    paras = [
        Paragraph(1, "Quarterly results", kind="heading", level=1),
        Paragraph(2, "Revenue rose 12% to $4.1 billion in the quarter, ahead of guidance."),
        Paragraph(3, "Operating margin expanded by 150 basis points on lower input costs."),
        Paragraph(4, "The company raised its full-year outlook and announced a $2 billion buyback."),
    ]
    doc = Document(title="Q3 results", paragraphs=paras, doc_type="transcript", lang="en").finalize()
    s = SUM.summarize(doc)
    assert s.template == "transcript"
    assert len(s.sections[0].bullets) == 3
    assert_cited(doc, s)


# --- citation integrity over real documents -------------------------------------------------------------


MIX = [  # (file, documents, doc_type)
    ("zh_news_cctv_xwlb", 450, "news"),
    ("zh_broker_research_digests", 200, "report"),
    ("zh_wechat_market_commentary", 150, "news"),
    ("en_news_reuters21578", 200, "news"),
    ("en_summ_ectsum", 100, "transcript"),
]


def load_mix() -> list[Document]:
    root = DATA
    missing = [f for f, _, _ in MIX if not (root / f"{f}.jsonl.gz").exists()]
    if missing:
        pytest.skip(f"real data not found under {root} ({', '.join(missing)}); set ASSAY_SHARED_DATA")
    docs = []
    for name, count, doc_type in MIX:
        with gzip.open(root / f"{name}.jsonl.gz", "rt", encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                if i >= count:
                    break
                r = json.loads(line)
                title = r.get("title")
                title = "" if title in (None, "None") else title
                docs.append(
                    Document(
                        title=title,
                        paragraphs=split_paragraphs(r.get("text") or ""),
                        doc_type=doc_type,
                        lang=r.get("lang") or "zh",
                    ).finalize()
                )
    return docs


@pytest.mark.slow
def test_citation_integrity_on_real_documents() -> None:
    docs = load_mix()
    assert len(docs) >= 1000
    for doc in docs:
        s = SUM.summarize(doc)
        assert_cited(doc, s)
        texts = all_bullets(s)
        assert len(texts) == len(set(texts)), f"repeated bullet in {doc.title!r}"
        heads = [sec.heading for sec in s.sections]
        candidates = SUM.rank(doc)
        if doc.doc_type == "report":
            assert heads[0] == INVESTMENT_RATING and len(s.sections[0].bullets) == 1
            stated = s.sections[0].bullets[0]
            usable = [c for c in candidates if not (stated.cites and c[1] == stated.cites[0] and c[0] in stated.text)]
        else:
            usable = candidates
        if not usable:
            assert CORE_INSIGHTS not in heads
            continue
        core = section(s, CORE_INSIGHTS)
        assert core is not None, f"no Core Insights for {doc.title!r}"
        assert min(3, len(usable)) <= len(core.bullets) <= 5, (doc.title, len(core.bullets), len(usable))
        # Core Insights in document order
        order = [b.cites[0] for b in core.bullets]
        assert order == sorted(order)


@pytest.mark.slow
def test_ratings_on_real_reports() -> None:
    """Of the 913 broker digests exactly two state a rating (checked by reading every 评级 line); the 22
    PDF reports are quantitative studies that print only the rating scale in their disclaimers."""
    root = DATA
    files = ("zh_broker_research_digests", "zh_broker_reports_pdf_text")
    if not all((root / f"{f}.jsonl.gz").exists() for f in files):
        pytest.skip(f"real data not found under {root}; set ASSAY_SHARED_DATA")
    found = {}
    for f in files:
        with gzip.open(root / f"{f}.jsonl.gz", "rt", encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                r = json.loads(line)
                doc = Document(title="", paragraphs=split_paragraphs(r["text"]), doc_type="report").finalize()
                m = find_rating(doc, True, 150)
                if m:
                    found[(f, i)] = m.rating
                    assert m.text in doc.paragraph(m.n).text and "评级" in m.text
    assert found == {
        ("zh_broker_research_digests", 429): "同步大市",
        ("zh_broker_research_digests", 742): "优于大市",
    }


# a judge of its own (simpler than sentences.boilerplate): what an analyst would call a report's furniture
_FURNITURE = re.compile(
    r"(?<!\d)0\d{2,3}[-)）]\s?\d{7,8}(?!\d)|[\w.]+@[\w-]+\.[a-z]{2,}|执业证书|证书编号|S\d{13}|(?:电话|邮箱)\s*[:：]|"
    r"^(?:图|表|图表)\s*\d+\s*[:：]|\.{6,}|未来\s*6\s*[-~～]\s*12\s*个月.{0,30}(?:基准|指数)"
)


@pytest.mark.slow
def test_report_furniture_is_never_a_bullet() -> None:
    """Analysts' phone numbers and e-mail addresses, certificate numbers, figure captions, table-of-contents
    lines and the rating scale's definitions were bullets of the real broker reports (108 of 44,703 bullets
    of their first 1,500 documents each: "电话：0755-83706130 …", "图 3：… ......", "超配：行业预期未来 6-12
    个月内的涨幅超过市场基准指数 10%以上"). Measured after: none."""
    root = DATA
    files = ("zh_broker_reports_pdf_text", "zh_broker_research_digests", "zh_wechat_market_commentary")
    if not all((root / f"{f}.jsonl.gz").exists() for f in files):
        pytest.skip(f"real data not found under {root}")
    bullets, furniture = 0, []
    for name in files:
        for r in read_records(f"{name}.jsonl.gz", 400):
            if not (r.get("text") or "").strip():
                continue
            doc = Document(
                title=r.get("title") or "",
                paragraphs=split_paragraphs(r["text"]),
                doc_type="report" if "broker" in name else "news",
                lang="zh",
            ).finalize()
            for b in (b for sec in SUM.summarize(doc).sections for b in sec.bullets):
                bullets += 1
                if _FURNITURE.search(b.text):
                    furniture.append(b.text)
    assert bullets > 5000
    assert furniture == [], furniture[:5]


def test_contacts_captions_contents_lines_and_formulas_are_left_out() -> None:
    text = "\n".join(
        [
            "分析师：张三 电话：021-23154383 邮箱：zhangsan@example-sec.com",
            "执业证书编号：S0850512080006",
            "一、行业回顾 ........................................ 3",
            "图 1：锂电池出货量及增速 ................................ 5",
            "全年锂电池出货量同比增长 35%，储能电池出货量同比增长 80%，成为主要增量来源。",
            "图 2：储能电池出货量（GWh）",
            "我们预计 2026 年储能需求仍将保持 50% 以上增长，行业龙头盈利有望修复。",
            "\uf06c 碳酸锂价格企稳回升，产业链库存去化接近尾声，中游材料环节价格弹性最大。",  # a symbol font's bullet
            "Buy if ICUM ICUM Sell if ICUM ICUM ìï",  # a formula, its symbols lost
            "增持：未来 6-12 个月内相对同期基准指数涨幅在 5%-15% 之间。",
            "风险提示：需求不及预期，原材料价格大幅波动。",
        ]
    )
    doc = make(text, doc_type="report", title="锂电池行业 2026 年投资策略")
    s = SUM.summarize(doc)
    assert_cited(doc, s)
    shown = " ".join(all_bullets(s))
    furniture = ("021-23154383", "zhangsan@", "S0850512080006", "图 1", "图 2", "......", "未来 6-12 个月", "ICUM")
    for f in furniture:
        assert f not in shown, f
    assert "储能电池出货量同比增长 80%" in shown and "产业链库存去化接近尾声" in shown
    assert all(b[0] not in "\uf06c " for b in all_bullets(s))
