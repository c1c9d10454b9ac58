import gzip
import json

from conftest import DEMO, ingest, make_settings

from assay.workspace import Workspace


def _jsonl(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def test_demo_ingest_twice_changes_nothing(tmp_path):
    with Workspace(make_settings(tmp_path / "h")) as ws:
        first = ingest(ws, DEMO)
        ids = ws.store.all_ids()
        second = ingest(ws, DEMO)
        assert first.added == len(ids) and first.quarantined == 0
        assert (second.added, second.updated, second.quarantined) == (0, 0, 0)
        assert second.unchanged == first.added + first.unchanged
        assert ws.store.all_ids() == ids
        assert ws.index.num_docs() == len(ids)


def test_record_id_kept_and_missing_fields(tmp_path):
    src = _jsonl(
        tmp_path / "a.jsonl",
        [
            {"id": "x-1", "title": "None", "text": "中国稀土出口增长。第二句话在这里。", "published_at": "None"},
        ],
    )
    with Workspace(make_settings(tmp_path / "h")) as ws:
        assert ingest(ws, src).added == 1
        doc = ws.store.get_document("x-1")
        assert doc.title == "中国稀土出口增长"  # derived from the text
        assert doc.published_at is None and doc.lang == "zh"


def test_bad_input_is_quarantined_and_the_batch_goes_on(tmp_path):
    good = [{"id": f"g{i}", "title": f"好文章{i}", "text": f"稀土新闻正文第{i}篇。内容充实。"} for i in range(5)]
    lines = [json.dumps(good[0], ensure_ascii=False).encode()]
    lines.append(b'{"id": "trunc", "title": "x", "text": "cut off')  # truncated JSON
    lines.append(json.dumps(good[1], ensure_ascii=False).encode())
    lines.append(bytes(range(256)) * 4)  # binary junk (no newline inside? there is one: 0x0a)
    lines.append(json.dumps({"id": "empty", "title": "空", "text": "   "}).encode())  # empty text
    lines.append(json.dumps(good[2], ensure_ascii=False).encode())
    lines.append(json.dumps({"id": "big", "text": "稀" * (50 * 1024 * 1024 // 3)}, ensure_ascii=False).encode())
    lines.append(
        json.dumps({"id": "gbk", "title": "国标编码", "text": "这是GBK编码的稀土新闻。"}, ensure_ascii=False).encode(
            "gbk"
        )
    )
    lines.append(json.dumps(good[3], ensure_ascii=False).encode())
    lines.append(b"[1, 2, 3]")  # JSON, but not an object
    lines.append(json.dumps(good[4], ensure_ascii=False).encode())
    src = tmp_path / "mixed.jsonl"
    src.write_bytes(b"\n".join(lines) + b"\n")
    with Workspace(make_settings(tmp_path / "h")) as ws:
        report = ingest(ws, src)
        reasons = dict(report.errors)
        assert report.added == 6  # five good + the GBK one, decoded
        assert ws.store.get_document("gbk").paragraphs[0].text == "这是GBK编码的稀土新闻。"
        assert any("decoded as" in n for _, n in report.notes)
        assert any("invalid JSON" in r for r in reasons.values())
        assert any("missing text" in r for r in reasons.values())
        assert any("too large" in r for r in reasons.values())
        assert any("expected a JSON object" in r for r in reasons.values())
        assert report.quarantined >= 5
        for i in range(5):
            assert ws.store.get_document(f"g{i}")
        # the bytes of every rejected record are kept
        kept = {r["input"]: r for r in ws.store.quarantined(100)}
        big = [r for r in kept.values() if "too large" in r["reason"]][0]
        assert big["size"] > 50_000_000
        assert ws.store.stats()["quarantined"] == report.quarantined
        # a second run quarantines nothing new and adds nothing
        again = ingest(ws, src)
        assert again.added == 0 and again.unchanged == 6
        assert ws.store.stats()["quarantined"] == report.quarantined


def test_gzip_and_truncated_gzip(tmp_path):
    recs = [{"id": f"z{i}", "title": f"标题{i}", "text": f"正文{i}。" * 20} for i in range(50)]
    data = gzip.compress("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs).encode())
    (tmp_path / "ok.jsonl.gz").write_bytes(data)
    (tmp_path / "cut.jsonl.gz").write_bytes(data[: len(data) // 2])
    with Workspace(make_settings(tmp_path / "h")) as ws:
        report = ingest(ws, tmp_path / "ok.jsonl.gz", tmp_path / "cut.jsonl.gz")
        assert report.added == 50  # the truncated copy holds only records already added
        assert report.quarantined == 1 and "unreadable" in report.errors[0][1]


def test_folder_of_text_markdown_html(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "note.md").write_text("# 稀土周报\n\n本周稀土价格上涨。\n\n## 供给\n\n供给收紧。", encoding="utf-8")
    (folder / "plain.txt").write_bytes("繁體中文的稀土報導。".encode("big5"))
    article = "".join(f"<p>稀土出口管制第{i}段内容，这里有足够长的正文用于抽取。</p>" for i in range(8))
    (folder / "page.html").write_text(
        f"<html><head><title>稀土新闻</title></head><body><nav>首页 | 登录</nav>"
        f"<article><h1>稀土新闻</h1>{article}</article><footer>版权所有</footer></body></html>",
        encoding="utf-8",
    )
    (folder / "empty.txt").write_bytes(b"")
    (folder / "image.png").write_bytes(b"\x89PNG")  # not a supported type: skipped by the folder walk
    with Workspace(make_settings(tmp_path / "h")) as ws:
        report = ingest(ws, folder)
        assert report.added == 3 and report.quarantined == 1
        md = ws.store.get_document(str((folder / "note.md").resolve()))
        assert md.title == "稀土周报"
        assert [p.kind for p in md.paragraphs] == ["text", "heading", "text"]
        html = ws.store.get_document(str((folder / "page.html").resolve()))
        assert "首页" not in html.text and "稀土出口管制第0段" in html.text
        big5 = ws.store.get_document(str((folder / "plain.txt").resolve()))
        assert big5.paragraphs[0].text == "繁體中文的稀土報導。"
        hits = ws.searcher.search("稀土报导").hits  # simplified query finds the traditional text
        assert [h.id for h in hits] == [big5.id]
