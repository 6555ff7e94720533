"""The site settings `/api/site` serves: `_config.yml`'s top-level keys, never one whose name says it is a secret."""

from __future__ import annotations

import re
from typing import Any

# A key with one of these words in its name is never served, however it is spelt (api_key, GITHUB_TOKEN,
# smtpPassword); words, so that `keywords` or `monkey` stay.
SECRET_WORDS = frozenset({"token", "tokens", "secret", "secrets", "password", "passwords", "passwd", "key", "keys",
                          "apikey", "credential", "credentials"})
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
# Keys describing how Jekyll builds (not what the site is): left out of the settings a frontend reads.
_BUILD_KEYS = frozenset({"defaults", "exclude", "include", "keep_files", "plugins", "gems", "whitelist", "kramdown",
                         "sass", "source", "destination", "safe", "incremental", "profile", "liquid", "webrick"})


def is_secret(name: str) -> bool:
    """Say whether a setting's name says it holds a secret (token, secret, password, key, credential)."""
    words = {w.lower() for w in _WORD.findall(str(name))}
    return bool(words & SECRET_WORDS) or any(w.endswith(("token", "secret", "password")) for w in words)


def public_settings(config: dict[str, Any]) -> dict[str, Any]:
    """Every top-level setting except build machinery and secrets, secrets removed at every depth too."""
    return {str(k): scrub(v) for k, v in config.items() if not is_secret(k) and str(k) not in _BUILD_KEYS}


def scrub(value: Any) -> Any:
    """Drop secret-named keys from nested mappings as well."""
    if isinstance(value, dict):
        return {str(k): scrub(v) for k, v in value.items() if not is_secret(k)}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value
