"""Read dates the way Ruby's `Time.parse` does, because Jekyll reads every post date with it.

Jekyll turns a front matter date into text and hands it to `Time.parse(text).localtime`. Ruby's parser is
lenient: it picks a time, a zone and a date out of the text with a fixed sequence of patterns and ignores
whatever is left (`2017-10-23 (optional)` is 23 October 2017). It knows only a few zone abbreviations (UTC,
GMT, Z, the US zones and the military letters); any other zone word or malformed offset leaves the time in
the site's zone. Missing leading parts (no year) come from the current time. Text with no date or time at
all is an error. This module follows those rules for the forms people write in front matter.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
_DAYS = r"\b(sun|mon|tue|wed|thu|fri|sat)[^-/\d\s]*"

# Ruby's Time::ZoneOffset: the only abbreviations Time.parse turns into an offset (hours from UTC).
ZONE_HOURS: dict[str, int] = {
    "UTC": 0, "Z": 0, "UT": 0, "GMT": 0,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
    **{chr(c): c - ord("A") + 1 for c in range(ord("A"), ord("I"))},  # A..H = +1..+8
    **{chr(c): c - ord("A") for c in range(ord("K"), ord("N"))},  # K..M = +10..+12 (J is unused)
    **{chr(c): -(c - ord("N") + 1) for c in range(ord("N"), ord("Z"))},  # N..Y = -1..-12
}  # fmt: skip
ZONE_HOURS["I"] = 9

_TIME = re.compile(
    r"""(
          (?:\d+\s*:\s*\d+(?:\s*:\s*\d+(?:[,.]\d*)?)?|\d+\s*h(?:\s*\d+m?(?:\s*\d+s?)?)?)
          (?:\s*[ap](?:m\b|\.m\.))?
        | \d+\s*[ap](?:m\b|\.m\.)
        )
        (?:\s*(
            (?:gmt|utc?)?[-+]\d+(?:[,.:]\d+(?::\d+)?)?
          | [a-z.\s]+(?:standard|daylight)\stime\b
          | [a-z]+(?:\sdst)?\b
        ))?""",
    re.IGNORECASE | re.VERBOSE,
)
_TIME_PARTS = re.compile(
    r"\A(\d+)\s*(?:(?::\s*(\d+)(?:\s*:\s*(\d+)(?:[,.](\d*))?)?)|h(?:\s*(\d+)m?(?:\s*(\d+)s?)?)?)?"
    r"(?:\s*([ap])(?:m\b|\.m\.))?",
    re.IGNORECASE,
)
_EU = re.compile(r"'?\b(\d+)[^-\d\s']*\s*" + _MONTH + r"[^-\d\s']*(?:\s*('?-?\d+)(?:st|nd|rd|th)?\b)?", re.I)
_US = re.compile(r"\b" + _MONTH + r"[^-\d\s']*\s*('?\d+)[^-\d\s']*(?:\s*,?\s*('?-?\d+))?", re.I)
_ISO = re.compile(r"('?[-+]?\d+)-(\d+)-('?-?\d+)")
_SLASH = re.compile(r"('?-?\d+)/\s*('?\d+)(?:\D\s*('?-?\d+))?")
_DOT = re.compile(r"('?-?\d+)\.\s*('?\d+)\.\s*('?-?\d+)")
_YEAR = re.compile(r"'(\d+)\b")
_MON = re.compile(r"\b" + _MONTH + r"\S*", re.I)
_MDAY = re.compile(r"(\d+)(st|nd|rd|th)\b", re.I)
_DIGITS = re.compile(r"(?<!\d)([-+]?)(\d{2,14})(?:\s*t?\s*(\d{2,6}))?(?!\d)", re.I)


class RubyDateError(ValueError):
    """Text in which Ruby's Time.parse finds no date or time, or an impossible one."""


def ruby_time_parse(text: str, local: tzinfo, now: datetime | None = None) -> datetime:
    """Parse text as Ruby's Time.parse(text).localtime would, in the site timezone `local`."""
    s = re.sub(r"[^-+',./:@\w\[\]]+", " ", text).replace("_", " ")
    parts: dict[str, object] = {}
    s = _take(s, re.compile(_DAYS, re.I), lambda m: None)
    s = _take(s, _TIME, lambda m: _time(m, parts))
    chain = (
        (_EU, lambda m: _s3e(parts, m.group(3), str(_MONTHS.index(m.group(2)[:3].lower()) + 1), m.group(1))),
        (_US, lambda m: _s3e(parts, m.group(3), str(_MONTHS.index(m.group(1)[:3].lower()) + 1), m.group(2))),
        (_ISO, lambda m: _s3e(parts, m.group(1), m.group(2), m.group(3))),
        (_SLASH, lambda m: _s3e(parts, m.group(1), m.group(2), m.group(3))),
        (_DOT, lambda m: _s3e(parts, m.group(1), m.group(2), m.group(3))),
        (_YEAR, lambda m: parts.update(year=int(m.group(1)), _comp=True)),
        (_MON, lambda m: parts.update(mon=_MONTHS.index(m.group(1)[:3].lower()) + 1)),
        (_MDAY, lambda m: parts.update(mday=int(m.group(1)))),
        (_DIGITS, lambda m: _digits(m, parts)),
    )
    for pattern, handler in chain:  # like Ruby, the first date pattern that matches wins
        if (match := pattern.search(s)) is not None:
            handler(match)
            break
    if parts.pop("_comp", False) and isinstance(parts.get("year"), int) and 0 <= parts["year"] <= 99:
        parts["year"] = int(parts["year"]) + (1900 if int(parts["year"]) >= 69 else 2000)
    return _make_time(text, parts, local, now)


def _take(s: str, pattern: re.Pattern[str], handler: object) -> str:
    match = pattern.search(s)
    if not match:
        return s
    handler(match)  # type: ignore[operator]
    return s[: match.start()] + " " * (match.end() - match.start()) + s[match.end() :]


def _time(match: re.Match[str], parts: dict[str, object]) -> None:
    found = _TIME_PARTS.match(match.group(1))
    if not found:
        return
    hour_text, minute, second, fraction, h_minute, h_second, meridian = found.groups()
    hour = int(hour_text)
    if meridian:
        hour = hour % 12 + (12 if meridian.lower() == "p" else 0)
    parts["hour"] = hour
    if minute or h_minute:
        parts["min"] = int(minute or h_minute)
    if second or h_second:
        parts["sec"] = int(second or h_second)
    if fraction:
        parts["usec"] = int((fraction + "000000")[:6])
    if match.group(2):
        parts["zone"] = match.group(2).strip()


def _s3e(parts: dict[str, object], y: str | None, m: str | None, d: str | None) -> None:
    """Order three date fields as Ruby's s3e does: a long or quoted field is the year."""
    if y is not None and m is not None and d is None:
        y, m, d = d, y, m
    if y is None and d is not None and (len(d) > 2 or d.startswith("'")):
        y, d = d, None
    if y is not None:
        digits = re.match(r"\D*([-+]?\d+)(.*)", y)
        if digits and digits.group(2):
            y, d = d, digits.group(1)
    if m is not None and (m.startswith("'") or len(m) > 2):
        y, m, d = m, d, y
    if d is not None and (d.startswith("'") or len(d) > 2):
        y, d = d, y
    if y is not None:
        quoted = y.startswith("'")
        number = re.search(r"[-+]?\d+", y)
        if number:
            parts["year"] = int(number.group(0))
            digits = number.group(0).lstrip("+-")
            parts["_comp"] = not quoted and len(digits) <= 2
    if m is not None and (number := re.search(r"\d+", m)):
        parts["mon"] = int(number.group(0))
    if d is not None and (number := re.search(r"\d+", d)):
        parts["mday"] = int(number.group(0))


def _digits(match: re.Match[str], parts: dict[str, object]) -> None:
    run, clock = match.group(2), match.group(3)
    n = len(run)
    if n == 2:
        parts["mday"] = int(run)
    elif n == 4 and not clock:
        parts.update(mon=int(run[:2]), mday=int(run[2:]))
    elif n == 6:
        parts.update(year=int(run[:2]), mon=int(run[2:4]), mday=int(run[4:]), _comp=True)
    elif n in (8, 10, 12, 14):
        parts.update(year=int(run[:4]), mon=int(run[4:6]), mday=int(run[6:8]))
        for key, start in (("hour", 8), ("min", 10), ("sec", 12)):
            if n > start:
                parts[key] = int(run[start : start + 2])
    if clock and len(clock) >= 2:
        for key, start in (("hour", 0), ("min", 2), ("sec", 4)):
            if len(clock) > start:
                parts[key] = int(clock[start : start + 2])


def zone_offset(zone: str) -> timezone | None:
    """Return the offset Ruby's Time.zone_offset gives a zone text, or None (then local time applies)."""
    zone = zone.upper()
    if m := re.fullmatch(r"([+-])(\d\d)(:?)(\d\d)(?:\3(\d\d))?", zone):
        seconds = (int(m.group(2)) * 60 + int(m.group(4))) * 60 + int(m.group(5) or 0)
        return timezone(timedelta(seconds=-seconds if m.group(1) == "-" else seconds))
    if re.fullmatch(r"[+-]\d\d", zone):
        return timezone(timedelta(hours=int(zone)))
    if zone in ZONE_HOURS:
        return UTC if ZONE_HOURS[zone] == 0 else timezone(timedelta(hours=ZONE_HOURS[zone]))
    return None


def _make_time(text: str, parts: dict[str, object], local: tzinfo, now: datetime | None) -> datetime:
    keys = ("year", "mon", "mday", "hour", "min", "sec", "usec")
    if not any(k in parts for k in keys):
        raise RubyDateError("no date or time in it")
    offset = zone_offset(str(parts["zone"])) if "zone" in parts else None
    zone: tzinfo = offset or local
    current = (now or datetime.now(UTC)).astimezone(zone)
    fill = {"year": current.year, "mon": current.month, "mday": current.day, "hour": current.hour,
            "min": current.minute, "sec": current.second}
    values: dict[str, int] = {}
    for key in keys[:-1]:  # Ruby fills leading parts from now, up to the first part the text gives
        if key in parts:
            break
        values[key] = fill[key]
    merged = {"year": 1970, "mon": 1, "mday": 1, "hour": 0, "min": 0, "sec": 0, "usec": 0, **values}
    merged.update({k: int(v) for k, v in parts.items() if k in keys})  # type: ignore[call-overload]
    try:
        if not 1 <= merged["mon"] <= 12 or not 1 <= merged["mday"] <= 31:
            raise ValueError("month must be 1..12 and day 1..31")
        # Ruby's Time rolls 30 February over into March rather than refusing it.
        day = date(merged["year"], merged["mon"], 1) + timedelta(days=merged["mday"] - 1)
        if merged["hour"] == 24 and merged["min"] == 0 and merged["sec"] == 0:
            day, merged["hour"] = day + timedelta(days=1), 0
        naive = datetime(day.year, day.month, day.day, merged["hour"], merged["min"], min(merged["sec"], 59),
                         merged["usec"])
    except (ValueError, OverflowError) as exc:
        raise RubyDateError(f"impossible date or time ({exc})") from None
    # Through UTC, so a wall time that DST skips moves forward as Ruby's does.
    return naive.replace(tzinfo=zone).astimezone(UTC).astimezone(local)
