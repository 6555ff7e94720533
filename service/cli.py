"""Thin click commands over the indexing and content functions."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import orjson
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from service.content.loader import load_content
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
@with_appcontext
def reindex_command(preview: bool | None, wait: bool) -> None:
    """Read the content folder and publish a fresh index."""
    config = current_app.config
    progress = _Progress("Reading posts")
    try:
        summary = reindex(Path(config["CONTENT_DIR"]), Path(config["INDEX_DIR"]),
                          preview=config["PREVIEW"] if preview is None else preview, progress=progress, wait=wait)
    except ReindexBusy as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        progress.close()
    for problem in summary.problems:
        click.echo(str(problem), err=True)
    click.echo(summary.line())


@content_cli.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print problems as JSON.")
def check_command(as_json: bool) -> None:
    """Validate every post file; exit 1 when any file has an error."""
    result = load_content(Path(current_app.config["CONTENT_DIR"]), preview=current_app.config["PREVIEW"])
    errors = len(result.errors)
    if as_json:
        click.echo(orjson.dumps({"files": result.files, "posts": len(result.posts), "hidden": len(result.hidden),
                                 "problems": [p.__dict__ for p in result.problems]}, option=orjson.OPT_INDENT_2))
    else:
        for problem in result.problems:
            click.echo(str(problem))
        click.echo(f"{result.files} files checked: {len(result.posts)} posts served, {len(result.hidden)} hidden, "
                   f"{errors} errors, {len(result.problems) - errors} warnings")
    if errors:
        sys.exit(1)


def init_app(app: Flask) -> None:
    """Register the commands with `flask --app service`."""
    app.cli.add_command(reindex_command)
    app.cli.add_command(content_cli)
