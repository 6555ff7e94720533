"""Turn the Liquid a Jekyll post may contain into plain Markdown before rendering."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_RAW = re.compile(r"\{%-?\s*raw\s*-?%\}(.*?)\{%-?\s*endraw\s*-?%\}", re.DOTALL)
_HIGHLIGHT = re.compile(r"\{%-?\s*highlight\s+(\w[\w+#.-]*)[^%]*-?%\}\n?(.*?)\{%-?\s*endhighlight\s*-?%\}", re.DOTALL)
_POST_URL = re.compile(r"\{%-?\s*post_url\s+(\S+?)\s*-?%\}")
_LINK = re.compile(r"\{%-?\s*link\s+(\S+?)\s*-?%\}")
_COMMENT = re.compile(r"\{%-?\s*comment\s*-?%\}.*?\{%-?\s*endcomment\s*-?%\}", re.DOTALL)
_TAG = re.compile(r"\{%-?\s*(\w+)[^%]*?-?%\}")
_OUTPUT = re.compile(r"\{\{-?\s*([\w.]+)\s*(\|[^}]*)?-?\}\}")
_PLACEHOLDER = "\x00raw{}\x00"


def render_liquid(
    body: str,
    site: dict[str, Any],
    resolve_post: Callable[[str], str | None],
    warn: Callable[[str], None],
) -> str:
    """Replace the Liquid Jekyll users write in posts; drop the rest with a warning."""
    raws: list[str] = []

    def keep_raw(match: re.Match[str]) -> str:
        raws.append(match.group(1))
        return _PLACEHOLDER.format(len(raws) - 1)

    text = _RAW.sub(keep_raw, body)
    text = _COMMENT.sub("", text)
    text = _HIGHLIGHT.sub(lambda m: f"```{m.group(1)}\n{m.group(2).rstrip()}\n```", text)

    def post_url(match: re.Match[str]) -> str:
        url = resolve_post(match.group(1))
        if url is None:
            warn(f"post_url names a post that does not exist: {match.group(1)}")
            return "#"
        return url

    text = _POST_URL.sub(post_url, text)
    text = _LINK.sub(lambda m: "/" + m.group(1).lstrip("/"), text)

    def drop_tag(match: re.Match[str]) -> str:
        warn(f"Liquid tag {{% {match.group(1)} %}} is not supported and was dropped")
        return ""

    text = _TAG.sub(drop_tag, text)
    text = _OUTPUT.sub(lambda m: _site_value(m.group(1), site), text)
    return re.sub(r"\x00raw(\d+)\x00", lambda m: raws[int(m.group(1))], text)


def _site_value(name: str, site: dict[str, Any]) -> str:
    parts = name.split(".")
    if parts[0] != "site":
        return ""
    value: Any = site
    for part in parts[1:]:
        value = value.get(part) if isinstance(value, dict) else None
    return "" if value is None or isinstance(value, (dict, list)) else str(value)
