"""Thin click commands over the indexing and content functions."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import orjson
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from service.indexing import ReindexBusy, reindex

content_cli = AppGroup("content", help="Inspect the content folder.")


class _Progress:
    """Drive a click progress bar from (done, total) callbacks."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@click.command("reindex")
@click.option("--preview/--no-preview", default=None, help="Also index drafts, future and unpublished posts.")
@click.option("--wait", is_flag=True, help="Wait for a running reindex instead of exiting.")
@click.option("--full", is_flag=True, help="Parse every file and write the whole index, ignoring the last build.")
@with_appcontext
def reindex_command(preview: bool | None, wait: bool, full: bool) -> None:
    """Read the content folder and publish a new index (only changed files are parsed again unless --full)."""
    config = current_app.config
    progress = _Progress("Reading posts")
    try:
        summary = reindex(Path(config["CONTENT_DIR"]), Path(config["INDEX_DIR"]),
                          preview=config["PREVIEW"] if preview is None else preview, progress=progress, wait=wait,
                          image_widths=config["IMAGE_WIDTHS"], full=full)
    except ReindexBusy as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        progress.close()
    for problem in summary.problems:
        click.echo(str(problem), err=True)
    click.echo(summary.line())


@click.command("watch")
@click.option("--debounce", default=1.0, show_default=True, help="Seconds of quiet before a reindex starts.")
@with_appcontext
def watch_command(debounce: float) -> None:
    """Reindex (incrementally) whenever a file under the content folder changes; Ctrl-C stops."""
    from service.watch import watch

    config = current_app.config
    click.echo(f"watching {config['CONTENT_DIR']} (Ctrl-C stops)")
    watch(Path(config["CONTENT_DIR"]), Path(config["INDEX_DIR"]), preview=bool(config["PREVIEW"]),
          image_widths=config["IMAGE_WIDTHS"], debounce=debounce, echo=click.echo)


@content_cli.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print problems as JSON.")
def check_command(as_json: bool) -> None:
    """Validate every post file; exit 1 when any file has an error."""
    from service.content.loader import load_content  # the reader: imported when used, not by every web worker
    from service.content.site_reader import read_site

    content_dir = Path(current_app.config["CONTENT_DIR"])
    result = load_content(content_dir, preview=current_app.config["PREVIEW"],
                          image_widths=current_app.config["IMAGE_WIDTHS"])
    site = read_site(content_dir, result.site, result.posts)  # pages, documents and data files too
    problems = sorted(dict.fromkeys(result.problems + site.problems), key=lambda p: (p.path, p.line or 0))
    errors = sum(1 for p in problems if p.severity == "error")
    if as_json:
        click.echo(orjson.dumps({"files": result.files, "posts": len(result.posts), "hidden": len(result.hidden),
                                 "pages": len(site.pages), "documents": len(site.documents),
                                 "data_files": len(site.data_files), "errors": errors,
                                 "warnings": len(problems) - errors, "problems": [p.__dict__ for p in problems]},
                                option=orjson.OPT_INDENT_2))
    else:
        for problem in problems:
            click.echo(str(problem))
        click.echo(f"{result.files} files checked: {len(result.posts)} posts served, {len(result.hidden)} hidden, "
                   f"{len(site.pages)} pages, {len(site.documents)} documents, {len(site.data_files)} data files, "
                   f"{errors} errors, {len(problems) - errors} warnings")
    if errors:
        sys.exit(1)


def init_app(app: Flask) -> None:
    """Register the commands with `flask --app service`."""
    app.cli.add_command(reindex_command)
    app.cli.add_command(watch_command)
    app.cli.add_command(content_cli)
