"""The reindex and content check commands, run through Flask's CLI runner and as `python -m service`."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from service.search import current_build_dir
from tests.helpers import REPO, Receiver, indexed_app, write_post


def test_reindex_publishes_a_build_and_summarises(content_dir: Path, tmp_path: Path) -> None:
    write_post(content_dir, "2024-01-01-one.md", "title: One", "Body one.\n")
    write_post(content_dir, "2024-01-02-broken.md", "title: [oops", "Body.\n")
    index_dir = tmp_path / "index"
    result = indexed_app(content_dir, index_dir, skip_reindex=True).test_cli_runner().invoke(args=["reindex"])
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert "1 posts indexed" in last and "1 files skipped" in last
    assert "_posts/2024-01-02-broken.md:2: error: front matter is not valid YAML" in result.output
    build = current_build_dir(index_dir)
    assert build is not None and (build / "build.json").exists()
    assert os.path.islink(index_dir / "current")


def test_reindex_switches_atomically_to_a_new_build(content_dir: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    write_post(content_dir, "2024-01-01-one.md", "title: One", "Body one.\n")
    app = indexed_app(content_dir, index_dir, skip_reindex=True)
    runner = app.test_cli_runner()
    runner.invoke(args=["reindex"])
    client = app.test_client()
    first = client.get("/healthz").get_json()["build_id"]
    write_post(content_dir, "2024-01-02-two.md", "title: Two", "Body two.\n")
    runner.invoke(args=["reindex"])
    second = client.get("/healthz").get_json()
    assert second["build_id"] != first and second["posts"] == 2


def test_content_check_exits_non_zero_on_errors(content_dir: Path, tmp_path: Path) -> None:
    write_post(content_dir, "2024-01-01-one.md", "title: One", "Body one.\n")
    runner = indexed_app(content_dir, tmp_path / "index", skip_reindex=True).test_cli_runner()
    assert runner.invoke(args=["content", "check"]).exit_code == 0
    write_post(content_dir, "2024-01-02-bad.md", "title: Bad\ndate: 2024-13-45", "Body.\n")
    result = runner.invoke(args=["content", "check"])
    assert result.exit_code == 1
    assert "_posts/2024-01-02-bad.md:3: error:" in result.output
    assert "1 errors" in result.output.splitlines()[-1]


def _problem_lines(output: str) -> list[str]:
    return sorted(line for line in output.splitlines() if ": error: " in line or ": warning: " in line)


def test_content_check_and_reindex_print_the_same_problems(content_dir: Path, tmp_path: Path) -> None:
    (content_dir / "_config.yml").write_text("exclude: [old]\n", encoding="utf-8")
    write_post(content_dir, "2024-01-01-one.md", "title: One", "Body one.\n")
    write_post(content_dir, "2024-01-02-broken.md", "title: [oops", "Body.\n")
    write_post(content_dir, "2023-01-01-one.md", "title: Older one\nslug: one", "Same slug.\n")
    (content_dir / "_posts" / "2024-01-03-unclosed.md").write_text("---\ntitle: U\nNo end.\n", encoding="utf-8")
    write_post(content_dir, "2024-01-04-hidden-broken.md", "title: [oops", "Excluded.\n", folder="old/_posts")
    runner = indexed_app(content_dir, tmp_path / "index", skip_reindex=True).test_cli_runner()
    check, build = runner.invoke(args=["content", "check"]), runner.invoke(args=["reindex"])
    assert check.exit_code == 1 and build.exit_code == 0, build.output
    assert _problem_lines(check.output) == _problem_lines(build.output) == [
        "_posts/2023-01-01-one.md: warning: duplicate slug 'one': also used by _posts/2024-01-01-one.md; Jekyll "
        "publishes both (their URLs differ); /api/posts/one answers _posts/2024-01-01-one.md, this one is "
        "/api/posts/by-id?id=/2023/01/01/one",
        "_posts/2024-01-02-broken.md:2: error: front matter is not valid YAML: did not find expected ',' or ']' "
        "while parsing a flow sequence",
        "_posts/2024-01-03-unclosed.md:1: warning: front matter opened by `---` on line 1 is never closed (no "
        "second `---` line): Jekyll publishes the whole file, dashes and all, as the post's body; close it or "
        "remove the first line",
    ]
    assert "3 posts served" in check.output.splitlines()[-1] and "3 posts indexed" in build.output.splitlines()[-1]
def test_content_check_reports_broken_pages_documents_and_data(content_dir: Path, tmp_path: Path) -> None:
    write_post(content_dir, "2024-01-01-one.md", "title: One", "Body one.\n")
    (content_dir / "_config.yml").write_text("collections:\n  guides:\n    output: true\n", encoding="utf-8")
    (content_dir / "about.md").write_text("---\ntitle: About\n---\nFine.\n", encoding="utf-8")
    (content_dir / "broken.md").write_text("---\ntitle: [unclosed\n---\nBody.\n", encoding="utf-8")
    (content_dir / "_guides").mkdir()
    (content_dir / "_guides" / "bad-doc.md").write_text("---\ntitle: x\n  bad: indent\n---\n", encoding="utf-8")
    (content_dir / "_data").mkdir()
    (content_dir / "_data" / "menu.yml").write_text("- a\n- b: [\n", encoding="utf-8")
    (content_dir / "_data" / "ok.json").write_text('{"a": 1}', encoding="utf-8")
    runner = indexed_app(content_dir, tmp_path / "index", skip_reindex=True).test_cli_runner()
    result = runner.invoke(args=["content", "check"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(line.startswith("broken.md:2: error: front matter is not valid YAML") for line in lines)
    assert any(line.startswith("_guides/bad-doc.md:3: error:") for line in lines)
    assert any(line.startswith("_data/menu.yml:") and "not valid YAML" in line for line in lines)
    assert "1 pages, 0 documents, 1 data files, 3 errors" in lines[-1]


def _module(content_dir: Path, index_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "CONTENT_DIR": str(content_dir), "INDEX_DIR": str(index_dir), **env}
    return subprocess.run([sys.executable, *args], cwd=REPO, env=environ, capture_output=True, text=True,
                          timeout=120, check=False)


def test_python_m_service_reindexes_from_the_environment_without_the_web_app(content_dir: Path,
                                                                              tmp_path: Path) -> None:
    write_post(content_dir, "2024-01-01-one.md", "title: One", "Body one.\n")
    index_dir = tmp_path / "index"
    built = _module(content_dir, index_dir, "-m", "service", "reindex")
    assert built.returncode == 0, built.stderr
    assert built.stdout.strip().splitlines()[-1].startswith("built index ") and "1 posts indexed" in built.stdout
    assert current_build_dir(index_dir) is not None
    again = _module(content_dir, index_dir, "-X", "importtime", "-m", "service", "reindex")
    assert again.returncode == 0 and again.stdout.strip().startswith("reused index "), again.stdout
    imported = {line.split("|")[-1].strip() for line in again.stderr.splitlines() if line.startswith("import time:")}
    assert "click" in imported and "service.indexing" in imported  # the list is real
    assert not {"flask", "whoosh", "numpy", "marshmallow"} & imported  # nothing changed: no app, no engine
    # the settings are the app's: PREVIEW from the environment reaches the build (a new build, not a reuse)
    preview = _module(content_dir, index_dir, "-m", "service", "reindex", PREVIEW="1")
    assert preview.returncode == 0 and preview.stdout.strip().splitlines()[-1].startswith("built index ")


def test_python_m_service_content_check_exits_non_zero_on_errors(content_dir: Path, tmp_path: Path) -> None:
    write_post(content_dir, "2024-01-02-broken.md", "title: [oops", "Body.\n")
    done = _module(content_dir, tmp_path / "index", "-m", "service", "content", "check")
    assert done.returncode == 1
    assert "_posts/2024-01-02-broken.md:2: error: front matter is not valid YAML" in done.stdout


def test_python_m_service_leaves_at_once_but_lets_a_webhook_delivery_finish(content_dir: Path, tmp_path: Path) -> None:
    write_post(content_dir, "2024-01-01-one.md", "title: One", "Body one.\n")
    receiver = Receiver(hang=1.0)  # the delivery is still under way when the reindex itself is over
    thread = threading.Thread(target=receiver.serve_forever, daemon=True)
    thread.start()
    try:
        done = _module(content_dir, tmp_path / "index", "-m", "service", "reindex",
                       PUBLISH_WEBHOOK_URL=f"http://127.0.0.1:{receiver.server_port}/hook")
        assert done.returncode == 0 and "1 posts indexed" in done.stdout, done.stderr
        assert len(receiver.received) == 1  # delivered before the process ended
        assert current_build_dir(tmp_path / "index") is not None
        failed = _module(content_dir, tmp_path / "index", "-m", "service", "reindex", "--no-such-option")
        assert failed.returncode == 2 and "No such option" in failed.stderr
    finally:
        receiver.shutdown()
        receiver.server_close()
