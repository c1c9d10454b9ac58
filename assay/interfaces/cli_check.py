"""``assay check``: the store's integrity (every document whole, index == store, the folder ledger naming
stored documents), as a report or JSON; exit status 1 when a problem is found; ``--repair`` re-indexes
the difference and drops stale ledger rows (registered on ``cli``)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from ..errors import AssayError
from ..store.integrity import AREAS, IntegrityReport, Repair, integrity_report, repair
from ..workspace import Workspace
from .cli_common import JSON_OUT, Context, fail

LABELS = {"documents": "documents", "index": "full-text index", "files": "folder ledger"}


@click.command()
@click.option("--json", "as_json", is_flag=True, help="The report as JSON.")
@click.option(
    "--repair", "fix", is_flag=True, help="Re-index what the index lacks or holds wrongly; forget stale ledger rows."
)
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True, help="Problems listed per area.")
@click.pass_obj
def check(obj: Context, as_json: bool, fix: bool, limit: int) -> None:
    """Check the store and the index: every document has all its paragraphs, the index holds exactly the
    stored documents. Exit status 1 when a problem is found (and, with --repair, remains)."""
    fixed: Repair | None = None
    try:
        # the index is not caught up on opening: the check sees it as it is
        ws = Workspace(obj.settings, catch_up=False)
        try:
            report = integrity_report(ws.store, ws.index, limit)
            before = report
            if fix and not report.ok:
                fixed = repair(ws.store, ws.index, report)
                report = integrity_report(ws.store, ws.index, limit)
        finally:
            ws.close()
    except AssayError as exc:
        fail(exc)
    if as_json:
        click.echo(json.dumps(check_json(report, before if fixed else None, fixed), **JSON_OUT))
    else:
        click.echo(check_text(report, before if fixed else None, fixed))
    if not report.ok:
        sys.exit(1)


def check_json(report: IntegrityReport, before: IntegrityReport | None, fixed: Repair | None) -> dict[str, Any]:
    out = report.to_dict()
    if fixed is not None and before is not None:
        out["repaired"] = fixed.to_dict()
        out["before"] = before.to_dict()
    return out


def _summary_line(report: IntegrityReport) -> str:
    line = f"{report.documents} documents, {report.paragraphs} paragraphs"
    if report.indexed is not None:
        line += f"; index {report.indexed} documents (change {report.index_seq} of {report.store_seq})"
    return line


def _problem_lines(report: IntegrityReport) -> list[str]:
    lines = []
    for area in AREAS:
        n = report.counts[area]
        if not n:
            lines.append(f"  {LABELS[area]}: ok")
            continue
        lines.append(f"  {LABELS[area]}: {n} problem{'s' if n != 1 else ''}")
        lines += [f"    - {m}" for m in report.problems[area]]
        if n > len(report.problems[area]):
            lines.append(f"    … and {n - len(report.problems[area])} more")
    return lines


def check_text(report: IntegrityReport, before: IntegrityReport | None = None, fixed: Repair | None = None) -> str:
    lines = []
    if before is not None and fixed is not None:
        lines += ["before repair: " + _summary_line(before), *_problem_lines(before)]
        did = []
        if fixed.caught_up:
            did.append(f"re-indexed {fixed.caught_up} changed documents")
        if fixed.rebuilt:
            did.append(f"rebuilt the index ({fixed.rebuilt} documents)")
        if fixed.files_forgotten:
            did.append(f"forgot {fixed.files_forgotten} ledger rows (the next ingest reads those files again)")
        lines.append("repair: " + ("; ".join(did) if did else "nothing it can repair"))
        lines.append("")
    lines += [_summary_line(report), *_problem_lines(report)]
    if report.ok:
        lines.append("ok: no problems found")
    else:
        total = sum(report.counts.values())
        hint = "" if fixed else " (assay check --repair fixes the index and the ledger)"
        if report.counts["documents"] and not (report.counts["index"] or report.counts["files"]):
            hint = " (damaged documents: ingest their sources again)"
        lines.append(f"{total} problem{'s' if total != 1 else ''} found{hint}")
    return "\n".join(lines)


def register(group: click.Group) -> None:
    group.add_command(check)
