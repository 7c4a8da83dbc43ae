"""Whose work is claimed next: the owner with the fewest units in flight, then the batch whose
next pending row has the lowest position. Plain bookkeeping for one claim; no database."""

# So a user with a hundred batches queued gets the same share of the workers as a user with one,
# and within one owner's batches a small batch still overtakes the tail of a large one.

from collections import Counter
from collections.abc import Hashable


class ClaimOrder:
    """The running batches with pending rows, and how many units each owner has in flight."""

    def __init__(
        self,
        *,
        heads: dict[Hashable, int],
        owners: dict[Hashable, Hashable],
        in_flight: Counter,
    ) -> None:
        self._heads = dict(heads)  # batch -> where its next pending row is (rows started)
        self._owners = owners  # batch -> its owner
        self._in_flight = in_flight  # owner -> units being checked, claimed ones included

    def _key(self, batch_id) -> tuple:
        return (self._in_flight[self._owners[batch_id]], self._heads[batch_id], str(batch_id))

    def next_batch(self):
        """The batch the next unit comes from, or None when no batch has pending rows."""
        return min(self._heads, key=self._key, default=None)

    def keeps_turn(self, batch_id) -> bool:
        """Whether `batch_id` may give the next unit too: its owner still has no more in flight
        than any other owner with pending rows (ties included). Within one owner the batch
        keeps its turn for the rest of the claim, which saves reading another batch's head;
        the next claim starts again from the lowest head."""
        if batch_id not in self._heads:
            return False
        owner = self._owners[batch_id]
        mine = self._in_flight[owner]
        return all(
            mine <= self._in_flight[self._owners[other]]
            for other in self._heads
            if self._owners[other] != owner
        )

    def taken(self, batch_id, *, next_head: int | None) -> None:
        """A unit of `batch_id` was claimed; its next pending row is at `next_head` (None: it
        has no pending row left)."""
        self._in_flight[self._owners[batch_id]] += 1
        if next_head is None:
            self._heads.pop(batch_id, None)
        else:
            self._heads[batch_id] = next_head

    def drop(self, batch_id) -> None:
        """`batch_id` has nothing this claim can take (its rows are another claimer's)."""
        self._heads.pop(batch_id, None)
