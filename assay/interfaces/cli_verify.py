"""``assay verify ID SUMMARY.json``: check a summary's citations against a stored document (registered on
``cli``). The summary may be ours or written elsewhere; the file holds the DESIGN.md structure."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import click

from ..errors import AssayError, InputError
from ..model import Document, Summary
from ..summarize.verify import summary_from_data, tally, verify_summary
from .cli_common import Context, fail

_ENDS_WITH_MARKS = re.compile(r"\[\d+\]\s*$")
_LABEL = {"supported": "supported  ", "unsupported": "UNSUPPORTED", "unchecked": "unchecked  "}


@click.command()
@click.argument("doc_id")
@click.argument("summary_file", metavar="SUMMARY.json", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the verdicts as JSON.")
@click.pass_obj
def verify(obj: Context, doc_id: str, summary_file: Path, as_json: bool) -> None:
    """Check every bullet of SUMMARY.json (sections → bullets with text and cites) against the paragraphs
    it cites in document DOC_ID (id, record id or id prefix): verdict, reason and the supported share."""
    try:
        data = read_summary_file(summary_file)
        with obj.workspace() as ws:
            doc = ws.store.get_document(doc_id)
        try:
            summary = summary_from_data(data, doc.id)
        except InputError as exc:
            raise InputError(f"{summary_file}: {exc.message}") from exc
        checked = verify_summary(summary, doc)
    except AssayError as exc:
        fail(exc)
    if as_json:
        click.echo(json.dumps(verdicts_json(checked, doc), ensure_ascii=False, indent=2))
    else:
        click.echo(verdicts_text(checked, doc))


def read_summary_file(path: Path) -> Any:
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text") from exc
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from exc


def verdicts_json(summary: Summary, doc: Document) -> dict[str, Any]:
    data = summary.to_dict()
    return {
        "doc_id": doc.id,
        "title": doc.title,
        "paragraphs": len(doc.paragraphs),
        "sections": data["sections"],
        **tally(summary).to_dict(),
    }


def verdicts_text(summary: Summary, doc: Document) -> str:
    lines = [f"{doc.id}  {doc.title or '(untitled)'}  ({len(doc.paragraphs)} paragraphs)"]
    for sec in summary.sections:
        lines.append("")
        lines.append(sec.heading or "(no heading)")
        for b in sec.bullets:
            text = b.text if _ENDS_WITH_MARKS.search(b.text) else f"{b.text} {''.join(f'[{n}]' for n in b.cites)}"
            lines.append(f"  {_LABEL[b.check]}  {text}".rstrip())
            lines.append(f"  {'':11}  → {b.note}")
    t = tally(summary)
    share = f"{t.share:.1%}" if t.share is not None else "n/a"
    lines.append("")
    lines.append(
        f"supported share: {share} ({t.supported} supported, {t.unsupported} unsupported; "
        f"{t.unchecked} unchecked, not counted)"
    )
    return "\n".join(lines)


def register(group: click.Group) -> None:
    group.add_command(verify)
