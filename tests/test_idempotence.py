"""Ingesting a whole real corpus twice adds nothing and changes no id."""

from conftest import data_file, ingest, make_settings

from assay.workspace import Workspace


def test_cctv_twice(tmp_path):
    src = data_file("zh_news_cctv_xwlb.jsonl.gz")
    with Workspace(make_settings(tmp_path / "h", workers=0)) as ws:
        first = ingest(ws, src)
        ids = ws.store.all_ids()
        seq = ws.store.last_seq()
        second = ingest(ws, src)
        assert first.added == len(ids) > 24_000 and first.quarantined == 0
        assert (second.added, second.updated, second.quarantined) == (0, 0, 0)
        assert second.unchanged == first.added + first.unchanged
        assert ws.store.all_ids() == ids
        assert ws.store.last_seq() == seq  # nothing was written the second time
        assert ws.index.num_docs() == len(ids)
