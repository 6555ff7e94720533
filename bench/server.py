"""Start real gunicorn on a free loopback port with the repository's gunicorn.conf.py, and watch its workers."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
# Prepended to every measured command (gunicorn, wrk, reindex); `--nice -5` gives them priority on a shared machine.
PRIORITY: list[str] = []


def set_priority(niceness: int) -> None:
    """Run every measured command with this niceness (negative needs root)."""
    PRIORITY[:] = ["nice", "-n", str(niceness)] if niceness else []


def _die_with_parent() -> None:
    """Ask Linux to stop this child when the benchmark process dies, even by SIGKILL: no orphaned servers."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def free_port() -> int:
    """Return a loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def fetch(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    """GET url; return its status and body, errors included."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def memory_mb(pid: int) -> dict[str, float] | None:
    """Return a process' resident memory in MB: all of it (rss), its private heap (anon), file pages (file),
    and its proportional share counting shared pages once (pss)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    except OSError:
        return None
    wanted = {"VmRSS": "rss", "RssAnon": "anon", "RssFile": "file", "Pss": "pss"}
    found = {}
    for line in status + rollup:
        name, _, rest = line.partition(":")
        if name in wanted and rest.split():
            found[wanted[name]] = round(int(rest.split()[0]) / 1024, 1)
    return found


def children(pid: int) -> list[int]:
    """Return the direct children of pid (gunicorn's workers), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


@dataclass
class Gunicorn:
    """One gunicorn master serving app (an import string) with the repository's settings."""

    app: str
    env: dict[str, str] = field(default_factory=dict)
    workers: int = 2
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    log: Path | None = None
    cwd: Path = REPO  # the folder holding the app package and gunicorn.conf.py

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, log: Path) -> None:
        """Launch gunicorn exactly as the Procfile does, on this object's port."""
        env = {
            **os.environ,
            **self.env,
            "HOST": HOST,
            "PORT": str(self.port),
            "WEB_CONCURRENCY": str(self.workers),
            "LOG_LEVEL": "warning",
            "PUBLIC_URL": self.base,
        }
        env.pop("ACCESS_LOG", None)  # an access log line per request would be measured too
        self.log = log
        log.parent.mkdir(parents=True, exist_ok=True)
        self.started_at = time.perf_counter()
        self.process = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "-c", "gunicorn.conf.py", self.app],
            cwd=self.cwd,
            env=env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )

    def wait_ready(self, path: str, timeout: float = 60.0) -> float:
        """Poll path until it answers 200; return seconds since start (the start-up time)."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log}")
            try:
                status, _ = fetch(self.base + path, timeout=2)
                if status == 200:
                    return time.perf_counter() - self.started_at
            except OSError:
                pass
            time.sleep(0.005)
        raise TimeoutError(f"{self.base}{path} did not answer 200 within {timeout}s; see {self.log}")

    def wait_workers(self, timeout: float = 30.0) -> list[int]:
        """Wait until every worker has been forked; return their pids."""
        deadline = time.perf_counter() + timeout
        pids: list[int] = []
        while time.perf_counter() < deadline and self.process is not None:
            pids = children(self.process.pid)
            if len(pids) >= self.workers:
                break
            time.sleep(0.05)
        return pids

    def worker_memory(self) -> list[dict[str, float]]:
        """Return the memory figures of each worker, in MB."""
        if self.process is None:
            return []
        return [m for m in (memory_mb(p) for p in children(self.process.pid)) if m is not None]

    def worker_rss_mb(self) -> list[float]:
        """Return the resident memory (VmRSS) of each worker, in MB."""
        return [m["rss"] for m in self.worker_memory() if "rss" in m]

    def stop(self) -> None:
        """Stop gunicorn gracefully, then for good if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def __enter__(self) -> Gunicorn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
