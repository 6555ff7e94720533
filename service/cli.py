"""Thin click commands over the indexing and content functions: `flask --app service ...` or `python -m service ...`.

Under `flask` the commands read the app's settings; run as `python -m service` they read the same settings
(defaults, environment) without building the web app, which a reindex that finds nothing changed would
otherwise spend most of its time on. Flask is not imported here for that reason.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import orjson

from service.config import settings
from service.indexing import ReindexBusy, reindex

if TYPE_CHECKING:
    from flask import Flask

content_cli = click.Group("content", help="Inspect the content folder.")


def _config() -> Mapping[str, Any]:
    """The app's settings under `flask --app service` (it pushes the app context), else the same ones read here."""
    flask = sys.modules.get("flask")
    if flask is not None:
        if flask.has_app_context():
            return flask.current_app.config  # type: ignore[no-any-return]
        flask_cli = sys.modules.get("flask.cli")  # app.cli invoked directly, as test runners do
        info = click.get_current_context().find_object(flask_cli.ScriptInfo) if flask_cli is not None else None
        if info is not None:
            return info.load_app().config  # type: ignore[no-any-return]
    return settings()


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
def reindex_command(preview: bool | None, wait: bool, full: bool) -> None:
    """Read the content folder and publish a new index (only changed files are parsed again unless --full)."""
    config = _config()
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
def watch_command(debounce: float) -> None:
    """Reindex (incrementally) whenever a file under the content folder changes; Ctrl-C stops."""
    from service.watch import watch

    config = _config()
    click.echo(f"watching {config['CONTENT_DIR']} (Ctrl-C stops)")
    watch(Path(config["CONTENT_DIR"]), Path(config["INDEX_DIR"]), preview=bool(config["PREVIEW"]),
          image_widths=config["IMAGE_WIDTHS"], debounce=debounce, echo=click.echo)


@content_cli.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print problems as JSON.")
def check_command(as_json: bool) -> None:
    """Validate every post file; exit 1 when any file has an error."""
    from service.content.loader import load_content  # the reader: imported when used, not by every web worker
    from service.content.site_reader import read_site

    config = _config()
    content_dir = Path(config["CONTENT_DIR"])
    result = load_content(content_dir, preview=config["PREVIEW"], image_widths=config["IMAGE_WIDTHS"])
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


def commands() -> list[click.Command]:
    """Every command, for `flask --app service` and `python -m service` alike."""
    return [reindex_command, watch_command, content_cli]


def init_app(app: Flask) -> None:
    """Register the commands with `flask --app service`."""
    for command in commands():
        app.cli.add_command(command)
