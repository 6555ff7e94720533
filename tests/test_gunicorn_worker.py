"""Slow clients cannot take the web process down: real gunicorn with the repository's settings, raw sockets on loopback.

50 connections trickle a request head a byte a second (slowloris) for 20 s while a normal client polls the API;
the same attack against gunicorn's sync worker shows that the attack is real. Kept-alive connections are spread
over the workers (which worker holds a connection is read from /proc).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.client import HTTPConnection
from pathlib import Path

import pytest

from bench.server import children
from service.indexing import reindex
from tests.helpers import REPO, free_port, get, path_with, stop, wait_until_answers

pytestmark = pytest.mark.slow

ATTACKERS = 50
ATTACK_SECONDS = 20.0
BUDGET = 2.0  # seconds a normal request may take
POLLED = ("/api/posts", "/api/search?q=harbour", "/api/categories")


@dataclass
class Web:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("worker-index") / "index"
    reindex(REPO / "content", folder)
    return folder


def _start(index: Path, log: Path, *args: str, **env: str) -> Web:
    port = free_port()
    full = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1", "INDEX_DIR": str(index),
            "CONTENT_DIR": str(REPO / "content"), "WEB_CONCURRENCY": "2",
            "PATH": path_with(Path(sys.executable).parent), **env}
    full.pop("GUNICORN_CMD_ARGS", None)
    with log.open("wb") as out:
        process = subprocess.Popen(["gunicorn", "-c", "gunicorn.conf.py", *args, "service:create_app()"], cwd=REPO,
                                   env=full, stdout=out, stderr=subprocess.STDOUT)
    web = Web(process, port, log)
    wait_until_answers(f"{web.base}/readyz", process, 60, log)
    return web


@pytest.fixture
def web(index: Path, tmp_path: Path) -> Iterator[Web]:
    served = _start(index, tmp_path / "web.log")
    yield served
    stop(served.process)


@dataclass
class Attack:
    """Slowloris: each connection sends a request head one byte a second and reconnects when dropped."""

    port: int
    stop: threading.Event = field(default_factory=threading.Event)
    connections: int = 0
    open_now: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _one(self) -> None:
        while not self.stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
                    with self.lock:
                        self.connections += 1
                        self.open_now += 1
                    try:
                        for byte in b"GET /api/posts HTTP/1.1\r\nHost: slow\r\nX-Trickle: " + b"z" * 4000:
                            sock.send(bytes([byte]))
                            if self.stop.wait(1.0):
                                return
                    finally:
                        with self.lock:
                            self.open_now -= 1
            except OSError:  # dropped by the server (408) or refused: come back, as an attacker would
                self.stop.wait(0.05)

    def __enter__(self) -> Attack:
        self.threads = [threading.Thread(target=self._one, daemon=True) for _ in range(ATTACKERS)]
        for thread in self.threads:
            thread.start()
        deadline = time.monotonic() + 10
        while self.open_now < ATTACKERS and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=5)


def _poll(web: Web, attack: Attack, seconds: float) -> tuple[int, int, list[int]]:
    """Ask the API every 0.1 s for seconds; return (answered within budget, asked, attackers open at each ask)."""
    answered = asked = 0
    open_counts = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        open_counts.append(attack.open_now)
        started = time.monotonic()
        try:
            status = get(web.base + POLLED[asked % len(POLLED)], timeout=BUDGET).status
            answered += status == 200 and time.monotonic() - started <= BUDGET
        except OSError:
            pass
        asked += 1
        time.sleep(0.1)
    return answered, asked, open_counts


def test_fifty_slow_clients_do_not_stop_the_service_answering(web: Web) -> None:
    with Attack(web.port) as attack:
        answered, asked, open_counts = _poll(web, attack, ATTACK_SECONDS)
    open_counts.sort()
    print(f"\n{answered}/{asked} answered within {BUDGET} s; {attack.connections} slow connections made, "
          f"median open {open_counts[len(open_counts) // 2]}")
    assert open_counts[len(open_counts) // 2] >= ATTACKERS - 5, "the attack did not hold its connections open"
    assert asked >= 50
    assert answered / asked >= 0.95, f"only {answered}/{asked} requests answered within {BUDGET} s"
    assert get(web.base + "/readyz").status == 200


def test_the_same_attack_stops_gunicorns_sync_worker(index: Path, tmp_path: Path) -> None:
    """The control: without reading heads in an event loop, two workers are two slow clients away from silence."""
    served = _start(index, tmp_path / "sync.log", "--worker-class", "sync", "--threads", "1")
    try:
        with Attack(served.port) as attack:
            answered, asked, _ = _poll(served, attack, 6)
    finally:
        stop(served.process)
    assert answered / asked < 0.5, f"sync answered {answered}/{asked}: the attack is not doing what it claims"
    assert "Using worker: sync" in served.log.read_text()  # gunicorn runs gthread for "sync" with threads > 1


def _exchange(port: int, data: bytes, pause: float = 0.0) -> bytes:
    """Send data (a byte at a time with pause, when given) and read until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        if pause:
            for byte in data:
                sock.send(bytes([byte]))
                time.sleep(pause)
        else:
            sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_requests_still_work_as_http_says(index: Path, tmp_path: Path) -> None:
    served = _start(index, tmp_path / "web.log", REQUEST_HEAD_TIMEOUT="2")
    port = served.port
    try:
        close = b"Connection: close\r\n\r\n"
        # Several requests on one kept-alive connection, then two pipelined in one packet.
        kept = _exchange(port, b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n" * 2 + b"GET /healthz HTTP/1.1\r\n" + close)
        assert kept.count(b"HTTP/1.1 200 OK") == 3
        # A head that arrives in many small pieces, within the limit, is served.
        assert _exchange(port, b"GET /api/posts?per_page=1 HTTP/1.1\r\nHost: t\r\n" + close,
                         pause=0.01).startswith(b"HTTP/1.1 200 OK")
        # One that never completes is answered 408 after REQUEST_HEAD_TIMEOUT and closed.
        started = time.monotonic()
        assert _exchange(port, b"GET /api/posts HTTP/1.1\r\nHost: t\r\n").startswith(b"HTTP/1.1 408")
        assert 1.5 <= time.monotonic() - started <= 6
        # gunicorn's own limits still refuse what is too big, before the app sees it.
        assert _exchange(port, b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: t\r\n" + close).startswith(
            b"HTTP/1.1 414")
        assert _exchange(port, b"GET / HTTP/1.1\r\nX-Big: " + b"b" * 9000 + b"\r\n" + close).startswith(
            b"HTTP/1.1 431")
        assert _exchange(port, b"HEAD /api/posts HTTP/1.1\r\nHost: t\r\n" + close).startswith(b"HTTP/1.1 200 OK")
        # A client that leaves mid-head costs nothing: the service goes on answering.
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.send(b"GET /api/po")
        assert get(served.base + "/api/posts").status == 200
    finally:
        stop(served.process)
    assert "Traceback" not in served.log.read_text()


def _holder(server_port: int, client_port: int, workers: list[int]) -> int | None:
    """The worker whose open files hold the server end of the loopback connection from client_port."""
    wanted = (f"0100007F:{server_port:04X}", f"0100007F:{client_port:04X}")
    inode = next((row.split()[9] for row in Path("/proc/net/tcp").read_text().splitlines()[1:]
                  if tuple(row.split()[1:3]) == wanted), None)
    for pid in workers:
        with contextlib.suppress(OSError):
            if any(os.readlink(fd) == f"socket:[{inode}]" for fd in Path(f"/proc/{pid}/fd").iterdir()):
                return pid
    return None


@pytest.mark.skipif(not Path("/proc/net/tcp").is_file(), reason="reads which worker holds a connection from /proc")
def test_kept_alive_connections_are_spread_over_the_workers(index: Path, tmp_path: Path) -> None:
    # Without the stagger, whichever worker polls first takes each connection: often one takes them all and its
    # clients share one core. With it, the worker holding fewer connections takes the next one.
    served = _start(index, tmp_path / "web.log")
    clients: list[HTTPConnection] = []
    try:
        deadline = time.monotonic() + 30
        while len(workers := children(served.process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(workers) == 2
        time.sleep(1.0)  # both workers in their event loop
        for _ in range(6):  # one after another, each answered and left open, as a keep-alive client does
            client = HTTPConnection("127.0.0.1", served.port, timeout=10)
            client.request("GET", "/healthz")
            response = client.getresponse()
            response.read()
            assert response.status == 200 and not response.will_close
            clients.append(client)
        holders = Counter(_holder(served.port, c.sock.getsockname()[1], workers) for c in clients)
        assert sorted(holders.values()) == [3, 3] and None not in holders, holders
    finally:
        for client in clients:
            client.close()
        stop(served.process)


def _anon_mb(pid: int) -> float:
    """A process's private resident memory (RssAnon), MB."""
    line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("RssAnon:"))
    return int(line.split()[1]) / 1024


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="reads a worker's memory from /proc")
def test_an_idle_worker_hands_freed_memory_back(tmp_path: Path) -> None:
    grown: dict[str, float] = {}
    for every in ("1", "0"):  # trimming on, then off: the control shows the freed memory would otherwise stay
        port = free_port()
        env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1", "WEB_CONCURRENCY": "1",
               "MALLOC_TRIM_SECONDS": every, "PATH": path_with(Path(sys.executable).parent)}
        env.pop("GUNICORN_CMD_ARGS", None)
        log = tmp_path / f"trim-{every}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(["gunicorn", "-c", "gunicorn.conf.py", "tests.helpers:fragmenting_app"],
                                       cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_until_answers(f"http://127.0.0.1:{port}/", process, 60, log)
            (worker,) = children(process.pid)
            before = _anon_mb(worker)
            assert get(f"http://127.0.0.1:{port}/fragment").status == 200
            time.sleep(3.0)  # idle: the worker's loop wakes at least once a second
            grown[every] = _anon_mb(worker) - before
        finally:
            stop(process)
    assert grown["1"] < 20 < 40 < grown["0"], grown  # 64 MB freed in the middle of the heap, 2 MB kept
