"""Whoosh's AndNot with its exclusion mended, so block-quality skipping can stay on.

Whoosh 2.7's AndNotMatcher positions the excluded side only when both sides already sit on the same document,
so the first candidate is returned unchecked when the excluded matcher is still behind it (an excluded post on
page 1), and after a quality skip it reads the id of a matcher that has run out (the IndexError seen with
-excluded words on page 2). Here every move of the required side is followed by skipping the excluded side to it.
"""

from __future__ import annotations

from typing import Any

from whoosh import matching
from whoosh.matching import mcore
from whoosh.query import compound


class SafeAndNotMatcher(matching.AndNotMatcher):
    """Matches the first matcher's documents that the second does not, wherever the first one moves."""

    def _find_first(self) -> None:
        self._find_next()

    def _find_next(self) -> bool:
        """Move past every document the excluded side also has; True when that entered a new block."""
        pos, neg = self.a, self.b
        if not pos.is_active() or not neg.is_active():
            return False
        moved = False
        if neg.id() < pos.id():
            neg.skip_to(pos.id())
        while pos.is_active() and neg.is_active() and pos.id() == neg.id():
            moved = bool(pos.next()) or moved
            if pos.is_active() and neg.is_active() and neg.id() < pos.id():
                neg.skip_to(pos.id())
        return moved

    def skip_to(self, id: int) -> bool:
        if not self.a.is_active():
            raise mcore.ReadTooFar
        moved = bool(self.a.skip_to(id))
        return self._find_next() or moved

    def skip_to_quality(self, minquality: float) -> int:
        skipped = self.a.skip_to_quality(minquality)
        self._find_next()
        return skipped

    def next(self) -> bool:
        if not self.a.is_active():
            raise mcore.ReadTooFar
        moved = bool(self.a.next())
        return self._find_next() or moved


class AndNot(compound.AndNot):
    """`a ANDNOT b` whose matcher excludes correctly with or without block-quality skipping."""

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        scored = self.a.matcher(searcher, context)
        excluded = self.b.matcher(searcher, searcher.boolean_context())
        return SafeAndNotMatcher(scored, excluded)
