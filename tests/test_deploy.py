"""Deploys as operators run them: a Heroku-style build, release and web processes; a shared volume; the container.

The platform simulation follows what a buildpack platform does on one machine: the build installs the requirements
into the platform's Python and runs bin/post_compile in a copy of a clean clone; the release command runs in a
throwaway copy that is then deleted; each web process starts from its own fresh copy of the build, with only PORT
(besides PATH and HOME) in its environment, after the build folder itself is gone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import dockerfile
import pytest
from gunicorn.ctl.client import ControlClient

from service.content.loader import load_content
from tests.helpers import (
    REPO,
    free_port,
    get,
    listens_on_all_interfaces,
    path_with,
    procfile_command,
    stop,
    wait_until_answers,
    write_post,
)

BOOT_BUDGET = 60.0  # seconds from a web process' start to serving the sample content


def _clean_tree(destination: Path) -> None:
    """Copy what a clean clone of this checkout holds: tracked files and new ones git does not ignore."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, check=False)
    if listed.returncode != 0:
        pytest.skip("not a git checkout: the deploy simulation copies what a clean clone would hold")
    for name in sorted(set(listed.stdout.decode().split("\0")) - {""}):
        source = REPO / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the work tree, not yet committed
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)


def _sample_slugs() -> list[str]:
    return [post.slug for post in load_content(REPO / "content").posts]


@pytest.mark.slow
def test_heroku_style_build_release_and_two_web_processes_serve_on_first_boot(tmp_path: Path) -> None:
    runtime, build, home = tmp_path / "python", tmp_path / "build", tmp_path / "home"
    home.mkdir()
    _clean_tree(build)
    # The build: the platform's Python gets the requirements, then the buildpack runs bin/post_compile.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(runtime)], check=True, timeout=120)
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(runtime / "bin" / "python"), "install",
                              "--disable-pip-version-check", "-q", "-r", "requirements.txt"], cwd=build,
                             capture_output=True, text=True, timeout=900)
    assert install.returncode == 0, install.stderr[-3000:]
    platform = {"PATH": path_with(runtime / "bin"), "HOME": str(home)}
    compiled = subprocess.run([str(build / "bin" / "post_compile")], cwd=build, env=platform, capture_output=True,
                              text=True, timeout=600)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    assert (build / "index" / "current").is_symlink()
    baked = os.readlink(build / "index" / "current")

    # The release phase, in a one-off copy whose files are thrown away afterwards.
    release_dir = tmp_path / "release"
    shutil.copytree(build, release_dir, symlinks=True)
    release = subprocess.run(procfile_command(release_dir, "release"), cwd=release_dir, env=platform,
                             capture_output=True, text=True, timeout=300)
    assert release.returncode == 0, release.stdout + release.stderr
    shutil.rmtree(release_dir)

    # Two web processes, each from its own copy of the build; the build folder is gone before they start.
    copies = [tmp_path / f"web-{n}" for n in (1, 2)]
    for copy in copies:
        shutil.copytree(build, copy, symlinks=True)
    shutil.rmtree(build)
    ports = [free_port(), free_port()]
    webs: list[tuple[subprocess.Popen[bytes], Path]] = []
    started = time.monotonic()
    try:
        for copy, port in zip(copies, ports, strict=True):
            log = copy.parent / f"{copy.name}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(procfile_command(copy, "web"), cwd=copy,
                                           env={**platform, "PORT": str(port)}, stdout=out, stderr=subprocess.STDOUT)
            webs.append((process, log))
        builds = []
        for (process, log), port in zip(webs, ports, strict=True):
            left = BOOT_BUDGET - (time.monotonic() - started)
            wait_until_answers(f"http://127.0.0.1:{port}/api/posts", process, left, log)
            answer = get(f"http://127.0.0.1:{port}/api/posts?per_page=100")
            assert [item["slug"] for item in answer.body["items"]] == _sample_slugs()
            builds.append(answer.headers["X-Content-Build"])
            assert listens_on_all_interfaces(port), f"port {port} listens on loopback only: a router cannot reach it"
            with ControlClient(str(home / ".gunicorn" / f"broadsheet-0.0.0.0-{port}.ctl"), timeout=10) as control:
                assert control.send_command("show", ["stats"])["pid"] == process.pid  # its own control socket
        booted = time.monotonic() - started
    finally:
        for process, _ in webs:
            stop(process)
    print(f"\nboth web processes served the sample content {booted:.1f} s after they were started")
    assert builds[0] == builds[1] == Path(baked).name
    for _, log in webs:
        said = log.read_text()
        assert f"boot: serving build {builds[0]}" in said and "before serving" not in said, said  # the baked index


def _start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(["gunicorn", "-c", "gunicorn.conf.py", "service:create_app()"], cwd=REPO,
                                env={**env, "PORT": str(port)}, stdout=out, stderr=subprocess.STDOUT)


@pytest.mark.slow
def test_two_replicas_over_one_shared_index_dir_build_once_and_switch_together(tmp_path: Path) -> None:
    content, index = tmp_path / "content", tmp_path / "volume" / "index"
    shutil.copytree(REPO / "content", content)
    token = "shared-volume-test-token"
    env = {**os.environ, "HOST": "127.0.0.1", "CONTENT_DIR": str(content), "INDEX_DIR": str(index),
           "REINDEX_TOKEN": token, "WEB_CONCURRENCY": "2", "PATH": path_with(Path(sys.executable).parent)}
    env.pop("GUNICORN_CMD_ARGS", None)
    ports, logs = [free_port(), free_port()], [tmp_path / "a.log", tmp_path / "b.log"]
    replicas = [_start(env, port, log) for port, log in zip(ports, logs, strict=True)]  # both boot over no index
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    answers: list[tuple[float, str]] = []
    polling = threading.Event()

    def poll_b() -> None:
        while not polling.is_set():
            started = time.time()
            found = get(bases[1] + "/api/posts", timeout=5)
            answers.append((started, found.headers.get("X-Content-Build", "")))
            time.sleep(0.01)

    try:
        for process, base, log in zip(replicas, bases, logs, strict=True):
            wait_until_answers(base + "/readyz", process, BOOT_BUDGET, log)
        first = [get(base + "/api/posts").headers["X-Content-Build"] for base in bases]
        assert first[0] == first[1]
        said = [log.read_text() for log in logs]
        assert sum(text.count("boot: built index") for text in said) == 1, said  # one built, the other reused it
        poller = threading.Thread(target=poll_b, daemon=True)
        poller.start()
        write_post(content, "2025-08-01-shared-volume.md", "title: Shared volume", "Published through one replica.\n")
        auth = {"Authorization": f"Bearer {token}"}
        job = get(bases[0] + "/api/reindex", headers=auth, method="POST")
        assert job.status == 202, job.body
        deadline = time.monotonic() + 120
        while (status := get(bases[1] + f"/api/reindex/{job.body['id']}", headers=auth).body)["status"] == "running":
            assert time.monotonic() < deadline, "the reindex did not finish"
            time.sleep(0.1)
        assert status["status"] == "succeeded", status
        new = status["summary"]["build_id"]
        time.sleep(1.5)
        polling.set()
        poller.join(timeout=10)
        switched = (index / "builds" / new).stat().st_mtime  # publish() stamps the build as it switches to it
        assert get(bases[0] + "/api/posts").headers["X-Content-Build"] == new
    finally:
        polling.set()
        for process in replicas:
            stop(process)
    late = [(at, build) for at, build in answers if at >= switched + 1.0 and build != new]
    assert not late, f"replica B still served the old build more than 1 s after the switch: {late[:3]}"
    assert any(build == new for _, build in answers), "replica B never served the new build"
    assert any(build == first[0] for _, build in answers), "the poller started after the switch: nothing measured"


def _instructions() -> list[Any]:
    return list(dockerfile.parse_file(str(REPO / "Dockerfile")))


def test_the_dockerfile_builds_the_index_into_the_image_and_runs_the_procfile_web_command() -> None:
    steps = _instructions()
    kinds = [step.cmd for step in steps]
    assert kinds.count("FROM") == 1 and steps[0].cmd == "FROM" and steps[0].value == ("python:3.11-slim",)
    runs = [" ".join(step.value) for step in steps if step.cmd == "RUN"]
    install = next(n for n, step in enumerate(steps) if step.cmd == "RUN" and "pip install -r requirements.txt"
                   in " ".join(step.value))
    user = next(n for n, step in enumerate(steps) if step.cmd == "USER")
    assert steps[user].value[0] not in ("root", "0"), "the service must not run as root"
    build = next(n for n, step in enumerate(steps) if step.cmd == "RUN" and "flask --app service reindex"
                 in " ".join(step.value))
    assert install < user < build, "install as root, then build the index as the service's user (so it owns it)"
    assert not any(step.cmd == "USER" for step in steps[build:]), runs
    health = next(step for step in steps if step.cmd == "HEALTHCHECK")
    assert health.value[0] == "CMD" and "/readyz" in health.value[1] and "PORT" in health.value[1]
    entry = next(step for step in steps if step.cmd == "ENTRYPOINT")
    command = next(step for step in steps if step.cmd == "CMD")
    assert entry.json and command.json, "exec form, so gunicorn is PID 1 and gets the platform's SIGTERM"
    assert [*entry.value, *command.value] == procfile_command(REPO, "web")
    env = {}
    for step in (step for step in steps if step.cmd == "ENV"):  # the parser gives name, value, name, value...
        env.update(zip(step.value[::2], step.value[1::2], strict=True))
    exposed = next(step for step in steps if step.cmd == "EXPOSE").value[0]
    assert env["PORT"] == exposed, "PORT is set, so gunicorn.conf.py listens on 0.0.0.0:$PORT"


def test_dockerignore_keeps_the_virtualenv_the_index_and_the_tests_out() -> None:
    patterns = {line.strip().rstrip("/") for line in (REPO / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")}
    assert {".venv", "index", "tests"} <= patterns
    assert not any(p.startswith("!") for p in patterns)


def test_the_release_command_stops_a_deploy_with_a_broken_post(tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_post(content, "2025-01-01-fine.md", "title: Fine", "All good.\n")
    write_post(content, "2025-01-02-broken.md", "title: [unclosed", "The front matter is not YAML.\n")
    env = {**os.environ, "CONTENT_DIR": str(content), "PATH": path_with(Path(sys.executable).parent)}
    done = subprocess.run(procfile_command(REPO, "release"), cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr  # a failing release stops the deploy
    assert "_posts/2025-01-02-broken.md:" in done.stdout and " 1 errors" in done.stdout
    env["CONTENT_DIR"] = str(REPO / "content")
    assert subprocess.run(procfile_command(REPO, "release"), cwd=REPO, env=env, capture_output=True,
                          timeout=120).returncode == 0


def test_the_buildpack_and_the_image_use_the_same_python() -> None:
    version = (REPO / ".python-version").read_text().strip()
    assert version == "3.11"
    assert _instructions()[0].value == (f"python:{version}-slim",)


def _deploy_section() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    return readme[readme.index("\n## Deploy\n"):readme.index("\n## ", readme.index("\n## Deploy\n") + 5)]


def test_the_readme_deploy_section_shows_what_the_deploy_runs() -> None:
    section = _deploy_section()
    for shape in ("### Heroku-style buildpack", "### Container", "### A VM with systemd and a reverse proxy",
                  "### Several replicas"):
        assert shape in section
    assert "bin/post_compile" in section and "pip install -r requirements.txt" in section
    assert " ".join(procfile_command(REPO, "release")) in section
    assert "flask --app service reindex" in (REPO / "bin" / "post_compile").read_text()
    unit = section[section.index("[Service]"):section.index("[Install]")]
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    assert exec_start.split()[1:] == [part if ":" not in part else f'"{part}"'
                                      for part in procfile_command(REPO, "web")[1:]]
    assert "HOST=127.0.0.1" in unit, "behind a reverse proxy on the same machine, loopback only"
    assert "docker build -t broadsheet ." in section


def _container_runtime() -> str | None:
    for tool in ("docker", "podman"):
        exe = shutil.which(tool)
        if exe and subprocess.run([exe, "info"], capture_output=True, timeout=30, check=False).returncode == 0:
            return exe
    return None


@pytest.mark.slow
def test_the_image_builds_and_serves_when_a_container_runtime_is_usable() -> None:
    runtime = _container_runtime()
    if runtime is None:
        pytest.skip("no usable docker or podman on this machine (a client without an engine cannot build images)")
    tag = f"broadsheet-test:{os.getpid()}"
    port = free_port()
    built = subprocess.run([runtime, "build", "-q", "-t", tag, "."], cwd=REPO, capture_output=True, text=True,
                           timeout=1800)
    assert built.returncode == 0, built.stderr[-3000:]
    name = f"broadsheet-test-{os.getpid()}"
    try:
        uid = subprocess.run([runtime, "run", "--rm", "--entrypoint", "id", tag, "-u"], capture_output=True,
                             text=True, timeout=120)
        assert uid.stdout.strip() not in ("", "0"), uid
        listing = subprocess.run([runtime, "run", "--rm", "--entrypoint", "ls", tag, "-a", "/app"],
                                 capture_output=True, text=True, timeout=120).stdout.split()
        assert "index" in listing and not {".venv", "tests", ".git"} & set(listing), listing
        subprocess.run([runtime, "run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:8000", tag], check=True,
                       capture_output=True, timeout=120)
        deadline = time.monotonic() + BOOT_BUDGET
        while True:
            try:
                if get(f"http://127.0.0.1:{port}/readyz", timeout=2).status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the container did not become ready"
            time.sleep(0.5)
        posts = get(f"http://127.0.0.1:{port}/api/posts?per_page=100").body
        assert [item["slug"] for item in posts["items"]] == _sample_slugs()
    finally:
        subprocess.run([runtime, "rm", "-f", name], capture_output=True, timeout=120, check=False)
        subprocess.run([runtime, "rmi", "-f", tag], capture_output=True, timeout=120, check=False)
