"""`python -m service reindex` (and watch, content check): the commands without building the web app."""

from __future__ import annotations

import click

from service.cli import commands


@click.group(help="Broadsheet's commands; settings come from the environment (CONTENT_DIR, INDEX_DIR, PREVIEW...).")
def main() -> None:
    """The command group; each command reads the settings itself."""


for command in commands():
    main.add_command(command)

if __name__ == "__main__":
    main()
