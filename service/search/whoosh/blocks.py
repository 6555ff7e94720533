"""Whoosh 3 posting lists written a term at a time: the bytes W3PostingsWriter writes posting by posting."""

from __future__ import annotations

import struct
import zlib
from array import array
from operator import sub
from pickle import dumps
from typing import Any

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo
from whoosh.formats import Positions
from whoosh.system import pack_int, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte

from service.search.whoosh import postarrays

_PACK_UINT = struct.Struct("!I").pack
COMPRESS_FROM = 128  # a block pickled shorter than this is stored as is: zlib's set-up (~50 us) buys a few bytes
# A block's pickle is a few KB (up to ~10): a 16 KB window and a smaller hash table compress it as well as zlib's
# defaults (32 KB, 256 KB of state to set up per call), 2-7x faster below 2 KB; any zlib reader inflates it.
_WINDOW_BITS, _MEMORY_LEVEL = 14, 5
# A block's data tuple holds its postings' values as bytes, which pickle protocol 2 (Whoosh's) writes as calls to
# codecs.encode: protocol 3 writes them as bytes, ~40% shorter and 5-10x faster to dump and to load.
DATA_PROTOCOL = 3


ONE_POSITION: dict[int, bytes] = {}


def encode_positions(positions: list[int]) -> bytes:
    """Encode a posting's positions exactly as whoosh.formats.Positions.encode does (one position: remembered)."""
    if len(positions) == 1:
        found = ONE_POSITION.get(positions[0])
        if found is None:
            found = ONE_POSITION[positions[0]] = _PACK_UINT(1) + dumps(positions, 2)
        return found
    deltas, base = [], 0
    for pos in positions:
        deltas.append(pos - base)
        base = pos
    return _PACK_UINT(len(deltas)) + dumps(deltas, 2)


def _positions_values(values: list[Any], counts: array, places: array) -> list[bytes]:
    """Encode a block's postings' positions (an int for one position, else a list), noting each raw."""
    one, encoded = ONE_POSITION, []
    for value in values:
        if type(value) is int:
            counts.append(1)
            places.append(value)
            encoded.append(one.get(value) or encode_positions([value]))
        else:
            counts.append(len(value))
            places.extend(value)
            encoded.append(encode_positions(value))
    return encoded


def _encode(self: Any, poslist: list[int]) -> bytes:
    return encode_positions(poslist)


def install() -> None:
    """Make Whoosh's own writer encode positions as encode_positions does, where its release encodes otherwise.

    whoosh-ng 5.x writes varints and decodes a value ending in b"." as the pickle older releases wrote: a varint
    ending in byte 46 (a last gap of 46 positions) fails to decode, and a search walking it (a phrase, the
    word-order bonus) raises. It reads the pickles correctly, so with every value a pickle none is misread.
    """
    sample = [0, 5, 46]
    if Positions.encode is not _encode and Positions().encode(sample) != encode_positions(sample):
        Positions.encode = _encode  # type: ignore[method-assign]


def write_term(fieldwriter: Any, tbytes: bytes, postings: list[Any], lengths: Any, codec: Any, start: int,
               positions: bool = False) -> int:
    """Write one term's postings (at offset start of the postings file) and its term info as W3FieldWriter and
    W3PostingsWriter write them, block by block, in one write; return the offset after them.

    The differences, all read by Whoosh's reader as its own: a block's data is pickled with DATA_PROTOCOL, a
    block whose pickle is shorter than COMPRESS_FROM bytes is stored uncompressed (its block info says so), where
    Whoosh compresses every block, and the others are compressed with a small zlib window; and the term's ids and
    weights follow its last block as raw arrays (postarrays.py), inside the extent its term info records. With
    `positions`, each posting's value is its positions (one int, or a list of them) rather than their encoding:
    they are encoded here, and written raw too, before the ids.
    """
    postfile = fieldwriter._postfile
    fixed = fieldwriter._format.fixed_value_size()
    limit = codec._blocklimit
    info = W3TermInfo()
    out = [WHOOSH3_HEADER_MAGIC]
    count = len(postings) // 3
    all_ids, all_weights = array("I"), array("f")
    counts, places = array("I"), array("I")
    for at in range(0, count, limit):
        ids = array("I", postings[3 * at:3 * (at + limit):3])
        raw = postings[3 * at + 1:3 * (at + limit):3]
        block_values = postings[3 * at + 2:3 * (at + limit):3]
        if positions:
            block_values = _positions_values(block_values, counts, places)
        size = len(ids)
        stored = array("f", raw)
        all_ids += ids
        all_weights += stored
        top = max(raw)
        maxweight = float(top) if top > 0 else 0
        minlength, maxlength = None, 0
        if lengths is not None:
            held = [b for b in map(lengths.__getitem__, ids) if b]
            if held:
                minlength, maxlength = byte_to_length(min(held)), byte_to_length(max(held))
        # W3TermInfo.add_block
        info._weight += sum(stored)
        info._df += size
        if info._minlength is None:
            info._minlength = minlength
        elif minlength is not None:
            info._minlength = min(info._minlength, minlength)
        info._maxlength = max(info._maxlength, maxlength)
        info._maxweight = max(info._maxweight, maxweight)
        if info._minid is None:
            info._minid = ids[0]
        info._maxid = ids[-1]
        # W3PostingsWriter._write_block
        first = stored[0]
        if stored.count(first) == size:
            mini_weights: Any = None if first == 1.0 else first
        else:
            mini_weights = tuple(stored)
        if fixed is None or fixed < 0:
            mini_values: Any = tuple(block_values)
        else:
            mini_values = None if fixed == 0 else b"".join(block_values)
        mini_ids = (ids[0],) if size == 1 else tuple(map(sub, ids, (0, *ids[:-1])))
        data = dumps((mini_ids, mini_weights, mini_values), DATA_PROTOCOL)
        comp = codec._compression if len(data) >= COMPRESS_FROM else 0
        if comp:
            packer = zlib.compressobj(comp, zlib.DEFLATED, _WINDOW_BITS, _MEMORY_LEVEL)
            data = packer.compress(data) + packer.flush()
        head = dumps((size, ids[-1], maxweight, comp, length_to_byte(minlength), length_to_byte(maxlength)), 2)
        blocklength = len(head) + len(data)
        out += (pack_int(-blocklength if at + limit >= count else blocklength), head, data)
    if positions:
        out.append(postarrays.positions_tail(counts, places))
    out.append(postarrays.tail(all_ids, all_weights))  # after the last block, where Whoosh stops reading
    written = b"".join(out)
    postfile.write(written)
    info.set_extent(start, len(written))
    fieldwriter._tindex.add(pack_ushort(fieldwriter._fieldid) + tbytes, info.to_bytes())
    return start + len(written)


install()  # on import: every writer (full, incremental, the sub-writers) imports this module
