"""Where a statement sits in a function, as a trail of (block id, position) pairs from the
function's body down, and the one question asked of two trails: does the second run after the
first, in the same block or one nested in it? The toggle matcher and the fix planner both ask it."""

from __future__ import annotations

from typing import Tuple


Trail = Tuple[Tuple[int, int], ...]


def runs_after(first_trail: Trail, later_trail: Trail) -> bool:
    """``later`` runs after ``first``, in the same block as ``first`` or a block nested in it."""
    depth = len(first_trail)
    if len(later_trail) < depth or tuple(later_trail[: depth - 1]) != tuple(first_trail[: depth - 1]):
        return False
    return later_trail[depth - 1][0] == first_trail[-1][0] and later_trail[depth - 1][1] > first_trail[-1][1]


def position_at(trail: Trail, depth: int) -> int:
    return trail[depth - 1][1]
