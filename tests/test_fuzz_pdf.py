"""Fuzz tests (hypothesis) of the PDF-metadata parsers, the date parser and the PDF/DOCX readers: any input
gives a result or a RecordError, never another exception, and never takes long."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assay.errors import RecordError
from assay.ingest.docx import read_docx
from assay.ingest.pdf import Line, build_paragraphs, heading_style, read_pdf
from assay.ingest.pdf_meta import (
    find_analysts,
    find_date,
    find_institution,
    find_rating,
    find_target_price,
    find_title,
    pdf_date,
    read_meta,
)
from assay.text.dates import parse_date

TZ = ZoneInfo("Asia/Shanghai")
FAST = settings(max_examples=300, deadline=timedelta(milliseconds=500), suppress_health_check=[HealthCheck.too_slow])
# text drawn from what covers are made of: digits, date words, CJK, licence letters, punctuation, spaces
_PIECES = "0123456789 年月日.-/:：SA" + "分析师证书编号执业评级买入增持" + "目标价元（）()《》—@报告期证券"
COVER_CHARS = st.sampled_from(list(_PIECES)) | st.characters()
cover_text = st.text(COVER_CHARS, max_size=200)
lines = st.lists(cover_text, max_size=30)


def pdf_lines() -> st.SearchStrategy[list[Line]]:
    size = st.floats(min_value=0.1, max_value=80, allow_nan=False)
    coord = st.floats(min_value=-1000, max_value=2000, allow_nan=False)
    line = st.builds(
        Line,
        text=cover_text.filter(str.strip),
        size=size,
        x0=coord,
        y0=coord,
        x1=coord,
        y1=coord,
        page=st.integers(1, 5),
        row=st.sampled_from(["", "a | 1 | 2"]),
        table=st.booleans(),
    )
    return st.lists(line, max_size=40)


@FAST
@given(lines, st.text(max_size=40))
def test_find_date_never_fails(texts, created):
    day, precision = find_date(texts, created)
    assert precision in ("day", "month")
    if day is not None:
        date.fromisoformat(day)


@FAST
@given(lines)
def test_people_rating_and_price_parsers_never_fail(texts):
    for name in find_analysts(texts):
        assert 2 <= len(name) <= 4
    rating = find_rating(texts)
    assert rating is None or rating.strip()
    price = find_target_price(texts)
    assert price is None or float(price) >= 0
    find_institution("\n".join(texts), "\n".join(texts))


@FAST
@given(pdf_lines())
def test_title_meta_and_paragraphs_from_any_lines(first):
    title = find_title(first)
    assert title is None or isinstance(title, str)
    meta = read_meta(first, [first], {"CreationDate": "D:20200101"})
    assert meta.date_precision in ("day", "month")
    paragraphs = build_paragraphs(first)
    assert [p.n for p in paragraphs] == list(range(1, len(paragraphs) + 1))
    assert all(p.text for p in paragraphs)


@FAST
@given(st.text(max_size=80))
def test_heading_style_and_pdf_date(text):
    heading_style(text) if text else None
    day = pdf_date(text)
    assert day is None or date.fromisoformat(day)


@FAST
@given(st.one_of(st.text(max_size=80), st.integers(), st.floats(allow_nan=True), st.none()))
def test_parse_date_never_fails(value):
    when, _ = parse_date(value, TZ)
    assert when is None or when.tzinfo is not None


def test_adversarial_cover_lines_are_fast():
    """Long runs of what the patterns repeat (spaces, digits, CJK) must not make them backtrack."""
    hostile = [
        "分析师" + " " * 20000 + "x",
        "2020" + " " * 20000 + "年",
        "目标价" + " " * 20000,
        "评级" + " " * 20000 + ":",
        "张" * 20000 + "S" + "1" * 12,
        "1" * 20000 + "." + "2" * 20000,
        ("2020 年 " * 5000) + "月",
    ]
    start = time.perf_counter()
    find_date(hostile, "")
    find_analysts(hostile)
    find_rating(hostile)
    find_target_price(hostile)
    for text in hostile:
        parse_date(text, TZ)
        heading_style(text)
    assert time.perf_counter() - start < 2.0


@settings(max_examples=60, deadline=timedelta(seconds=2))
@given(st.binary(max_size=4000), st.sampled_from([b"%PDF-1.4\n", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", b"", b"\x89PNG"]))
def test_read_pdf_on_random_bytes(body, head):
    try:
        content = read_pdf(head + body)
    except RecordError as exc:
        assert exc.message
    else:
        assert content.paragraphs


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


@settings(max_examples=100, deadline=timedelta(seconds=2))
@given(
    st.one_of(
        st.binary(max_size=3000),
        st.builds(lambda b: _zip({"word/document.xml": b}), st.binary(max_size=2000)),
        st.builds(
            lambda parts: _zip({"word/document.xml": "".join(parts).encode("utf-8")}),
            st.lists(st.sampled_from(list("<>/=\"' wpbodytrcfl:") + ["<w:t>", "</w:t>", "<w:p>"]), max_size=300),
        ),
    )
)
def test_read_docx_on_random_bytes(raw):
    try:
        content = read_docx(raw, 10_000_000)
    except RecordError as exc:
        assert exc.message
    else:
        assert content.paragraphs
