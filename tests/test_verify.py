"""The citation verifier on real cross-lingual cases, its negative cases, figure parsing properties, the
extractive summaries of real documents, and ``assay verify`` as a user runs it.

The English bullets are quoted from the reference product's result pages (../shared/reference/*.txt; the
file and the summary are named beside each). Their Chinese source paragraphs are not part of the
reference, so the paragraphs below were written for these tests: each states the quoted figures the
Chinese way (万吨, 亿美元, 百分点, 2025年10月9日, 十七种 ...).
"""

from __future__ import annotations

import gzip
import itertools
import json
import time
import tomllib
from datetime import UTC, date, datetime
from decimal import Decimal
from fnmatch import fnmatch

import pytest
from conftest import DATA, REPO
from hypothesis import given, settings
from hypothesis import strategies as st
from test_cli import assay

from assay.errors import InputError
from assay.model import Bullet, Document, Paragraph, Section, Summary
from assay.summarize import NO_RATING, ExtractiveSummarizer
from assay.summarize.glossary import default_glossary, trie_pattern
from assay.summarize.verify import (
    Evidence,
    Tally,
    summary_from_data,
    supported_share,
    tally,
    verify_bullet,
    verify_summary,
)
from assay.text.figures import Date, extract, find_amount, find_date
from assay.text.split import split_paragraphs

# paragraph n of SOURCE is SOURCE[n - 1]
SOURCE = [
    # 1 — seed-001 "稀土暗战!中国三年出口量藏着的军事密码", Core Insights [1][3]
    "中美稀土博弈不断升级，美国F-35战斗机生产线对稀土的依赖引发担忧，每架F-35需要417公斤稀土材料。",
    # 2 — the same summary, Core Insights [3] and [3][10]
    "海关数据显示，我国稀土出口量从2022年的4.87万吨增至2024年的5.54万吨，出口额却从2022年的70亿美元降至"
    "2024年的34.8亿美元，量增价跌。我国稀土储量占全球的33.8%，并垄断了开采提炼技术。",
    # 3 — the same summary, Export Dynamics [5]
    "全球电动汽车产量爆发式增长，2024年稀土出口量却仅增长6%，令西方国家不解。美国稀土80%-85%依赖进口，其中70%来自中国。",
    # 4 — the same summary, Competitive Landscape [7]
    "目前我国60%的稀土永磁出口用于高端领域，如特斯拉和西门子的电机。",
    # 5 — seed-001 Bloomberg report, Global Supply Dynamics [12][13]
    "2024年中国稀土产量达到27万吨，五年内翻了一番，而美国产量仅为4.5万吨。",
    # 6 — seed-000 "中美博弈再升级!稀土反制出手!", Group 3 [7][13]
    "2025年10月9日，商务部宣布对部分稀土相关物项实施出口管制，含有0.1%以上中国稀土成分的产品出口须获得许可。",
    # 7 — seed-000 "中国进行稀土管制，普京政府反应过来了", Core Insights [3]
    "俄罗斯联邦安全会议秘书绍伊古表示，俄罗斯将投资7000亿卢布（约合612亿元人民币），在西伯利亚建设集稀土开采、"
    "稀有金属冶炼和新材料研究于一体的产业集群。",
    # 8 — seed-000 "中方稀土管制一出，普京政府马上反应过来" (its own Chinese text: 1000万至2800万吨)
    "根据不同机构的评估，俄罗斯稀土储量在1000万至2800万吨之间，全球排名前五。",
    # 9 — seed-001 SINOLINK SECURITIES, section 2.1 Copper [15]
    "全国铜库存减少470吨至1.448万吨；预计6月国内铜企开工率提升1.57个百分点至54.56%。",
    # 10 — seed-000 "中美博弈再升级!", Group 1 [1][3]
    "稀土是十七种稀有金属元素的总称，被称为“工业维生素”。",
    # 11 — seed-001 "美国一面施压一面布局", Group 1 [3]
    "美国正加快打造本土稀土供应链，美国国防部已投入50亿美元，支持“无稀土永磁”技术的研发。",
    # 12 — seed-001 "急了，事关稀土", Group 1 [3]
    "乌克兰稀土总储量估计在50万至150万吨之间，其中约30万吨为对美军至关重要的重稀土。",
]
DOC = Document(
    title="稀土暗战：中国三年出口量藏着的军事密码",
    paragraphs=[Paragraph(n, t) for n, t in enumerate(SOURCE, 1)],
    published_at=datetime(2025, 10, 26, tzinfo=UTC),
).finalize()

SUPPORTED = [  # (reference bullet, our paragraph numbers)
    # seed-001 稀土暗战, Core Insights
    (
        "China's rare earth exports are projected to increase from 48,700 tons in 2022 to 55,400 tons in 2024, "
        "raising concerns for the U.S. F-35 production line which requires significant amounts of rare earth "
        "materials [1][3]",
        [1, 2],
    ),
    (
        "Despite the increase in export volume, the export value has significantly decreased from $7 billion in "
        "2022 to $3.48 billion in 2024, indicating a drop in prices despite higher quantities sold [3]",
        [2],
    ),
    (
        "China holds 33.8% of global rare earth reserves and monopolizes extraction technology, allowing it to "
        "control export volumes effectively [3][10]",
        [2],
    ),
    # seed-001 稀土暗战, Export Dynamics
    (
        "The export volume growth of only 6% in 2024 has puzzled Western nations, especially given the explosive "
        "growth in global electric vehicle production [5]",
        [3],
    ),
    (
        "The U.S. relies heavily on imports for rare earths, with 80-85% of its supply coming from abroad, 70% of "
        "which is sourced from China [5]",
        [3],
    ),  # fmt: skip
    # seed-001 稀土暗战, Competitive Landscape
    (
        "Currently, 60% of China's rare earth permanent magnet exports are utilized in high-end applications, "
        "such as electric motors for Tesla and Siemens [7]",
        [4],
    ),
    # seed-001 Bloomberg, Global Supply Dynamics
    (
        "China has significantly increased its rare earth production, reaching 270,000 tons in 2024, doubling its "
        "output in five years, while the U.S. produced only 45,000 tons [12][13]",
        [5],
    ),
    # seed-000 中美博弈再升级, Group 3
    (
        "On October 9, 2025, China announced export controls on certain rare earth products, requiring permits "
        "for products containing over 0.1% Chinese rare earth components [7][13]",
        [6],
    ),
    # the same date written the other ways
    ("China's Ministry of Commerce announced export controls on 2025-10-09", [6]),
    ("On Oct. 9, the Ministry of Commerce tightened export controls on rare earths", [6]),
    # seed-000 中国进行稀土管制, Core Insights
    (
        "Russia aims to invest 700 billion rubles (approximately 61.2 billion yuan) in a comprehensive industrial "
        "cluster in Siberia that encompasses rare earth mining, rare metal refining, and new material research [3]",
        [7],
    ),
    ("Funding for the ambitious 700 billion ruble investment remains uncertain [5]", [7]),
    ("Russia's plan costs about 61 billion yuan", [7]),  # rounded from 612亿
    # seed-000 中方稀土管制一出: "俄罗斯稀土储量在1000万至2800万吨之间"
    ("Russia's rare earth reserves are estimated at between 10 million and 28 million tons, among the top five", [8]),
    # seed-001 SINOLINK, 2.1 Copper
    (
        "Expected increase in operating rates for copper enterprises in China by 1.57 percentage points to "
        "54.56% by June 2025 [15]",
        [9],
    ),
    ("National copper inventory decreased by 0.47 thousand tons to 14.48 thousand tons [15]", [9]),
    # seed-000 中美博弈再升级, Group 1
    ("Rare earths, a collection of 17 rare metal elements, are crucial in modern industries [1][3]", [10]),
    # seed-001 美国一面施压一面布局, Group 1
    (
        "The US is accelerating the development of its domestic rare earth supply chain, with significant "
        'investments such as the $5 billion from the Department of Defense to support "rare earth-free permanent '
        'magnet" technology [3]',
        [11],
    ),
    # seed-001 急了，事关稀土, Group 1
    (
        "Ukraine's total rare earth reserves are estimated between 500,000 to 1.5 million tons, with approximately "
        "300,000 tons being heavy rare earths critical for the U.S. military [3]",
        [12],
    ),
]

UNSUPPORTED = [  # (bullet, cites, what the reason must name)
    # a changed digit
    ("China's rare earth exports grew from 48,700 tons in 2022 to 55,500 tons in 2024", [2], "figure 55,500 tons"),
    ("China holds 38.8% of global rare earth reserves", [2], "figure 38.8%"),
    ("Export value fell from $7 billion to $3.58 billion", [2], "figure $3.58 billion"),
    # a wrong unit or currency
    ("China produced 270,000 kilograms of rare earths in 2024", [5], "figure 270,000 kilograms"),
    ("Export value fell from 7 billion yuan in 2022 to 3.48 billion yuan in 2024", [2], "figure 7 billion yuan"),
    ("Russia will invest 700 billion yuan in Siberia", [7], "figure 700 billion yuan"),
    ("Operating rates rose by 1.57 percentage points to 54.56 tons", [9], "figure 54.56 tons"),
    # a wrong scale (a real slip of this kind: "0.47万吨" summarized as "0.47 thousand tons")
    ("National copper inventory decreased by 0.47 million tons", [9], "figure 0.47 million tons"),
    # a wrong year
    ("China's rare earth exports reached 55,400 tons in 2023", [2], "figure 2023"),
    ("On October 9, 2024, China announced export controls on rare earths", [6], "date October 9, 2024"),
    ("On November 9, 2025, China announced export controls on rare earths", [6], "date November 9, 2025"),
    # a wrong entity
    ("On October 9, 2025, Japan's Ministry of Commerce announced export controls", [6], "entity Japan"),
    ("60% of the permanent magnet exports go to motors for Tesla and Toyota", [4], "entity Toyota"),
    ("Russia will build the rare earth cluster in Kazakhstan", [7], "entity Kazakhstan"),
    ("Each F-35 needs 417 kilograms of gallium", [1], "term gallium"),
    ("Each F-22 needs 417 kilograms of rare earths", [1], "term F22"),
    # right figure, wrong paragraph cited
    ("China produced 270,000 tons of rare earths in 2024", [2], "figure 270,000 tons"),
    # a paragraph that does not exist; no citation at all
    ("China produced 270,000 tons of rare earths in 2024", [5, 40], "cites [40], but the document has 12"),
    ("China produced 270,000 tons of rare earths in 2024", [], "cites no paragraph"),
]


@pytest.mark.parametrize(("text", "cites"), SUPPORTED, ids=[t[:40] for t, _ in SUPPORTED])
def test_reference_bullets_supported_by_chinese_paragraphs(text: str, cites: list[int]) -> None:
    v = verify_bullet(text, cites, DOC)
    assert v.check == "supported", v.note
    assert "in [" in v.note


@pytest.mark.parametrize(("text", "cites", "reason"), UNSUPPORTED, ids=[r for _, _, r in UNSUPPORTED])
def test_changed_facts_fail_with_a_reason(text: str, cites: list[int], reason: str) -> None:
    v = verify_bullet(text, cites, DOC)
    assert v.check == "unsupported"
    assert reason in v.note, v.note


def test_reason_names_the_figure_and_the_paragraph() -> None:
    v = verify_bullet("China's rare earth exports rose to 55,500 tons in 2024", [2], DOC)
    assert v.note == "figure 55,500 tons not in [2]"
    v = verify_bullet("Japan's Ministry of Commerce announced export controls", [6], DOC)
    assert v.note == "entity Japan not in [6]"


def test_same_language_bullets() -> None:
    # verbatim, and near-verbatim with spaces and full-width digits
    assert verify_bullet(SOURCE[4][:20], [5], DOC).note == "verbatim in [5]"
    v = verify_bullet("２０２４年中国稀土产量达到２７万吨，五年翻了一番", [5], DOC)
    assert v.check == "supported", v.note
    # same language, right figure, but about something else entirely
    v = verify_bullet("2024年全国粮食产量达到27万吨，创历史新高，农民收入显著增加", [5], DOC)
    assert v.check == "unsupported" and "of its words in [5]" in v.note
    # a changed figure in an otherwise near-verbatim bullet
    v = verify_bullet("2024年中国稀土产量达到28万吨，五年内翻了一番", [5], DOC)
    assert v.check == "unsupported" and "figure 28万吨" in v.note


def test_unchecked_bullets() -> None:
    v = verify_bullet(NO_RATING["en"], [], DOC)
    assert v.check == "unchecked"
    v = verify_bullet("The tension keeps rising on both sides", [1], DOC)
    assert v.check == "unchecked" and "nothing to check across languages" in v.note


def test_country_named_in_the_title_counts() -> None:
    # [3] never names China in Chinese, but the bullet's "China" is the document's own subject (its title)
    v = verify_bullet("China's export volume grew by only 6% in 2024", [3], DOC)
    assert v.check == "supported", v.note
    # ... which does not hold for a country the title does not name
    v = verify_bullet("Germany's export volume grew by only 6% in 2024", [3], DOC)
    assert v.check == "unsupported" and "entity Germany" in v.note


def test_verify_summary_copies_and_tallies() -> None:
    bullets = [
        Bullet(SUPPORTED[0][0], SUPPORTED[0][1]),
        Bullet(UNSUPPORTED[0][0], UNSUPPORTED[0][1]),
        Bullet(NO_RATING["en"], []),
    ]
    summary = Summary(DOC.id, "news", "en", "test", datetime.now(UTC), [Section("Core Insights", bullets)])
    checked = verify_summary(summary, DOC)
    assert [b.check for b in summary.sections[0].bullets] == ["unchecked"] * 3  # the original is untouched
    assert [b.check for b in checked.sections[0].bullets] == ["supported", "unsupported", "unchecked"]
    assert all(b.note for b in checked.sections[0].bullets)
    t = tally(checked)
    assert (t.supported, t.unsupported, t.unchecked, t.share) == (1, 1, 1, 0.5)
    assert supported_share(checked) == 0.5
    assert Tally().share is None  # nothing checked: no share, not 0 or 1
    assert Summary.from_dict(checked.to_dict()).sections[0].bullets[1].note.startswith("figure 55,500 tons")


def test_summary_from_data_accepts_both_shapes_and_names_errors() -> None:
    bare = {"sections": [{"heading": "Core Insights", "bullets": [{"text": "x", "cites": [2, "[3]"]}, "y [4][5]"]}]}
    s = summary_from_data(bare, DOC.id)
    assert [b.cites for b in s.sections[0].bullets] == [[2, 3], [4, 5]]
    full = ExtractiveSummarizer().summarize(DOC).to_dict()
    assert summary_from_data(full, DOC.id).sections[0].heading == full["sections"][0]["heading"]
    bad = [
        ([], "expected an object"),
        ({"sections": "x"}, '"sections" list'),
        ({"sections": [{"bullets": [{"cites": [1]}]}]}, "sections[0].bullets[0]"),
        ({"sections": [{"bullets": [{"text": "x", "cites": ["two"]}]}]}, "'two' is not a paragraph number"),
    ]
    for data, message in bad:
        with pytest.raises(InputError, match=None) as exc:
            summary_from_data(data, DOC.id)
        assert message in exc.value.message


# --- figures: equivalences and properties --------------------------------------------------------------

SAME = [
    ("4.87万吨", "48,700 tons"),
    ("7000亿卢布", "700 billion rubles"),
    ("2,700万", "27 million"),
    ("70亿美元", "$7 billion"),
    ("70亿美元", "US$7bn"),
    ("70亿美元", "USD 7 billion"),
    ("612亿元人民币", "61.2 billion yuan"),
    ("612亿元", "RMB61.2bn"),
    ("612亿元", "CNY 61.2 billion"),
    ("34.8亿", "3.48 billion"),
    ("33.8%", "33.8 percent"),
    ("百分之三十三点八", "33.8%"),
    ("1.57个百分点", "1.57 percentage points"),
    ("25个基点", "0.25 percentage points"),
    ("十七种", "17"),
    ("4400多万吨", "over 44 million tons"),
    ("约30万吨", "approximately 300,000 tonnes"),
    ("417公斤", "417 kg"),
    ("2.5吉瓦", "2,500 MW"),
    ("37%以上", "more than 37%"),
    ("37.6%", "more than 37%"),
    ("37.4%", "nearly 40%"),
]
DIFFERENT = [
    ("4.87万吨", "48,800 tons"),
    ("4.87万吨", "48,700 kg"),
    ("70亿美元", "7 billion yuan"),
    ("70亿美元", "$8 billion"),
    ("27万吨", "280,000 tons"),
    ("33.8%", "33.9%"),
    ("2022年", "2023"),
    ("30%", "nearly 40%"),
]


@pytest.mark.parametrize(("zh", "en"), SAME)
def test_amounts_agree_across_languages(zh: str, en: str) -> None:
    source = extract(zh, liberal=True)
    claims = extract(en).amounts
    assert claims and all(find_amount(a, source) for a in claims), (claims, source.amounts)


@pytest.mark.parametrize(("zh", "en"), DIFFERENT)
def test_amounts_differ_across_languages(zh: str, en: str) -> None:
    source = extract(zh, liberal=True)
    claims = extract(en).amounts
    assert claims and not all(find_amount(a, source) for a in claims)


def test_dates_across_languages() -> None:
    for written in ("2025年10月9日", "2025-10-09", "October 9, 2025", "Oct. 9, 2025", "9 October 2025", "2025/10/9"):
        assert extract(written).dates == [Date(2025, 10, 9, written)], written
    source = extract("2025年10月9日，商务部宣布", liberal=True)
    for claim, ok in (("Oct. 9", True), ("October 2025", True), ("October 9, 2024", False), ("Oct. 10", False)):
        assert find_date(extract(claim).dates[0], source, set()) is ok, claim
    # a source without a year: the year must come from elsewhere (the paragraph or the document)
    yearless = extract("10月9日，商务部宣布", liberal=True)
    assert not find_date(Date(2025, 10, 9, ""), yearless, set())
    assert find_date(Date(2025, 10, 9, ""), yearless, {2025})


def test_codes_and_period_labels() -> None:
    f = extract("F-35 and H20 chips, 5G, COVID-19, in Q3 FY2024, 2Q24, the 1990s, the 5th")
    assert f.codes == ["F35", "H20", "COVID19", "5G"]
    assert [a.value for a in f.amounts] == [2024]


def test_glossary_longest_name_and_case() -> None:
    g = default_glossary()
    names = {g.entry(i).name for i in g.mentions("The China Securities Regulatory Commission told us")}
    assert names == {"China Securities Regulatory Commission"}  # not China; "us" is not the US
    names = {g.entry(i).name for i in g.mentions("中美稀土博弈")}
    assert names == {"China", "United States", "rare earth"}
    assert trie_pattern(["ab", "abc", "b"]) == "(?:abc?|b)"


_CN = "零一二三四五六七八九"


def chinese_numeral(n: int) -> str:
    """n (0 < n < 10**12) written in Chinese numerals: 1234 → 一千二百三十四, 100010 → 十万零一十."""

    def below_10000(k: int) -> str:
        out, zero = "", False
        for unit, digit in zip("千百十 ", f"{k:04d}"):
            d = int(digit)
            if d == 0:
                zero = bool(out)
                continue
            out += ("零" if zero else "") + _CN[d] + unit.strip()
            zero = False
        return out

    parts, out = [(n // 10**8, "亿"), (n // 10**4 % 10**4, "万"), (n % 10**4, "")], ""
    for k, unit in parts:
        if k:
            if out and k < 1000:
                out += "零"
            out += below_10000(k) + unit
    return out


@given(st.integers(min_value=1, max_value=10**11))
@settings(max_examples=300, deadline=None)
def test_chinese_numerals_read_back(n: int) -> None:
    written = chinese_numeral(n)
    amounts = extract(written, liberal=True).amounts
    assert [a.value for a in amounts] == [n], written


def _plain(d: Decimal) -> str:
    """Digits as written: no exponent, trailing zeros kept (1831.0 is not 1831)."""
    return format(d, "f")


@given(st.integers(min_value=10_000, max_value=10**12), st.sampled_from([("万", 10**4), ("亿", 10**8)]))
@settings(max_examples=300, deadline=None)
def test_scaled_chinese_equals_english_digits(k: int, scale: tuple[str, int]) -> None:
    """k tons written "{k/10^4}万吨" (or 亿吨) and "{k:,} tons" are one amount; one more ton in the English
    reading is still that amount only where the Chinese writing rounds it away."""
    word, size = scale
    zh = _plain(Decimal(k) / size) + word + "吨"
    source = extract(zh, liberal=True)
    assert find_amount(extract(f"{k:,} tons").amounts[0], source), zh
    decimals = max(0, -Decimal(zh[: -len(word) - 1]).as_tuple().exponent)
    step = size // 10**decimals  # one unit of the last Chinese digit, in tons
    assert not find_amount(extract(f"{k + step:,} tons").amounts[0], source), (zh, k + step)


@given(st.integers(min_value=1, max_value=10**6), st.integers(min_value=0, max_value=3))
@settings(max_examples=300, deadline=None)
def test_billions_round_trip(mantissa: int, decimals: int) -> None:
    """X billion dollars = 10·X 亿美元, at any written precision; the next value at that precision differs."""
    value = Decimal(mantissa).scaleb(-decimals)
    en = f"${_plain(value)} billion"
    zh = _plain(value * 10) + "亿美元"
    assert find_amount(extract(en).amounts[0], extract(zh, liberal=True)), (en, zh)
    nxt = f"${_plain(value + Decimal(1).scaleb(-decimals))} billion"
    assert not find_amount(extract(nxt).amounts[0], extract(zh, liberal=True)), (nxt, zh)


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31)))
@settings(max_examples=200, deadline=None)
def test_date_writings_round_trip(day: date) -> None:
    zh = f"{day.year}年{day.month}月{day.day}日"
    source = extract(zh, liberal=True)
    for en in (day.isoformat(), f"{day:%B} {day.day}, {day.year}", f"{day.day} {day:%B} {day.year}"):
        assert find_date(extract(en).dates[0], source, set()), (zh, en)
    other = day.replace(year=day.year - 1) if day.year > 1950 and not (day.month == 2 and day.day == 29) else None
    if other:
        assert not find_date(extract(other.isoformat()).dates[0], source, set())


# --- the extractive summaries of real documents ----------------------------------------------------------

REAL = [  # (file, documents, doc_type)
    ("zh_news_cctv_xwlb", 350, "news"),
    ("zh_finnews_finna", 250, "news"),
    ("zh_broker_research_digests", 150, "report"),
    ("zh_wechat_market_commentary", 100, "news"),
    ("en_news_reuters21578", 150, "news"),
    ("en_summ_ectsum", 60, "transcript"),
]


def real_documents() -> list[Document]:
    docs = []
    for name, count, doc_type in REAL:
        path = DATA / f"{name}.jsonl.gz"
        if not path.exists():
            pytest.skip(f"real data not available: {path} (set ASSAY_SHARED_DATA)")
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in itertools.islice(fh, count):
                r = json.loads(line)
                title = "" if r.get("title") in (None, "None") else r["title"]
                paragraphs = split_paragraphs(r.get("text") or "")
                docs.append(Document(title, paragraphs, doc_type=doc_type, lang=r.get("lang") or "zh").finalize())
    return docs


@pytest.mark.slow
def test_extractive_summaries_of_real_documents_are_all_supported() -> None:
    """Every bullet of the extractive backend is verbatim, so all must pass — through the public path, and
    through the figure/name/word checks alone (which must read a bullet and its paragraph alike)."""
    docs = real_documents()
    assert len(docs) >= 1000
    summarizer = ExtractiveSummarizer()
    total = Tally()
    judged = Tally()
    elapsed = 0.0
    for doc in docs:
        summary = summarizer.summarize(doc)
        start = time.perf_counter()
        checked = verify_summary(summary, doc)
        elapsed += time.perf_counter() - start
        for b in (b for s in checked.sections for b in s.bullets):
            total.add(b.check)
            assert b.check == "supported" or (b.check == "unchecked" and not b.cites), (doc.title, b)
        evidence = Evidence(doc)
        for b in (b for s in summary.sections for b in s.bullets if b.cites):
            v = evidence.judge(b.text, [evidence.source(n) for n in b.cites], "")
            judged.add(v.check)
            assert v.check != "unsupported", (doc.title, b.text, v.note)
    assert total.share == 1.0 and total.supported > 5000
    assert judged.unchecked <= judged.supported // 1000  # a few mixed-language lines in Chinese documents
    assert elapsed / total.supported < 200e-6  # µs per bullet on the verbatim path (measured ~10 µs)


# --- the command line ---------------------------------------------------------------------------------------


def test_cli_verify_text_json_and_errors(tmp_path) -> None:
    record = {"id": "rare-earth-exports", "title": DOC.title, "text": "\n\n".join(SOURCE), "published_at": "2025-10-26"}
    src = tmp_path / "docs.jsonl"
    src.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    assay("ingest", str(src), "--no-summaries", home=tmp_path)
    summary = {  # the reference product's style: [n] marks in the text, no "cites" field
        "sections": [
            {
                "heading": "Core Insights",
                "bullets": [
                    SUPPORTED[1][0].replace("[3]", "[2]"),
                    {"text": UNSUPPORTED[0][0], "cites": UNSUPPORTED[0][1]},
                    {"text": "China produced 270,000 tons of rare earths in 2024", "cites": [99]},
                ],
            }
        ]
    }
    path = tmp_path / "summary.json"
    path.write_text(json.dumps(summary), encoding="utf-8")
    text = assay("verify", "rare-earth-exports", str(path), home=tmp_path).stdout
    assert "supported    Despite the increase" in text
    assert "UNSUPPORTED  China's rare earth exports grew" in text and "→ figure 55,500 tons not in [2]" in text
    assert "cites [99], but the document has 12 paragraphs" in text
    assert "supported share: 33.3% (1 supported, 2 unsupported; 0 unchecked, not counted)" in text
    out = json.loads(assay("verify", "rare-earth-exports", str(path), "--json", home=tmp_path).stdout)
    assert [b["check"] for b in out["sections"][0]["bullets"]] == ["supported", "unsupported", "unsupported"]
    assert out["sections"][0]["bullets"][0]["cites"] == [2]
    assert (out["supported"], out["unsupported"], out["unchecked"]) == (1, 2, 0)
    assert out["share"] == pytest.approx(1 / 3) and out["paragraphs"] == 12
    proc = assay("verify", "no-such-doc", str(path), home=tmp_path, check=False)
    assert proc.returncode == 1 and "no document with id 'no-such-doc'" in proc.stderr
    path.write_text('{"sections": [{"bullets": [{"cites": [1]}]}]}', encoding="utf-8")
    proc = assay("verify", "rare-earth-exports", str(path), home=tmp_path, check=False)
    assert proc.returncode == 1 and 'sections[0].bullets[0]: expected an object with a "text" string' in proc.stderr
    path.write_text("{not json", encoding="utf-8")
    proc = assay("verify", "rare-earth-exports", str(path), home=tmp_path, check=False)
    assert proc.returncode == 1 and "not JSON" in proc.stderr


def test_glossary_ships_with_the_package() -> None:
    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = data["tool"]["setuptools"]["package-data"].get("assay.summarize", [])
    assert any(fnmatch("glossary.tsv", p) for p in patterns), "glossary.tsv must be package data"
    assert len(default_glossary().entries) > 200


def test_verify_summary_keeps_every_field_of_the_summary():
    """verify_summary builds a new Summary field by field (dataclasses.replace was 15 µs a document): a
    field added to Summary and not copied there would be lost."""
    from dataclasses import fields

    doc = Document(title="t", paragraphs=[Paragraph(1, "营收增长12%。"), Paragraph(2, "维持买入评级。")]).finalize()
    made = Summary(
        doc_id=doc.id,
        template="report",
        language="zh",
        backend="extractive",
        created_at=datetime(2026, 1, 2, tzinfo=UTC),
        sections=[Section("Core Insights", [Bullet("营收增长12%。", [1]), Bullet("营收增长12%", [2])])],
        rating="Buy",
        template_version=7,
    )
    got = verify_summary(made, doc)
    for f in fields(Summary):
        if f.name != "sections":
            assert getattr(got, f.name) == getattr(made, f.name), f.name
    assert [(b.check, b.note) for b in got.sections[0].bullets][0] == ("supported", "verbatim in [1]")
    assert got.sections[0].bullets[1].check == "unsupported"
