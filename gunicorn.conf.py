"""gunicorn settings for the Procfile's web process; every value can be set from the environment."""

import os
import re

PORT = os.environ.get("PORT", "8000")
# gunicorn's own rule: a platform that sets PORT routes to it from outside, so listen on every interface then;
# without PORT (make run, a laptop) only loopback. HOST, when set, always wins.
HOST = os.environ.get("HOST") or ("0.0.0.0" if "PORT" in os.environ else "127.0.0.1")
bind = f"[{HOST}]:{PORT}" if ":" in HOST and not HOST.startswith("[") else f"{HOST}:{PORT}"  # IPv6 in brackets
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# gthread whose event loop reads each request head (service/gunicorn_worker.py): clients that trickle a request a
# byte at a time wait in the loop, not in a thread. Each thread opens its own searcher on first use.
worker_class = "service.gunicorn_worker.HeadFirstThreadWorker"
threads = int(os.environ.get("WEB_THREADS", "4"))
# The app is imported once in the master and forked, so a worker is ready at once and shares the imported code.
# The index is never opened there: each worker thread opens it lazily on its first request, after the fork,
# because a Whoosh searcher must not cross processes.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") != "0"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 10
keepalive = 5
accesslog = os.environ.get("ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
# Refuse absurd requests before a worker parses them: the longest sane API URL is far below these.
limit_request_line = int(os.environ.get("LIMIT_REQUEST_LINE", "8190"))
limit_request_fields = 50
limit_request_field_size = 8190


def _limit_malloc_arenas() -> int | None:
    """Cap glibc's malloc arenas (MALLOC_ARENA_MAX, default 2) in the master, so forked workers inherit it.

    glibc gives each thread of a process an arena of its own, up to 8 per core: a worker's threads then fragment
    that many heaps, and its resident memory grows far past what it holds (at 10,000 posts a worker held about
    130 MB of objects and arrays, and had 243 MB resident). Returns the cap applied, None off glibc.
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt if name else None
    except (OSError, AttributeError):
        mallopt = None
    if mallopt is None:
        return None
    arenas = int(os.environ.get("MALLOC_ARENA_MAX", "2"))
    return arenas if mallopt(-8, arenas) == 1 else None  # -8: M_ARENA_MAX in glibc's malloc.h; 1: accepted


malloc_arenas = _limit_malloc_arenas()


def _control_socket() -> str | None:
    """One control socket per address: gunicorn 27's default path is shared by every gunicorn of the user."""
    chosen = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
    if chosen.lower() == "off":
        return None
    if chosen:
        return chosen
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    folder = runtime if runtime and os.path.isdir(runtime) else os.path.join(os.path.expanduser("~"), ".gunicorn")
    return os.path.join(folder, f"broadsheet-{re.sub(r'[^0-9A-Za-z.]+', '_', HOST)}-{PORT}.ctl")


control_socket = _control_socket() or "gunicorn.ctl"
control_socket_disable = _control_socket() is None


def on_starting(server):
    """Before binding: build the index when INDEX_DIR has none usable for this content (BOOT_REINDEX)."""
    if not str(getattr(server.app, "app_uri", "")).startswith("service:"):
        return  # another app under these settings (the benchmarks' ceiling app) has no index
    from service import create_app
    from service.boot import ensure_index

    app = server.app.callable or create_app()  # the preloaded app, or one made only for its settings
    try:
        ensure_index(app.config, server.log.info)
    except ValueError as exc:  # a setting gunicorn cannot start with: one line, not a trace
        server.log.error("%s", exc)
        raise SystemExit(1) from None
