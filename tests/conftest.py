"""Shared fixtures: temporary content folders, real indexes built from them, and apps over those."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from service import create_app
from service.indexing import reindex
from tests.helpers import REPO, shared_path


@pytest.fixture
def shared() -> Callable[..., Path]:
    return shared_path


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    path = tmp_path / "content"
    (path / "_posts").mkdir(parents=True)
    return path


@pytest.fixture
def make_app(tmp_path: Path) -> Callable[..., Any]:
    """Build a real index from a content folder and return an app serving it."""

    def build(content: Path, **config: Any) -> Any:
        index_dir = tmp_path / f"index-{content.name}"
        reindex(content, index_dir, preview=bool(config.get("PREVIEW", False)))
        return create_app({"TESTING": True, "CONTENT_DIR": str(content), "INDEX_DIR": str(index_dir),
                           "PUBLIC_URL": "http://api.test", "SITE_URL": "https://blog.test", **config})

    return build


@pytest.fixture(scope="session")
def sample_app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The repository's own sample content, indexed once for the session."""
    index_dir = tmp_path_factory.mktemp("sample-index")
    reindex(REPO / "content", index_dir)
    return create_app({"TESTING": True, "CONTENT_DIR": str(REPO / "content"), "INDEX_DIR": str(index_dir),
                       "PUBLIC_URL": "http://api.test", "SITE_URL": "https://blog.test"})


@pytest.fixture(scope="session")
def corpus_app(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Any]:
    """Return an app over a real blog of ../shared/corpora (skipping without it), each indexed once a session."""
    made: dict[str, Any] = {}

    def app(name: str) -> Any:
        if name not in made:
            corpus = shared_path("corpora", name)
            index_dir = tmp_path_factory.mktemp(f"corpus-{name}")
            reindex(corpus, index_dir)
            made[name] = create_app({"TESTING": True, "CONTENT_DIR": str(corpus), "INDEX_DIR": str(index_dir),
                                     "PUBLIC_URL": "http://api.test", "SITE_URL": "https://blog.test"})
        return made[name]

    return app


@pytest.fixture
def client(sample_app: Any) -> Any:
    return sample_app.test_client()
