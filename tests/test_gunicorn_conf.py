"""What gunicorn itself makes of gunicorn.conf.py (its own loader, as at start): address, worker, control socket."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from gunicorn.app.base import Application

from tests.helpers import REPO

UNSET = ("PORT", "HOST", "GUNICORN_CONTROL_SOCKET", "XDG_RUNTIME_DIR", "GUNICORN_CMD_ARGS", "WEB_THREADS")


class _Loader(Application):
    """gunicorn's application class, only to load a config file the way `gunicorn -c` does."""

    def init(self, parser: Any, opts: Any, args: Any) -> None:
        return None

    def load(self) -> None:
        return None


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    def load(**env: str) -> dict[str, str]:
        """Return gunicorn's effective settings for the repository's config under this environment."""
        for name in UNSET:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HOME", str(tmp_path))
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        loader = _Loader.__new__(_Loader)
        loader.usage, loader.prog, loader.callable = None, None, None
        loader.load_default_config()
        loader.load_config_from_file(str(REPO / "gunicorn.conf.py"))
        return {name: str(setting.get()) for name, setting in loader.cfg.settings.items()}

    return load


@pytest.mark.parametrize(("env", "bind"), [
    ({}, "['127.0.0.1:8000']"),  # a laptop, make run
    ({"PORT": "5000"}, "['0.0.0.0:5000']"),  # a platform's router: gunicorn's own PORT rule
    ({"PORT": "5000", "HOST": "127.0.0.1"}, "['127.0.0.1:5000']"),  # behind a local reverse proxy
    ({"HOST": "::"}, "['[::]:8000']"),
])
def test_the_address_follows_port_and_host(settings: Any, env: dict[str, str], bind: str) -> None:
    assert settings(**env)["bind"] == bind


def test_the_worker_reads_request_heads_in_its_event_loop(settings: Any) -> None:
    found = settings(WEB_THREADS="6")
    assert found["worker_class"] == "service.gunicorn_worker.HeadFirstThreadWorker"
    assert found["threads"] == "6"
    assert found["preload_app"] == "True"


def test_two_web_processes_on_one_machine_get_their_own_control_socket(settings: Any, tmp_path: Path) -> None:
    first, second = settings(PORT="5001"), settings(PORT="5002")
    assert first["control_socket"] == str(tmp_path / ".gunicorn" / "broadsheet-0.0.0.0-5001.ctl")
    assert second["control_socket"] == str(tmp_path / ".gunicorn" / "broadsheet-0.0.0.0-5002.ctl")
    runtime = tmp_path / "run"
    runtime.mkdir()
    assert settings(XDG_RUNTIME_DIR=str(runtime))["control_socket"] == str(
        runtime / "broadsheet-127.0.0.1-8000.ctl")
    assert settings(GUNICORN_CONTROL_SOCKET="/tmp/x.ctl")["control_socket"] == "/tmp/x.ctl"
    assert settings(GUNICORN_CONTROL_SOCKET="off")["control_socket_disable"] == "True"
    assert first["control_socket_disable"] == "False"


def test_make_run_stays_on_loopback_even_when_port_is_set() -> None:
    # Under CI this runs inside another make, which would add "Entering/Leaving directory" lines.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    done = subprocess.run(["make", "--no-print-directory", "-n", "run"], cwd=REPO, capture_output=True,
                          text=True, timeout=60, env={**env, "PORT": "5000"})
    serve = done.stdout.strip().splitlines()[-1]
    assert serve.startswith('HOST="${HOST:-127.0.0.1}" sh -c'), serve


def test_the_master_caps_malloc_arenas_before_forking_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    import runpy

    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert runpy.run_path(str(REPO / "gunicorn.conf.py"))["malloc_arenas"] == 2  # glibc here: accepted
    monkeypatch.setenv("MALLOC_ARENA_MAX", "3")
    assert runpy.run_path(str(REPO / "gunicorn.conf.py"))["malloc_arenas"] == 3
