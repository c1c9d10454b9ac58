"""Every record id of an ingest names its document afterwards, whatever the files, batches and workers: two
records with the same text (a second scrape, a re-sent item) are one document with both record ids."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys

import pytest
from conftest import REPO, data_file, ingest, make_settings

from assay.workspace import Workspace

SAME = {"title": "稀土出口管制升级", "text": "商务部宣布对中重稀土实施出口管制。", "source": "新华社"}
SAME |= {"published_at": "2025-10-09"}


def _jsonl(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.mark.parametrize(("workers", "batch_size"), [(1, 1000), (1, 1), (2, 1000), (2, 1)])
@pytest.mark.parametrize("files", [1, 2])
def test_two_records_of_one_document_both_resolve(tmp_path, workers, batch_size, files):
    records = [{"id": "a1", **SAME}, {"id": "a2", **SAME}, {"id": "b", **SAME, "text": "另一条新闻。"}]
    if files == 1:
        paths = [_jsonl(tmp_path / "one.jsonl", records)]
    else:
        paths = [_jsonl(tmp_path / "first.jsonl", records[:1]), _jsonl(tmp_path / "second.jsonl", records[1:])]
    settings = make_settings(tmp_path / "h", workers=workers, batch_size=batch_size)
    with Workspace(settings) as ws:
        report = ingest(ws, *paths)
        assert (report.added, report.unchanged) == (2, 1)
        doc = ws.store.resolve("a1")
        assert ws.store.resolve("a2") == doc != ws.store.resolve("b")
        assert sorted(ws.store.external_ids(doc)) == ["a1", "a2"]
        again = ingest(ws, *paths)  # the same ingest again changes nothing, and loses nothing
        assert (again.added, again.updated) == (0, 0) and ws.store.resolve("a2") == doc


def test_assay_show_finds_the_second_record(tmp_path):
    src = _jsonl(tmp_path / "two.jsonl", [{"id": "a1", **SAME}, {"id": "a2", **SAME}])
    env = {**os.environ, "ASSAY_HOME": str(tmp_path / "h")}
    run = [sys.executable, "-m", "assay"]
    out = subprocess.run([*run, "ingest", str(src)], capture_output=True, text=True, env=env, check=True)
    assert "added 1" in out.stdout and "unchanged 1" in out.stdout
    shown = subprocess.run([*run, "show", "a2", "--json"], capture_output=True, text=True, env=env, cwd=REPO)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["external_ids"] == ["a1", "a2"]


@pytest.mark.slow
def test_every_record_id_of_both_cctv_scrapes_resolves(tmp_path):
    """Both CCTV scrapes in one ingest (29,100 records, hundreds of them the same item twice): every record id
    resolves to its document, through the library and through `assay show`."""
    paths = [data_file("zh_news_cctv_xwlb.jsonl.gz"), data_file("zh_news_cctv_xwlb_dupscrape.jsonl.gz")]
    ids = []
    for path in paths:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            ids += [json.loads(line)["id"] for line in f if line.strip()]
    assert len(ids) == len(set(ids)) == 29_100
    settings = make_settings(tmp_path / "h", workers=2, summarize_on_ingest=False)
    with Workspace(settings) as ws:
        report = ingest(ws, *paths)
        assert report.quarantined == 0 and report.unchanged > 100  # the same item in both scrapes
        missing = []
        shared = {}
        for record_id in ids:
            try:
                shared.setdefault(ws.store.resolve(record_id), []).append(record_id)
            except Exception:  # noqa: BLE001 (NotFound: the record id was lost)
                missing.append(record_id)
        assert missing == [], f"{len(missing)} record ids lost, e.g. {missing[:5]}"
        twice = [r for rs in shared.values() if len(rs) > 1 for r in rs]
        assert len(twice) > 200
    env = {**os.environ, "ASSAY_HOME": str(tmp_path / "h")}
    for record_id in twice[1:40:2]:  # the second record of a document: the ones that were lost
        shown = subprocess.run(
            [sys.executable, "-m", "assay", "show", record_id, "--json"], capture_output=True, text=True, env=env
        )
        assert shown.returncode == 0, shown.stderr
        assert record_id in json.loads(shown.stdout)["external_ids"]
