"""`assay ingest --watch`: files dropped into a folder are ingested once they stop changing, changed files
again, and a file still being written is never taken half-way."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from conftest import make_settings, read_records

from assay.ingest.watch import FolderWatch
from assay.workspace import Workspace


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_file_is_ready_once_it_has_settled(tmp_path):
    clock = Clock()
    watch = FolderWatch([tmp_path], settle=2.0, clock=clock)
    note = tmp_path / "note.md"
    note.write_text("# 稀土\n\n第一段", encoding="utf-8")
    (tmp_path / ".hidden.md").write_text("x")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    assert watch.poll() == []  # first seen
    clock.now = 1.0
    assert watch.poll() == []  # not settled yet
    clock.now = 2.5
    assert watch.poll() == [note]
    watch.done([note])
    clock.now = 10.0
    assert watch.poll() == []  # ingested and unchanged
    note.write_text("# 稀土\n\n第一段\n\n第二段", encoding="utf-8")  # changed (size and time)
    assert watch.poll() == []
    clock.now = 11.0
    note.write_text("# 稀土\n\n第一段\n\n第二段\n\n第三段", encoding="utf-8")  # still being written
    assert watch.poll() == []
    clock.now = 12.0
    assert watch.poll() == []
    clock.now = 13.5
    assert watch.poll() == [note]


class Lines:
    """A process's stdout lines, read by a thread (so a test can wait with a timeout)."""

    def __init__(self, stream):
        self.q: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [self.q.put(line) for line in stream], daemon=True).start()

    def next(self, timeout: float = 60) -> str:
        return self.q.get(timeout=timeout)


def test_ingest_watch_picks_up_dropped_files(tmp_path):
    records = [r for r in read_records("zh_news_cctv_xwlb.jsonl.gz", 50) if len(r["text"]) > 600][:2]
    inbox, home = tmp_path / "inbox", tmp_path / "home"
    inbox.mkdir()
    env = {**os.environ, "ASSAY_HOME": str(home), "ASSAY_WATCH_SETTLE": "0.6", "ASSAY_WORKERS": "1"}
    cmd = [sys.executable, "-m", "assay", "ingest", "--watch", "--json", str(inbox)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    out = Lines(proc.stdout)
    try:
        first = inbox / "first.md"
        first.write_text(f"# {records[0]['title']}\n\n{records[0]['text']}", encoding="utf-8")
        batch = json.loads(out.next())
        assert batch["files"] == [str(first)] and batch["added"] == 1

        slow = inbox / "slow.md"  # written in pieces, each sooner than the settle time after the last
        text = f"# {records[1]['title']}\n\n{records[1]['text']}"
        pieces = [text[i : i + len(text) // 4 + 1] for i in range(0, len(text), len(text) // 4 + 1)]
        with slow.open("w", encoding="utf-8") as f:
            for piece in pieces:
                f.write(piece)
                f.flush()
                time.sleep(0.3)
        batch = json.loads(out.next())
        assert batch["files"] == [str(slow)] and batch["added"] == 1 and batch["updated"] == 0

        first.write_text(f"# {records[0]['title']}\n\n{records[0]['text']}\n\n补充：一段新的文字。", encoding="utf-8")
        batch = json.loads(out.next())
        # a changed file is ingested again (as a new version: see the closing count)
        assert batch["files"] == [str(first)] and batch["added"] + batch["updated"] == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    assert out.q.empty()  # nothing else was ingested: the slow file went in once, whole
    with Workspace(make_settings(home)) as ws:
        doc = ws.store.get_document(str(slow.resolve()))
        assert doc.title == records[1]["title"]
        assert Path(slow).read_text(encoding="utf-8").endswith(doc.paragraphs[-1].text)
        texts = [d.text for d in ws.store.iter_documents()]
    assert len(texts) in (2, 3) and any(t.endswith("补充：一段新的文字。") for t in texts)
