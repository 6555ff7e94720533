"""Bitsets hold exactly their documents, iterate in order, and convert from id arrays."""

from __future__ import annotations

import numpy as np

from service.search.whoosh.bits import Bits, bits_from_ids, bits_of, ids_of


def test_bits_hold_exactly_their_documents() -> None:
    docnums = {0, 7, 8, 63, 64, 1000}
    bits = Bits.of(docnums)
    assert list(bits) == sorted(docnums) and len(bits) == len(docnums)
    assert all(n in bits for n in docnums) and not any(n in bits for n in (1, 9, 65, 999, 1001, 50_000))
    assert bits_of([]) == 0 and list(Bits(0)) == []


def test_bits_from_an_id_array_equal_bits_from_its_numbers() -> None:
    ids = np.array([0, 3, 64, 65, 4095], dtype=np.int32)
    assert bits_from_ids(ids) == bits_of(ids.tolist())
    assert bits_from_ids(np.empty(0, dtype=np.int32)) == 0


def test_a_bitset_gives_back_its_id_array_ascending() -> None:
    ids = np.array([1, 2, 9, 511, 512, 70_001], dtype=np.int32)
    assert ids_of(bits_from_ids(ids)).tolist() == ids.tolist()
    assert ids_of(bits_from_ids(ids)).dtype == np.int32
    assert ids_of(0).tolist() == []
