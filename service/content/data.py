"""Jekyll's DataReader: `_data` files (YAML, JSON, CSV, TSV, nested folders) as `site.data` holds them."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import yaml

from service.content.models import Problem

# The order Ruby's Dir["*.{yaml,yml,json,csv,tsv}"] lists them in: a later file with the same name wins.
_KINDS = (".yaml", ".yml", ".json", ".csv", ".tsv")
_NOT_WORD = re.compile(r"[^\w\s-]+|(?:^|(?<=\b\s))\s+(?=$|\s?\b)")


def data_key(name: str) -> str:
    """DataReader#sanitize_filename: the key a data file or folder name becomes."""
    return re.sub(r"\s+", "_", _NOT_WORD.sub("", name))


def read_data(content_dir: Path, config: dict[str, Any]) -> tuple[dict[str, Any], list[str], list[Problem]]:
    """Read `_data` (or `data_dir`) into site.data; return it, the files read, and a problem per broken file."""
    folder = content_dir / str(config.get("data_dir") or "_data").strip("/")
    data: dict[str, Any] = {}
    files: list[str] = []
    problems: list[Problem] = []
    _read_folder(content_dir, folder, data, files, problems, config)
    return data, files, problems


def _read_folder(root: Path, folder: Path, into: dict[str, Any], files: list[str], problems: list[Problem],
                 config: dict[str, Any]) -> None:
    if not folder.is_dir() or folder.is_symlink():
        return
    try:
        children = sorted(folder.iterdir())
    except OSError:
        return
    entries = [c for kind in _KINDS for c in children
               if c.suffix == kind and not c.name.startswith(".") and c.is_file()]
    entries += [c for c in children if c.is_dir() and not c.name.startswith(".")]
    for entry in entries:
        if entry.is_symlink():
            continue
        if entry.is_dir():
            nested: dict[str, Any] = {}
            into[data_key(entry.name)] = nested
            _read_folder(root, entry, nested, files, problems, config)
            continue
        rel = entry.relative_to(root).as_posix()
        try:
            into[data_key(entry.stem)] = read_data_file(entry, config)
            files.append(rel)
        except DataFileError as exc:
            problems.append(Problem(rel, exc.line, "error", str(exc)))


class DataFileError(ValueError):
    """A data file that cannot be read, with the line where it goes wrong when known."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line


def read_data_file(path: Path, config: dict[str, Any]) -> Any:
    """Read one data file as Jekyll does: CSV/TSV rows keyed by the header line, YAML or JSON as parsed."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(None, f"cannot read data file: {exc}") from None
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        reader = config.get("tsv_reader" if suffix == ".tsv" else "csv_reader")
        headers = reader.get("headers", True) if isinstance(reader, dict) else True
        rows = list(csv.reader(io.StringIO(text), delimiter="\t" if suffix == ".tsv" else ","))
        if not headers:
            return rows
        if not rows:
            return []
        head = rows[0]
        # CSV::Row#to_hash: an empty cell is nil, a missing one too; a repeated header keeps its first value.
        table = []
        for row in rows[1:]:
            record: dict[str, Any] = {}
            for n, name in enumerate(head):
                if name not in record:
                    record[name] = row[n] if n < len(row) and row[n] != "" else None
            table.append(record)
        return table
    if suffix == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataFileError(exc.lineno, f"data file is not valid JSON: {exc.msg}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DataFileError(mark.line + 1 if mark is not None else None,
                            f"data file is not valid YAML: {getattr(exc, 'problem', None) or exc}") from None
