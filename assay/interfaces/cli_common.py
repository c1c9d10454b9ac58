"""What the command modules share: the console, the context object, errors and progress bars."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from ..errors import AssayError
from ..settings import Settings
from ..workspace import Workspace

err = Console(stderr=True, soft_wrap=True)
JSON_OUT = {"ensure_ascii": False, "indent": 2}


class Context:
    def __init__(self, data_dir: Path | None):
        try:
            self.settings = Settings(home=data_dir) if data_dir else Settings()
        except Exception as exc:  # pydantic's ValidationError: bad settings stop start-up
            raise click.ClickException(f"invalid settings: {exc}") from exc

    def workspace(self) -> Workspace:
        return Workspace(self.settings)


def fail(exc: AssayError) -> None:
    raise click.ClickException(exc.message)


def progress_bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[docs]} docs"),
        TimeRemainingColumn(),
        console=err,
        disable=not err.is_terminal,
        transient=False,
    )


def run_ingest(ws: Workspace, paths: list[Path], queue_only: bool = False):
    """Ingest ``paths`` into the workspace: here, with a pool of processes (the embedded store), or through
    the store's ingest queue (a shared store: PostgreSQL), drained by local worker processes and by
    ``assay worker`` on any machine."""
    from ..ingest.pipeline import Ingestor

    if ws.settings.database_url:
        return run_queued_ingest(ws, paths, queue_only)

    total = Ingestor.total_bytes(p for p in paths if p.exists())
    with progress_bar() as progress:
        task = progress.add_task("ingest", total=total or None, docs=0)
        count = [0]

        def on_item(_prep) -> None:
            count[0] += 1
            if count[0] % 200 == 0:
                progress.update(task, docs=count[0])

        stories: list = []

        def on_stories(k: int, of: int) -> None:  # older documents clustered first (after an upgrade)
            if not stories:
                stories.extend([progress.add_task("stories", total=of, docs=0), 0])
            stories[1] += k
            progress.update(stories[0], completed=stories[1], docs=stories[1])

        ingestor = Ingestor(
            ws.store,
            ws.index,
            ws.settings,
            on_bytes=lambda n: progress.advance(task, n),
            on_item=on_item,
            on_stories=on_stories,
        )
        report = ingestor.run(paths)
        progress.update(task, docs=count[0], completed=total)
    return report


def _local_ingest_worker(settings: Settings, batch: str, queued, stop) -> None:
    """A worker process of ``assay ingest`` against a shared store: chunks of its batch until none is left."""
    from ..ingest.queued import IngestWorker
    from ..store import open_store

    store = open_store(settings)
    try:
        IngestWorker(store, settings).run(batch=batch, stop=stop, until_empty=queued.is_set)
    finally:
        store.close()


def run_queued_ingest(ws: Workspace, paths: list[Path], queue_only: bool = False):
    """Queue the inputs as chunks of one batch, let local worker processes (unless ``queue_only``) and any
    ``assay worker`` take them, and report the batch's progress until every chunk is done; then the
    workspace's index catches up with the store."""
    import multiprocessing as mp
    import os
    import uuid

    from ..ingest.pipeline import Ingestor, IngestReport
    from ..ingest.queued import enqueue_paths, wait_for

    settings = ws.settings
    batch = uuid.uuid4().hex[:12]
    n = 0 if queue_only else (settings.workers if settings.workers > 0 else max(1, min(4, os.cpu_count() or 1)))
    ctx = mp.get_context("spawn")
    queued, stop = ctx.Event(), ctx.Event()
    procs = [ctx.Process(target=_local_ingest_worker, args=(settings, batch, queued, stop)) for _ in range(n)]
    for proc in procs:
        proc.start()
    total = Ingestor.total_bytes(p for p in paths if p.exists())
    respawned = [0]
    try:
        with progress_bar() as progress:
            read = progress.add_task("queue", total=total or None, docs=0)
            enq = enqueue_paths(ws.store, settings, paths, on_bytes=lambda k: progress.advance(read, k), batch=batch)
            progress.update(read, completed=total, docs=enq.items)
            queued.set()
            task = progress.add_task("ingest", total=enq.items or None, docs=0)

            def shown(p) -> None:
                finished = p.items["done"] + p.items["failed"]
                progress.update(task, completed=finished, docs=finished)
                for k, proc in enumerate(procs):  # a local worker that died is replaced (its chunk is taken again)
                    if proc.exitcode not in (None, 0) and respawned[0] < 4 * max(n, 1):
                        err.print(f"an ingest worker stopped (exit {proc.exitcode}); starting another", markup=False)
                        procs[k] = ctx.Process(target=_local_ingest_worker, args=(settings, batch, queued, stop))
                        procs[k].start()
                        respawned[0] += 1

            got = wait_for(ws.store, batch, on_progress=shown)
        for proc in procs:
            proc.join()
    except BaseException:
        stop.set()
        for proc in procs:
            proc.join(timeout=30)
        raise
    ws.index.catch_up(ws.store)  # this workspace's index follows the store (search nodes follow on their own)
    report = IngestReport(
        added=got.written["added"],
        updated=got.written["updated"],
        unchanged=got.written["unchanged"] + enq.skipped,
        quarantined=got.written["quarantined"] + enq.quarantined,
        errors=list(enq.errors or []),
    )
    for chunk in ws.store.failed_ingest(batch):
        report.errors.append((chunk["label"], f"chunk of {chunk['items']} inputs failed: {chunk['error']}"))
    return report
