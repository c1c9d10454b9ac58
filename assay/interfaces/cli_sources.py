"""``assay add-source``, ``sources``, ``remove-source``, ``fetch`` and the loop of ``assay ingest --watch``
(registered on ``cli``)."""

from __future__ import annotations

import json
import signal
import threading
from datetime import datetime
from pathlib import Path

import click

from ..errors import AssayError, StoreError
from ..model import DOC_TYPES
from . import service
from .cli_common import JSON_OUT, Context, err, fail, run_ingest


def read_sources_file(path: Path) -> list[tuple[str, str | None]]:
    """(URL, name) per line of a sources file: ``URL [name words]``; blank lines and ``#`` comments skipped."""
    out = []
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        url, _, name = line.partition(" ")
        out.append((url.strip(), name.strip() or None))
    return out


@click.command("add-source")
@click.argument("url", required=False)
@click.option("--name", help="Source name for its documents (default: the site's name, else the feed's title).")
@click.option("--type", "doc_type", type=click.Choice(DOC_TYPES), help="Document type of its articles.")
@click.option("--file", "from_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A file listing sources, one `URL [name]` a line.")  # fmt: skip
@click.pass_obj
def add_source(obj: Context, url: str | None, name: str | None, doc_type: str | None, from_file: Path | None) -> None:
    """List an RSS/Atom feed or an article URL for `assay fetch`."""
    entries = ([(url, name)] if url else []) + (read_sources_file(from_file) if from_file else [])
    if not entries:
        raise click.UsageError("give a URL or --file")
    added = 0
    with obj.workspace() as ws:
        for u, n in entries:
            try:
                source = service.add_source(ws, u, n, doc_type)
            except AssayError as exc:
                if len(entries) == 1:
                    fail(exc)
                err.print(f"[yellow]skipped[/yellow] {u}: {exc.message}", highlight=False)
                continue
            added += 1
            click.echo(f"{source.id:>4}  {source.url}" + (f"  ({source.name})" if source.name else ""))
    if len(entries) > 1:
        err.print(f"{added} of {len(entries)} sources added", highlight=False)


@click.command("sources")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def sources(obj: Context, as_json: bool) -> None:
    """The listed feeds and pages, with the outcome of their last fetch."""
    with obj.workspace() as ws:
        rows = ws.store.web_sources()
        counts = ws.store.web_page_counts()
    if as_json:
        click.echo(json.dumps([{**s.to_dict(), "pages": counts.get(s.id, {})} for s in rows], **JSON_OUT))
        return
    for s in rows:
        pages = counts.get(s.id, {})
        kind = s.kind or "not fetched yet"
        click.echo(f"{s.id:>4}  {s.url}  [{kind}]" + (f"  ({s.name})" if s.name else ""))
        if s.fetched_at:
            n = pages.get("ingested", 0)
            click.echo(f"      last fetch {s.fetched_at}: {s.status} · {n} articles ingested")
    if not rows:
        click.echo("no sources (add one with `assay add-source URL`)")


@click.command("remove-source")
@click.argument("key")
@click.pass_obj
def remove_source(obj: Context, key: str) -> None:
    """Stop fetching a source (by id or URL); its documents stay."""
    try:
        with obj.workspace() as ws:
            source = ws.store.remove_web_source(key)
    except AssayError as exc:
        fail(exc)
    click.echo(f"removed source {source.id} ({source.url})")


@click.command("fetch")
@click.argument("keys", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def fetch(obj: Context, keys: tuple[str, ...], as_json: bool) -> None:
    """Fetch the listed sources (or those given by id or URL) and ingest the new articles."""
    try:
        with obj.workspace() as ws:
            report = service.fetch_sources(ws, list(keys) or None)
    except AssayError as exc:
        fail(exc)
    if as_json:
        click.echo(json.dumps(report.to_dict(), **JSON_OUT))
        return
    for url, reason in report.refused[:20]:
        err.print(f"[red]refused[/red] {url}: {reason}", highlight=False)
    for url, reason in report.failed[:20]:
        err.print(f"[yellow]failed[/yellow] {url}: {reason}", highlight=False)
    click.echo(report.line())


def watch_folders(obj: Context, paths: list[Path], as_json: bool) -> None:
    """Ingest what is dropped into ``paths`` until interrupted (Ctrl-C or SIGTERM). The data directory is
    opened for each batch only, so other commands can use it in between."""
    from ..ingest.watch import FolderWatch
    from ..workspace import Workspace

    settle = obj.settings.watch_settle
    watcher = FolderWatch(paths, settle=settle)
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    err.print(f"watching {', '.join(map(str, paths))} (Ctrl-C stops)", highlight=False)
    try:
        while not stop.is_set():
            ready = watcher.poll()
            if ready:
                _ingest_batch(Workspace, obj, watcher, ready, as_json)
            stop.wait(max(0.05, settle / 2))
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


def _ingest_batch(workspace, obj: Context, watcher, ready: list[Path], as_json: bool) -> None:
    try:
        with workspace(obj.settings) as ws:
            report = run_ingest(ws, ready)
    except StoreError as exc:  # e.g. another process holds the index writer: try again next round
        err.print(f"[yellow]waiting[/yellow]: {exc.message}", highlight=False)
        return
    watcher.done(ready)
    if as_json:
        click.echo(json.dumps({"files": [str(p) for p in ready], **report.to_dict()}, ensure_ascii=False), nl=True)
    else:
        click.echo(f"{datetime.now():%H:%M:%S} {len(ready)} files: {report.line()}")
        for label, reason in report.errors[:20]:
            err.print(f"[yellow]quarantined[/yellow] {label}: {reason}", highlight=False)


def register(group: click.Group) -> None:
    group.add_command(add_source)
    group.add_command(sources)
    group.add_command(remove_source)
    group.add_command(fetch)
