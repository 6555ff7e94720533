"""gunicorn's threaded worker, except that its event loop reads each request head: a slow client never holds a thread.

gunicorn's gthread worker hands a connection to a thread as soon as its first byte arrives, and the thread then
blocks until the whole request head is in: 50 clients trickling a byte a second hold 50 threads. Here the worker's
own poller gathers the head without blocking; only a complete head (or one too big to be valid, which the parser
then refuses) is handed to the thread pool, and a head still incomplete after REQUEST_HEAD_TIMEOUT seconds is
answered 408 and closed. Everything else (parser, limits, keep-alive, access log, threads and so one opened index
per thread) is gunicorn's gthread.

It also balances connections across workers. Every worker polls the one listening socket, and whichever returns
from its poll first takes a new connection: often the one that just took the last, so two kept-alive clients
could end up on one worker, sharing one core through the GIL while another worker sat idle (at 10,000 posts two
search clients on one worker waited 9-11 ms a search, against 3.4 ms on two). So a worker holding connections
waits ACCEPT_STAGGER_MS per connection (up to STAGGER_CAP of them) before it takes a new one, and a worker with
fewer takes it first: least-connections balancing without state shared between processes.

And a worker with no request in flight hands the memory its requests freed back to the system (glibc's
malloc_trim, at most once per MALLOC_TRIM_SECONDS): freed small objects otherwise stay resident in the malloc
arenas, about 15 MB a worker after a search load at 10,000 posts; a trim takes 1-2 ms.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import selectors
import time
from collections import deque
from collections.abc import Callable
from functools import partial
from typing import Any

from gunicorn import http
from gunicorn.http2 import negotiation
from gunicorn.workers.gthread import ThreadWorker

HEAD_TIMEOUT = 10.0  # seconds a client may take to send one request head (nginx's client_header_timeout is 60)
READ_SIZE = 65536
ACCEPT_STAGGER_MS = 1.0  # a worker's wait per connection it holds before it takes a new one (0: never waits)
STAGGER_CAP = 5  # connections counted: at the default a new connection waits 5 ms at most
MALLOC_TRIM_SECONDS = 1.0  # at most one trim this often (0: never)
TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None elsewhere (musl, macOS): there a worker keeps what its allocator keeps."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None  # a CDLL call releases the GIL while it runs
    except (OSError, AttributeError):
        return None


def _head_ends(buffer: bytearray, start: int) -> bool:
    """Say whether the head in buffer is complete, looking only at bytes from start on (and the three before)."""
    at = max(0, start - 3)
    return buffer.find(b"\r\n\r\n", at) >= 0 or buffer.find(b"\n\n", at) >= 0


class HeadFirstThreadWorker(ThreadWorker):
    """gthread, with request heads read by the event loop instead of by a pool thread."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.head_timeout = float(os.environ.get("REQUEST_HEAD_TIMEOUT", HEAD_TIMEOUT))
        # The longest head the parser could accept; past it the parser refuses the request, so a thread may read on.
        self.head_limit = (self.cfg.limit_request_line + 2
                           + self.cfg.limit_request_fields * (self.cfg.limit_request_field_size + 2) + 2)
        self.reading: deque[Any] = deque()  # connections whose head is being read, oldest first
        # One worker has no one to leave a connection to; otherwise seconds waited per connection held.
        stagger = float(os.environ.get("ACCEPT_STAGGER_MS", ACCEPT_STAGGER_MS)) / 1000
        self.stagger = stagger if self.cfg.workers > 1 else 0.0
        self.accept_after: float | None = None  # while waiting: when this worker may take the connection
        self.accept_ready = False  # the wait is over: the next accept takes the connection, if still there
        self.in_flight = 0  # requests handed to the thread pool and not finished
        self.trim_every = float(os.environ.get("MALLOC_TRIM_SECONDS", MALLOC_TRIM_SECONDS))
        self.trim = _malloc_trim() if self.trim_every > 0 else None
        self.trimmed_at = time.monotonic()
        self.served = 0  # requests finished since the last trim

    def accept(self, listener: Any) -> None:
        """Take a new connection, after leaving it a moment to a worker that holds fewer."""
        if self.accept_ready or self.stagger <= 0 or self.nr_conns == 0:
            self.accept_ready = False
            super().accept(listener)  # another worker may have taken it meanwhile: gthread ignores EAGAIN
            return
        self.accept_after = time.monotonic() + self.stagger * min(self.nr_conns, STAGGER_CAP)
        self.set_accept_enabled(False)  # the listening sockets leave the poller until then

    def set_accept_enabled(self, enabled: bool) -> None:
        """gthread's switch, except that listening waits out a stagger (the run loop asks again each turn)."""
        if enabled and self.accept_after is not None:
            if time.monotonic() < self.accept_after:
                return
            self.accept_after, self.accept_ready = None, True
        super().set_accept_enabled(enabled)

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        """Poll as gthread does, waking when a stagger ends; a connection gone by the next poll ends the turn."""
        ready = self.accept_ready
        if self.accept_after is not None:
            timeout = max(0.0, min(timeout, self.accept_after - time.monotonic()))
        super().wait_for_and_dispatch_events(timeout)
        if ready:  # the poll after a stagger found no connection left (another worker took it): the next waits again
            self.accept_ready = False
        self._trim_when_idle()  # the loop wakes at least once a second: an idle worker trims within two

    def finish_request(self, conn: Any, fs: Any) -> None:
        """gthread's ending of a request, then a trim if no other request is in flight."""
        self.in_flight -= 1
        self.served += 1
        super().finish_request(conn, fs)
        self._trim_when_idle()

    def _trim_when_idle(self) -> None:
        """Return freed heap pages to the system when no request runs and one has since the last trim."""
        if self.trim is None or self.in_flight or not self.served:
            return
        now = time.monotonic()
        if now - self.trimmed_at >= self.trim_every:
            self.trim(0)
            self.trimmed_at, self.served = now, 0

    def _submit(self, conn: Any) -> None:
        self.in_flight += 1
        super().enqueue_req(conn)

    def _reads_heads(self, conn: Any) -> bool:
        """Plain HTTP/1 only: TLS handshakes, HTTP/2 prefaces and uwsgi keep gthread's own path."""
        return not (self.cfg.is_ssl or getattr(self.cfg, "protocol", "http") != "http"
                    or negotiation.prior_knowledge_allowed(self.cfg, conn.client))

    def enqueue_req(self, conn: Any) -> None:
        """Start gathering the connection's next request head in the event loop (a pool thread gets it when whole)."""
        if not self._reads_heads(conn):
            self._submit(conn)
            return
        if conn.parser is None:  # a new connection: what TConn.init does for plain HTTP/1, without blocking
            conn.parser = http.get_parser(self.cfg, conn.sock, conn.client)
            conn.initialized = True
        conn.head = bytearray(conn.parser.unreader.take_buffered())  # bytes a previous request read ahead
        conn.head_deadline = time.monotonic() + self.head_timeout
        conn.waiting = False
        conn.sock.setblocking(False)
        if _head_ends(conn.head, 0):
            self._dispatch(conn)
        elif not self._read(conn):  # a prompt client's head is usually there already; else wait for it
            conn.waiting = True
            self.reading.append(conn)
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_head_readable, conn))

    def _on_head_readable(self, conn: Any, _sock: Any) -> None:
        self._read(conn)

    def _read(self, conn: Any) -> bool:
        """Read what the socket holds; dispatch a whole head or drop a closed connection. True once either happened."""
        try:
            data = conn.sock.recv(READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            data = b""
        if not data:  # the client went away (before or during a head)
            self._drop(conn)
            return True
        start = len(conn.head)
        conn.head += data
        if _head_ends(conn.head, start) or len(conn.head) > self.head_limit:
            self._dispatch(conn)
            return True
        return False

    def _dispatch(self, conn: Any) -> None:
        """Give the gathered head back to the parser and the connection to a pool thread."""
        self._forget(conn)
        conn.parser.unreader.unread(bytes(conn.head))
        conn.head = bytearray()
        conn.data_ready = True
        self._submit(conn)

    def _forget(self, conn: Any) -> None:
        if not conn.waiting:
            return
        conn.waiting = False
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(conn.sock)
        with contextlib.suppress(ValueError):
            self.reading.remove(conn)

    def _drop(self, conn: Any, answer: bytes = b"") -> None:
        self._forget(conn)
        if answer:
            with contextlib.suppress(OSError):
                conn.sock.send(answer)
        self.nr_conns -= 1
        conn.close()

    def murder_pending(self) -> None:
        """Close heads that took too long (408), then whatever gthread itself expires."""
        now = time.monotonic()
        while self.reading and self.reading[0].head_deadline <= now:
            self._drop(self.reading[0], TIMED_OUT)
        super().murder_pending()

