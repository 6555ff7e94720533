"""kramdown's tables: any run of lines with a pipe, separated from the text around it by blank lines.

Unlike GFM's, the separator line need not match the header's column count, a table may have no header at all,
`|===|` starts a footer, every row is padded to the widest one, and a header with no body is not a table.
"""

from __future__ import annotations

import re

from markdown_it.rules_block import StateBlock

_SEPARATOR = re.compile(r"^([+|: \t-]*?-[+|: \t-]*?)[ \t]*$")
_FOOTER = re.compile(r"^[+|: \t=]*?=[+|: \t=]*?[ \t]*$")
_ALIGN = re.compile(r"[ \t]?(:?)-+(:?)[ \t]?")
_CODE = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)")


def _masked(line: str) -> str:
    """The line with code spans blanked out, so their pipes do not split cells."""
    return _CODE.sub(lambda m: "\x00" * len(m.group(0)), line)


def _has_pipe(line: str) -> bool:
    if "|" not in line:
        return False
    masked = _masked(line)
    return masked.startswith("|") or re.search(r"[^\\]\|", masked) is not None


def _cells(line: str) -> list[str]:
    masked = _masked(line)
    cells, start = [], 0
    for match in re.finditer(r"(?<!\\)\|", masked):
        cells.append(line[start : match.start()])
        start = match.end()
    cells.append(line[start:])
    if line.lstrip().startswith("|") and cells and not cells[0].strip():
        cells.pop(0)
    if cells and not cells[-1].strip():
        cells.pop()
    return [cell.strip().replace("\\|", "|") for cell in cells]


def _alignment(separator: str) -> list[str]:
    found = []
    for left, right in _ALIGN.findall(separator):
        found.append("" if not left and not right else "left" if not right else "right" if not left else "center")
    return found


def table(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """A kramdown table starting at `start`; it must end before a blank line or the end of its container."""
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    lines: list[str] = []
    line = start
    while line < end and state.sCount[line] >= state.blkIndent and not state.isEmpty(line):
        text = state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]
        if text.startswith("{:") and lines:  # an attribute list for the table ends it
            break
        if not _has_pipe(text):
            return False  # a line that is not a table row right after the table: kramdown reads a paragraph
        lines.append(text)
        line += 1
    if not lines:
        return False
    sections: list[tuple[str, list[list[str]]]] = []
    rows: list[list[str]] = []
    align: list[str] | None = None
    footer = False
    for text in lines:
        if _SEPARATOR.match(text):
            if not rows:
                continue
            if align is None and not footer:
                sections.append(("thead", rows))
                align = _alignment(text)
            elif not footer:
                sections.append(("tbody", rows))
            rows = []
        elif _FOOTER.match(text):
            if rows:
                sections.append(("tbody", rows))
            rows, footer = [], True
        else:
            rows.append(_cells(text))
    if rows:
        sections.append(("tfoot" if footer else "tbody", rows))
    if not any(kind == "tbody" for kind, _ in sections):
        return False
    if silent:
        return True
    columns = max(len(row) for _, group in sections for row in group)
    align = ((align or []) + [""] * columns)[:columns]
    opened = state.push("table_open", "table", 1)
    opened.map = [start, line]
    for kind, group in sections:
        state.push(f"{kind}_open", kind, 1)
        cell = "th" if kind == "thead" else "td"
        for row in group:
            state.push("tr_open", "tr", 1)
            for index in range(columns):
                token = state.push(f"{cell}_open", cell, 1)
                if align[index]:
                    token.attrs = {"style": f"text-align: {align[index]}"}
                inline = state.push("inline", "", 0)
                inline.content = row[index] if index < len(row) else ""
                inline.map, inline.children = [start, line], []
                state.push(f"{cell}_close", cell, -1)
            state.push("tr_close", "tr", -1)
        state.push(f"{kind}_close", kind, -1)
    state.push("table_close", "table", -1)
    state.line = line
    return True
