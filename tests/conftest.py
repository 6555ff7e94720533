"""Shared fixtures: temporary content folders, real indexes built from them, and apps over those."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from service.indexing import BuildSummary, reindex
from tests.helpers import FIXTURES, REPO, indexed_app, shared_path

SEGMENT_COPIES = 12  # the sample posts this many times over: common terms fill more than one 128-posting block


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
    """Build a real index from a content folder with `reindex` and return an app serving it.

    make_app(content, index_dir=None, *, skip_reindex=False, now=None, **config): index_dir defaults to
    tmp_path/index-<folder name>; config overrides the defaults (PUBLIC_URL, SITE_URL, PREVIEW, tokens...);
    skip_reindex serves an index the test built itself.
    """

    def build(content: Path, index_dir: Path | None = None, **options: Any) -> Any:
        return indexed_app(content, index_dir or tmp_path / f"index-{content.name}", **options)

    return build


@pytest.fixture(scope="session")
def segment_documents() -> list[dict[str, Any]]:
    """Index documents of the sample posts and the token-shape fixtures, SEGMENT_COPIES times over."""
    from service.content.loader import load_content
    from service.search.whoosh.writer import post_documents

    posts = load_content(REPO / "content").posts + load_content(FIXTURES / "token-shapes").posts
    return [doc for _ in range(SEGMENT_COPIES) for post in posts for doc in post_documents(post)]


@pytest.fixture(scope="session")
def sample_app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The repository's own sample content, indexed once for the session."""
    return indexed_app(REPO / "content", tmp_path_factory.mktemp("sample-index"))


@dataclass(frozen=True)
class CorpusIndex:
    """A real site of ../shared, its index folder and what its one `reindex` reported."""

    folder: Path
    index_dir: Path
    summary: BuildSummary


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., CorpusIndex]:
    """Index a real site of ../shared (skipping without it) once a session, per preview setting.

    corpus_index("18f-blog") is ../shared/corpora/18f-blog; a name with a slash ("corpora-site/jekyll-docs") is a
    path under ../shared.
    """
    built: dict[tuple[str, bool], CorpusIndex] = {}

    def index(name: str, preview: bool = False) -> CorpusIndex:
        if (name, preview) not in built:
            folder = shared_path(*name.split("/")) if "/" in name else shared_path("corpora", name)
            index_dir = tmp_path_factory.mktemp(f"corpus-{name.replace('/', '-')}{'-preview' * preview}")
            built[name, preview] = CorpusIndex(folder, index_dir, reindex(folder, index_dir, preview=preview))
        return built[name, preview]

    return index


@pytest.fixture(scope="session")
def corpus_app(corpus_index: Callable[..., CorpusIndex]) -> Callable[..., Any]:
    """Return an app over a real site of ../shared, indexed once a session (see corpus_index).

    Config overrides (SITE_URL, PREVIEW...) give another app over the same index; each app is made once.
    """
    made: dict[tuple[str, tuple[tuple[str, Any], ...]], Any] = {}

    def app(name: str, **config: Any) -> Any:
        key = (name, tuple(sorted(config.items())))
        if key not in made:
            corpus = corpus_index(name, preview=bool(config.get("PREVIEW", False)))
            made[key] = indexed_app(corpus.folder, corpus.index_dir, skip_reindex=True, **config)
        return made[key]

    return app


@pytest.fixture
def client(sample_app: Any) -> Any:
    return sample_app.test_client()
