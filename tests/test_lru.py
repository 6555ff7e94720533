"""The size-bounded LRU cache the search keeps per-build term data in."""

from __future__ import annotations

import pytest

from service.search.lru import SizedLRU


def test_the_least_recently_used_goes_first_when_the_sizes_overflow() -> None:
    cache: SizedLRU[str, bytes] = SizedLRU(10, len)
    cache["a"], cache["b"] = b"aaaa", b"bbbb"
    assert cache.get("a") == b"aaaa"  # a is now the most recent: b goes when c overflows
    cache["c"] = b"cccc"
    assert "b" not in cache
    assert cache.get("a") == b"aaaa" and cache.get("c") == b"cccc"
    assert cache.size == 8 and len(cache) == 2


def test_a_value_larger_than_the_cache_is_refused_and_nothing_is_lost() -> None:
    cache: SizedLRU[str, bytes] = SizedLRU(4, len)
    cache["a"] = b"aa"
    with pytest.raises(ValueError):
        cache["big"] = b"x" * 5
    assert "big" not in cache and cache.get("a") == b"aa" and cache.size == 2


def test_replacing_and_popping_keep_the_size_right() -> None:
    cache: SizedLRU[str, bytes] = SizedLRU(100, len)
    cache["a"] = b"x" * 10
    cache["a"] = b"x" * 3
    assert cache.size == 3 and len(cache) == 1
    assert cache.pop("a") == b"xxx" and cache.size == 0
    assert cache.pop("a", "gone") == "gone"
    assert cache.get("missing", 7) == 7


def test_without_sizeof_each_value_counts_one() -> None:
    cache: SizedLRU[int, str] = SizedLRU(2)
    for n in range(5):
        cache[n] = str(n)
    assert len(cache) == 2 and cache.get(3) == "3" and cache.get(4) == "4" and cache.get(0) is None
