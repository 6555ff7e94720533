"""gunicorn settings for the Procfile's web process; every value can be set from the environment."""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
# The app is imported once in the master and forked, so a worker is ready at once and shares the imported code.
# The index is never opened there: each worker opens it lazily on its first request, after the fork, because a
# Whoosh searcher must not cross processes.
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
