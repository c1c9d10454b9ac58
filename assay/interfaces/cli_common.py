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


def run_ingest(ws: Workspace, paths: list[Path]):
    from ..ingest.pipeline import Ingestor

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
