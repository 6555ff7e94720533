"""Sample a process with py-spy and reduce its collapsed stacks to the few frames that cost the most."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

_FRAME = re.compile(r"^(?P<func>.+?) \((?P<file>[^:()]+)(?::\d+)?\)$")
# Frames of the server and the framework that are on every stack; they say nothing about where time goes.
_PLUMBING = ("gunicorn/", "werkzeug/serving", "click/", "flask/cli.py", "<module>")


def py_spy() -> str | None:
    """Return the py-spy executable beside this Python, or on PATH."""
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


def record_pid(pid: int, seconds: float, out: Path, rate: int = 200) -> subprocess.Popen[bytes] | None:
    """Start sampling pid and its children (gunicorn workers) for seconds; return the py-spy process."""
    exe = py_spy()
    if exe is None:
        return None
    out.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [
            exe,
            "record",
            "--pid",
            str(pid),
            "--subprocesses",
            "--duration",
            str(int(seconds)),
            "--rate",
            str(rate),
            "--format",
            "raw",
            "--output",
            str(out),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def record_command(command: list[str], out: Path, env: dict[str, str], cwd: str, rate: int = 200) -> int | None:
    """Run command under py-spy; return its exit status, or None when py-spy is missing."""
    exe = py_spy()
    if exe is None:
        return None
    out.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [exe, "record", "--rate", str(rate), "--format", "raw", "--output", str(out), "--subprocesses", "--", *command],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return done.returncode


def _short(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match["file"]
    for marker in ("site-packages/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    if "/service/" in path:  # the app's own modules, wherever the measured clone lives
        path = "service/" + path.rsplit("/service/", 1)[1]
    return f"{match['func']} ({path})"


def summarise(raw: Path, top: int = 30) -> dict[str, Any]:
    """Reduce a py-spy raw (collapsed) file: self time and inclusive time by frame, as shares of all samples."""
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = in_app = 0
    if not raw.is_file():
        return {"samples": 0, "in_app": 0.0, "self": [], "inclusive": []}
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        # On a loaded machine a worker that has just sent its answer often waits for a CPU inside gunicorn's
        # socket write; the share of samples inside the app itself tells how much of the rest is that.
        if "(service/" in stack or "/service/" in stack or "flask/app.py" in stack:
            in_app += count
        frames = [_short(f) for f in stack.split(";") if f and not f.startswith("process ")]
        frames = [f for f in frames if not any(p in f for p in _PLUMBING)]
        if not frames:
            continue
        self_time[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count

    def shares(counter: Counter[str]) -> list[dict[str, Any]]:
        return [{"frame": f, "share": round(n / total, 3)} for f, n in counter.most_common(top)] if total else []

    return {
        "samples": total,
        "in_app": round(in_app / total, 3) if total else 0.0,
        "self": shares(self_time),
        "inclusive": shares(inclusive),
    }
