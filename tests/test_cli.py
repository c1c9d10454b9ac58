"""The command line, run as a user runs it: a real process, a real data directory."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from conftest import DEMO


def assay(*args: str, home, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "ASSAY_HOME": str(home), "COLUMNS": "200"}
    proc = subprocess.run([sys.executable, "-m", "assay", *args], capture_output=True, text=True, env=env, timeout=300)
    if check and proc.returncode != 0:
        pytest.fail(f"assay {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


BYLINE = re.compile(r"^(.+)· (\d{4}-\d{2}-\d{2})( \d{2}:\d{2})?$", re.M)


def test_demo_prints_the_reference_layout_and_reuses_its_store(tmp_path):
    first = assay("demo", home=tmp_path)
    assert "match 稀土" in first.stdout and "about it, newest first" in first.stdout
    assert re.search(r"^\+ \d+ more documents mention 稀土 \(list them: --mentions\)$", first.stdout, re.M)
    bylines = BYLINE.findall(first.stdout)
    assert len(re.findall(r"^  id: ", first.stdout, re.M)) == 10  # ten cards
    assert len(bylines) >= 3  # those with a date first, newest first (flashes without one follow)
    dates = [d for _, d, _ in bylines]
    assert dates == sorted(dates, reverse=True)
    assert "Core Insights" in first.stdout
    assert re.search(r"\[\d+\]$", first.stdout, re.M)  # bullets end with their citations
    assert "added" in first.stderr
    assert first.stderr.rstrip().splitlines()[-1].startswith("Open http://127.0.0.1:8000 after `assay")
    second = assay("demo", home=tmp_path)
    assert "added 0 " in second.stderr and "updated 0" in second.stderr
    assert BYLINE.findall(second.stdout) == bylines


def test_ingest_search_show_json(tmp_path):
    out = assay("ingest", str(DEMO), "--json", home=tmp_path)
    report = json.loads(out.stdout)
    assert report["added"] > 400 and report["quarantined"] == 0
    res = json.loads(assay("search", "稀土", "出口", "--json", "--limit", "5", home=tmp_path).stdout)
    assert res["total"] > 0 and len(res["hits"]) == 5
    hit = res["hits"][0]
    assert {"id", "external_id", "title", "source", "published_at", "snippet", "highlights"} <= set(hit)
    doc = json.loads(assay("show", hit["external_id"], "--json", home=tmp_path).stdout)
    assert doc["id"] == hit["id"] and hit["external_id"] in doc["external_ids"]
    assert [p["n"] for p in doc["paragraphs"]] == list(range(1, len(doc["paragraphs"]) + 1))
    text = assay("show", hit["id"], home=tmp_path).stdout
    assert text.splitlines()[0] == doc["title"] and "[1] " in text
    md = assay("search", "稀土", "--format", "markdown", "--sort", "relevance", home=tmp_path).stdout
    assert md.count("### ") == 10 and "**" in md


def test_errors_are_clear(tmp_path):
    proc = assay("show", "no-such-doc", home=tmp_path, check=False)
    assert proc.returncode != 0 and "no document with id" in proc.stderr
    proc = assay("search", "稀土", "--since", "yesterday-ish", home=tmp_path, check=False)
    assert proc.returncode != 0 and "not a date" in proc.stderr
    proc = assay("ingest", str(tmp_path / "missing.jsonl"), home=tmp_path)
    assert "quarantined 1" in proc.stdout and "no such file" in proc.stderr


def test_a_dash_word_in_a_search_is_an_exclusion_not_an_option(tmp_path):
    """`assay search 稀土 -出口` as typed (click stopped at -出口: "no such option"); options still work
    around it, and a mistyped option is still an error."""
    assay("ingest", str(DEMO), home=tmp_path)

    def ids(*args):
        out = assay("search", *args, "--json", "--sort", "latest", home=tmp_path).stdout  # every match
        return [h["id"] for h in json.loads(out)["hits"]]

    quoted = ids("稀土 -出口 -美国", "--limit", "20")
    assert quoted and ids("稀土", "-出口", "--limit", "20", "-美国") == quoted
    assert ids("--limit", "20", "稀土", "-出口", "-美国") == quoted
    assert set(quoted) < set(ids("稀土", "--limit", "200"))
    proc = assay("search", "稀土", "--lmit", "5", home=tmp_path, check=False)
    assert proc.returncode == 2 and "No such option '--lmit'" in proc.stderr
    assert "-exclude" in assay("search", "-h", home=tmp_path).stdout


def test_reindex_and_stats(tmp_path):
    assay("ingest", str(DEMO), home=tmp_path)
    before = assay("search", "稀土", "--json", "--limit", "50", home=tmp_path).stdout
    assert "reindexed" in assay("reindex", home=tmp_path).stdout
    after = assay("search", "稀土", "--json", "--limit", "50", home=tmp_path).stdout
    ids = lambda s: [h["id"] for h in json.loads(s)["hits"]]  # noqa: E731
    assert ids(before) == ids(after)
    stats = json.loads(assay("stats", "--json", home=tmp_path).stdout)
    assert stats["documents"] == stats["indexed"] > 400


def test_search_passages_and_mentions(tmp_path):
    assay("ingest", str(DEMO), home=tmp_path)
    out = json.loads(assay("search", "稀土", "出口", "--passages", "--limit", "3", "--json", home=tmp_path).stdout)
    assert len(out["passages"]) == 3 and all(p["paragraph"] >= 1 and "稀土" in p["text"] for p in out["passages"])
    text = assay("search", "稀土", "出口", "--passages", "--limit", "3", home=tmp_path).stdout
    assert text.startswith("3 passages for 稀土 出口") and re.search(r"^  \[\d+", text, re.M)
    page = json.loads(assay("search", "稀土", "--json", home=tmp_path).stdout)
    mentions = json.loads(assay("search", "稀土", "--mentions", "--json", home=tmp_path).stdout)
    assert page["listing"] == "about" and mentions["listing"] == "mentions"
    assert {h["why"] for h in page["hits"]} == {"about"} and {h["why"] for h in mentions["hits"]} == {"mention"}
    assert page["mentions"] == mentions["mentions"] > 0
