"""``assay dupes``: story clusters — statistics and the largest clusters, every cluster as JSON, or a rebuild
(registered on ``cli``)."""

from __future__ import annotations

import json
from typing import Any

import click

from ..dedupe import Stories, Story, StoryClusters
from ..errors import AssayError
from . import render
from .cli_common import Context, fail, progress_bar

LISTED_MEMBERS = 6


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Every cluster of two or more documents, with its members' ids.")
@click.option("--limit", type=click.IntRange(1), default=10, show_default=True, help="Largest clusters shown.")
@click.option("--rebuild", is_flag=True, help="Forget all clusters and cluster the whole store again.")
@click.pass_obj
def dupes(obj: Context, as_json: bool, limit: int, rebuild: bool) -> None:
    """Story clusters: copies and revised versions of the same story, folded into one search result."""
    try:
        with obj.workspace() as ws:
            if rebuild:
                rebuild_clusters(ws)
            stories = Stories(ws.store)
            stats = stories.stats()
            clusters = stories.stories(min_size=2, limit=None if as_json else limit, with_records=as_json)
    except AssayError as exc:
        fail(exc)
    if as_json:
        click.echo(json.dumps(dupes_json(stats, clusters), ensure_ascii=False, indent=2))
    else:
        click.echo(dupes_text(stats, clusters, obj.settings.tz))


def rebuild_clusters(ws) -> int:
    """Cluster every document again (holding the index writer, so no ingest runs meanwhile)."""
    ws.index.writer()
    clusters = StoryClusters(ws.store, ws.settings.dupe_representative, window_days=ws.settings.dupe_window_days)
    with progress_bar() as progress:
        task = progress.add_task("dupes", total=ws.store.count(), docs=0)
        n = clusters.rebuild(lambda k: progress.advance(task, k))
    click.echo(f"clustered {n} documents", err=True)
    return n


def dupes_json(stats: dict[str, Any], clusters: list[Story]) -> dict[str, Any]:
    return {"stats": stats, "clusters": [c.to_dict() for c in clusters]}


def dupes_text(stats: dict[str, Any], clusters: list[Story], tz) -> str:
    joined = stats["joined_as"]
    lines = [
        f"{stats['documents']} documents in {stats['stories']} stories: {stats['clusters_with_copies']} clusters "
        f"hold {stats['documents_in_them']} documents ({stats['copies_folded']} copies folded; joined as exact "
        f"{joined['exact']}, near {joined['near']}, revision {joined['revision']}); largest {stats['largest']}"
    ]
    if stats["unclustered"]:
        lines.append(f"{stats['unclustered']} documents not clustered yet (the next ingest or --rebuild does them)")
    for c in clusters:
        rep = next((m for m in c.members if m.id == c.representative), c.members[0] if c.members else None)
        lines.append("")
        lines.append(f"{c.size} × {rep.title if rep else c.representative}  [cluster {c.id}]")
        for m in c.members[:LISTED_MEMBERS]:
            mark = "*" if m.id == c.representative else " "
            how = f"{m.kind} {m.similarity:.2f}" if m.similarity is not None else m.kind
            lines.append(f"  {mark} {render.byline(m.source, m.published_at, m.date_only, tz)}  {m.id}  ({how})")
        if len(c.members) > LISTED_MEMBERS:
            lines.append(f"    … and {len(c.members) - LISTED_MEMBERS} more")
    if not clusters:
        lines.append("no story has more than one document")
    return "\n".join(lines)


def register(group: click.Group) -> None:
    group.add_command(dupes)
