"""A Whoosh segment writer for whole builds: each term's postings gathered in document order, written once.

Whoosh's own SegmentWriter puts every posting into one pool of (field, term, document, weight, value) tuples,
sorts it (spilling runs to disk and merging them back past its memory limit) and then looks up each posting's
field length. Documents arrive in order, so a term's postings are already sorted: here they are kept per term
(one flat list), only the terms are sorted, and a block's length statistics come from one read of each length
column. The ranked text fields (ShapeTokenizer) are analysed in one pass per text
without Whoosh's token objects. The segment written holds the same postings, lengths and stored values, in the
same codec, as Whoosh's writer would write (tests/test_bulk.py compares the two).
"""

from __future__ import annotations

import contextlib
import heapq
import marshal
import struct
from collections.abc import Iterator
from typing import Any

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3FieldWriter
from whoosh.formats import Positions
from whoosh.util import random_name
from whoosh.writing import SegmentWriter

from service.search.whoosh import postarrays
from service.search.whoosh.blocks import write_term
from service.search.whoosh.schema import TABLE_SKIPS, ShapeTokenizer

_POSTING_BYTES = 60  # a posting's estimated memory beside its value's bytes (three list slots, a value object)
_TERM_BYTES = 200  # a term's estimated memory (its key, a dict slot, a list)
_LIST_BYTES = 56  # an empty list's memory (a posting's positions, when it has more than one; 8 bytes each beside)
_LENGTH = struct.Struct("<I")  # before each record of a run
END_SLACK = 0.25  # share past the limit a pool may grow to when that holds every document left
Record = tuple[str, Any, list[Any]]  # field, term (str or bytes), postings (docnum, weight, value, docnum, ...)


class TermPool:
    """Postings by field and term, in document order; past limitmb the terms so far go to a sorted run on disk.

    A term's postings are one flat list, document number, weight and value in turn (one append per posting).
    """

    def __init__(self, tempstore: Any, limitmb: int, expected_docs: int | None = None) -> None:
        self.fields: dict[str, dict[Any, list[Any]]] = {}
        self.fieldnames: set[str] = set()  # read by Whoosh's sub-writer task
        self.size = 0  # estimated bytes held
        self.limit = limitmb * 1024 * 1024
        self._tempstore = tempstore
        self._runs: list[str] = []
        self._left = expected_docs  # documents still to come (None: unknown)
        self._since_spill = 0

    def field(self, name: str) -> dict[Any, list[Any]]:
        found = self.fields.get(name)
        if found is None:
            found = self.fields[name] = {}
            self.fieldnames.add(name)
        return found

    def spill_if_full(self) -> None:
        """Called after each document: past the limit, spill a run, unless the documents left fit in the slack."""
        self._since_spill += 1
        if self._left is not None:
            self._left -= 1
        if self.size > self.limit and not self._ends_within_slack():
            self._spill()

    def _ends_within_slack(self) -> bool:
        # A pool full near its last documents would spill a run only to merge it straight back (a second at
        # 10,000 posts); growing up to END_SLACK past the limit instead bounds the extra memory.
        if self._left is None or self._left < 0:  # unknown, or more documents came than were announced
            return False
        projected = self.size * (self._since_spill + self._left) / self._since_spill
        return projected <= self.limit * (1 + END_SLACK)

    def _spill(self) -> None:
        name = f"{random_name()}.terms"
        with self._tempstore.create_file(name).raw_file() as f:
            for record in self._sorted():
                data = marshal.dumps(record)
                f.write(_LENGTH.pack(len(data)) + data)  # marshal.load reads a file ~20x slower than loads
        self._runs.append(name)
        self.fields, self.size, self._since_spill = {}, 0, 0

    def _sorted(self) -> Iterator[Record]:
        # str terms sort as their UTF-8 bytes do (the encoding keeps code point order)
        for field in sorted(self.fields):
            terms = self.fields[field]
            for term in sorted(terms):
                yield field, term, terms[term]

    def _read(self, run: str, n: int) -> Iterator[tuple[str, Any, int, list[Any]]]:
        with self._tempstore.open_file(run).raw_file() as f:
            while head := f.read(_LENGTH.size):
                field, term, postings = marshal.loads(f.read(_LENGTH.unpack(head)[0]))
                yield field, term, n, postings

    def terms(self) -> Iterator[Record]:
        """Yield every term's postings, fields and terms in order, the runs' shares of a term joined in order."""
        if not self._runs:
            yield from self._sorted()
            return
        self._spill()
        current: Record | None = None
        for field, term, _, postings in heapq.merge(*(self._read(r, n) for n, r in enumerate(self._runs))):
            if current is not None and current[0] == field and current[1] == term:
                current[2].extend(postings)
                continue
            if current is not None:
                yield current
            current = (field, term, postings)
        if current is not None:
            yield current

    def cleanup(self) -> None:
        for run in self._runs:
            with contextlib.suppress(OSError):
                self._tempstore.delete_file(run)
        self._runs = []


class BulkSegmentWriter(SegmentWriter):
    """SegmentWriter for a new segment of added documents only (no merges, vectors or spelling fields)."""

    def __init__(self, ix: Any, limitmb: int = 128, expected_docs: int | None = None, **kwargs: Any) -> None:
        super().__init__(ix, limitmb=limitmb, **kwargs)
        codec = self.codec
        if not isinstance(self.fieldwriter, W3FieldWriter) or codec._inlinelimit > 1:
            raise TypeError("the bulk writer writes Whoosh 3 segments (no inlined postings) only")
        for name, field in self.schema.items():
            if field.vector or field.separate_spelling():
                raise TypeError(f"the bulk writer writes no term vectors or spelling fields ({name})")
        self.pool = TermPool(self._tempstorage, limitmb, expected_docs)
        self._fast = {name: field.analyzer for name, field in self.schema.items()
                      if isinstance(getattr(field, "analyzer", None), ShapeTokenizer)
                      and type(field.format) is Positions and field.format.field_boost == 1.0 and field.scorable}

    def add_reader(self, reader: Any) -> None:
        raise NotImplementedError("the bulk writer adds documents only; merge with Whoosh's SegmentWriter")

    def add_document(self, **fields: Any) -> None:
        """Add one document as SegmentWriter.add_document does (same fields, lengths, stored values, columns)."""
        self._check_state()
        perdoc, schema, docnum, pool = self.perdocwriter, self.schema, self.docnum, self.pool
        docboost = self._doc_boost(fields)
        names = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, names)
        perdoc.start_doc(docnum)
        try:
            for name in names:
                value = fields.get(name)
                if value is None:
                    continue
                field = schema[name]
                length = 0
                if field.indexed:
                    boost = self._field_boost(fields, name, docboost)
                    terms = pool.field(name)
                    if name in self._fast:
                        if not isinstance(value, str):
                            raise TypeError(f"{name}: the bulk writer indexes text fields from a str")
                        length = _add_positions(terms, self._fast[name].positions(value), docnum, boost, pool)
                    else:
                        length = _add_items(terms, field.index(value), docnum, boost, field.scorable, pool)
                custom = fields.get(f"_stored_{name}", value)
                perdoc.add_field(name, field, custom if field.stored else None, length)
                column = field.column_type
                if column and custom is not None:
                    perdoc.add_column_value(name, column, field.to_column_value(custom))
        except Exception:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1
        pool.spill_if_full()

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        pdr = self.per_document_reader()
        fieldwriter = self.fieldwriter
        try:
            last = None
            lengths = None
            offset = fieldwriter._postfile.tell()  # then counted: each term is written in one piece
            terms = postarrays.TermTableWriter(TABLE_SKIPS)
            for name, term, postings in self.pool.terms():
                if name != last:
                    if last is not None:
                        fieldwriter.finish_field()
                    fieldwriter.start_field(name, self.schema[name])
                    last = name
                    column = f"_{name}_len"
                    lengths = pdr.column_reader(column, LENGTHS_COLUMN).load() if pdr.has_column(column) else None
                tbytes = term.encode("utf-8") if isinstance(term, str) else term
                positions = name in self._fast
                offset = write_term(fieldwriter, tbytes, postings, lengths, self.codec, offset, positions)
                count = len(postings) // 3
                terms.add(name, tbytes, offset - 8 * count, count, positions)  # its arrays end the term's extent
            if last is not None:
                fieldwriter.finish_field()
        finally:
            pdr.close()
        fieldwriter.close()
        postarrays.mark(self.get_segment(), self.storage)
        terms.write(self.get_segment(), self.storage)


def _add_positions(terms: dict[Any, list[Any]], found: dict[str, list[int]], docnum: int, boost: float,
                   pool: TermPool) -> int:
    """Add a text's postings from its term positions (Positions.word_values' values); return its length."""
    length = size = 0
    for term, positions in found.items():
        freq = len(positions)
        length += freq
        if freq == 1:
            value: Any = positions[0]  # encoded when the term is written (blocks.write_term), and kept raw too
        else:
            value = positions
            size += _LIST_BYTES + 8 * freq
        weight = freq if boost == 1.0 else freq * boost  # Whoosh's weight is float(freq) * boost: written so
        entry = terms.get(term)
        if entry is None:
            terms[term] = [docnum, weight, value]
            size += _TERM_BYTES
        else:
            entry += (docnum, weight, value)
    pool.size += size + _POSTING_BYTES * len(found)
    return length


def _add_items(terms: dict[Any, list[Any]], items: Any, docnum: int, boost: float, scorable: bool,
               pool: TermPool) -> int:
    """Add a field's postings from FieldType.index items (term bytes, frequency, weight, value); return its length."""
    length = size = count = 0
    for tbytes, freq, weight, vbytes in items:
        if scorable:
            length += freq
        entry = terms.get(tbytes)
        if entry is None:
            terms[tbytes] = [docnum, weight * boost, vbytes]
            size += _TERM_BYTES
        else:
            entry += (docnum, weight * boost, vbytes)
        if vbytes:
            size += len(vbytes)
        count += 1
    pool.size += size + _POSTING_BYTES * count
    return length
