"""gunicorn's threaded worker, except that its event loop reads each request head: a slow client never holds a thread.

gunicorn's gthread worker hands a connection to a thread as soon as its first byte arrives, and the thread then
blocks until the whole request head is in: 50 clients trickling a byte a second hold 50 threads. Here the worker's
own poller gathers the head without blocking; only a complete head (or one too big to be valid, which the parser
then refuses) is handed to the thread pool, and a head still incomplete after REQUEST_HEAD_TIMEOUT seconds is
answered 408 and closed. Everything else (parser, limits, keep-alive, access log, threads and so one opened index
per thread) is gunicorn's gthread.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import time
from collections import deque
from functools import partial
from typing import Any

from gunicorn import http
from gunicorn.http2 import negotiation
from gunicorn.workers.gthread import ThreadWorker

HEAD_TIMEOUT = 10.0  # seconds a client may take to send one request head (nginx's client_header_timeout is 60)
READ_SIZE = 65536
TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"


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

    def _reads_heads(self, conn: Any) -> bool:
        """Plain HTTP/1 only: TLS handshakes, HTTP/2 prefaces and uwsgi keep gthread's own path."""
        return not (self.cfg.is_ssl or getattr(self.cfg, "protocol", "http") != "http"
                    or negotiation.prior_knowledge_allowed(self.cfg, conn.client))

    def enqueue_req(self, conn: Any) -> None:
        """Start gathering the connection's next request head in the event loop (a pool thread gets it when whole)."""
        if not self._reads_heads(conn):
            super().enqueue_req(conn)
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
        super().enqueue_req(conn)

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

