"""The `kramdown:` settings of `_config.yml` that change what a body renders to, with Jekyll's defaults."""

from __future__ import annotations

from dataclasses import dataclass
from html.entities import name2codepoint
from typing import Any

# Jekyll's own default: "lsquo,rsquo,ldquo,rdquo" (single open, single close, double open, double close).
DEFAULT_QUOTES = ("\u2018", "\u2019", "\u201c", "\u201d")


@dataclass(frozen=True)
class MarkdownOptions:
    """How kramdown is configured for a site; the defaults are what Jekyll 4 passes to kramdown."""

    input: str = "GFM"  # "GFM" (Jekyll's default) or "kramdown"
    auto_ids: bool = True
    auto_id_prefix: str = ""
    parse_block_html: bool = False
    smart_quotes: tuple[str, str, str, str] = DEFAULT_QUOTES
    hard_wrap: bool = False

    @property
    def gfm(self) -> bool:
        return self.input.lower() != "kramdown"


def markdown_options(config: Any) -> tuple[MarkdownOptions, list[str]]:
    """Read a `kramdown:` mapping; return the options and a message per value that could not be used."""
    if not isinstance(config, dict):
        return MarkdownOptions(), [] if config is None else ["`kramdown` must be a mapping of options; ignored"]
    problems: list[str] = []
    values: dict[str, Any] = {}
    if "input" in config:
        name = str(config["input"])
        if name.lower() in ("gfm", "kramdown"):
            values["input"] = name
        else:
            problems.append(f"kramdown input {name!r} is not supported (GFM or kramdown); using GFM")
    for key in ("auto_ids", "parse_block_html", "hard_wrap"):
        if key in config:
            values[key] = config[key] is not None and config[key] is not False and config[key] != "false"
    if config.get("auto_id_prefix") is not None:
        values["auto_id_prefix"] = str(config["auto_id_prefix"])
    if "smart_quotes" in config:
        quotes = _smart_quotes(config["smart_quotes"])
        if quotes is None:
            problems.append(f"kramdown smart_quotes {config['smart_quotes']!r} must name four entities or "
                            "characters; using the default")
        else:
            values["smart_quotes"] = quotes
    return MarkdownOptions(**values), problems


def _smart_quotes(value: Any) -> tuple[str, str, str, str] | None:
    # kramdown takes HTML entity names or code points: "lsquo,rsquo,ldquo,rdquo", "apos,apos,quot,quot", "171,...".
    parts = value if isinstance(value, list) else str(value).split(",")
    chars = []
    for part in (str(p).strip() for p in parts):
        if part.isdigit() and int(part) < 0x110000:
            chars.append(chr(int(part)))
        elif part in name2codepoint or part == "apos":
            chars.append("'" if part == "apos" else chr(name2codepoint[part]))
        else:
            return None
    return (chars[0], chars[1], chars[2], chars[3]) if len(chars) == 4 else None


def options_of(env: Any) -> MarkdownOptions:
    """The options a render was started with (they travel in markdown-it's env)."""
    found = env.get("kramdown") if isinstance(env, dict) else None
    return found if isinstance(found, MarkdownOptions) else MarkdownOptions()
