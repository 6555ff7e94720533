"""The edit state a build keeps for the next one's patch: marshal for plain values, pickle for the rest."""

from __future__ import annotations

import dataclasses
import pickle
from datetime import date
from pathlib import Path

from service.edit_state import EditState, load_state, save_state
from service.layout import BuildLayout


def test_the_edit_state_is_kept_in_marshal_or_pickle_and_an_unknown_file_is_none(tmp_path: Path) -> None:
    plain = EditState(key="k", others="o", lines={"_posts/a.md": "a\x001\n"}, keys={"_posts/a.md": "key-a"},
                      ids={"a": "_posts/a.md"}, urls=[("/a/", "_posts/a.md")], links_digest="d",
                      authors={"_posts/a.md": [{"name": "Ann"}]}, usage={"/x.png": {"post_count": 2}}, shared={"a"})
    dated = dataclasses.replace(plain, authors={"_posts/a.md": [{"name": "Ann", "joined": date(2020, 1, 2)}]})
    for state, kind in ((plain, b"M"), (dated, b"P")):  # marshal has no form for a date: pickle takes it
        build = tmp_path / kind.decode()
        build.mkdir()
        save_state(build, state)
        assert BuildLayout(build).edits.read_bytes()[:1] == kind
        assert load_state(build) == state
    old = tmp_path / "old"
    old.mkdir()
    BuildLayout(old).edits.write_bytes(pickle.dumps(plain, protocol=5))  # a state written before the prefix
    assert load_state(old) is None
