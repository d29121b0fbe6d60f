"""The steps of building a permutohedral lattice (``permutohedral.py``).

Vectorised, with no hash table, on CPU and CUDA tensors alike:

1. :func:`unique_simplices`: neighbouring pixels of natural images share
   enclosing simplices, so the points are sorted by one key per simplex
   (P keys) and the later steps work on the U unique simplices (U / P is
   0.25-0.7 on photos and rendered rooms, 1 on noise).
2. :func:`remainder_vertices`: the vertices of remainder ``r`` are vertex
   ``r`` of some simplex, so each remainder is deduplicated by its own sort
   of U keys (int32 where the key range allows) instead of one sort of
   ``P (d + 1)`` int64 keys.
3. :func:`vertex_numbering`: vertices are numbered in the order of the
   first pixel that touches them, so that the splat reads Q, and the slice
   the lattice, close to pixel order (20-30 % faster iterations than in key
   order); a counting pass over pixel x remainder, no sort.
4. :func:`splat_rows`: the splat (vertex -> points) is assembled from those
   sorts by expanding every vertex's simplices into their points, with no
   sort of the ``P (d + 1)`` entries.
5. :func:`blur_neighbours`: a step along any lattice axis moves from
   remainder ``r`` to ``r + 1``, by a constant key offset, so each block's
   sorted keys shifted are looked up (``searchsorted``) in the next block's.

Measured and not kept (one CPU thread, 480x640 rooms and 512x512 photos):
numbering the vertices remainder by remainder (each remainder's splat one
stable argsort of P int32) built 7 % faster but made the iterations 13-47 %
slower than the global first-pixel order; one sort of all ``P (d + 1)``
vertex keys (the previous build) costs as much as steps 1-4 together.
"""
from __future__ import annotations

import torch
from torch import Tensor

from .lattice_geometry import KeyPacking


def _run_starts(sorted_keys: Tensor) -> tuple[Tensor, Tensor]:
    """Where runs of equal values start in a sorted vector, and each
    element's run index."""
    is_new = torch.ones_like(sorted_keys, dtype=torch.bool)
    torch.ne(sorted_keys[1:], sorted_keys[:-1], out=is_new[1:])
    return torch.nonzero(is_new).squeeze(1), torch.cumsum(is_new, 0) - 1


def _exclusive_cumsum(counts: Tensor) -> Tensor:
    """int64 ``[0, c_0, c_0 + c_1, ...]`` (one entry per count)."""
    out = torch.zeros(counts.shape, dtype=torch.int64, device=counts.device)
    torch.cumsum(counts[:-1], 0, dtype=torch.int64, out=out[1:])
    return out


def ranges_to_indices(starts: Tensor, counts: Tensor, total: int) -> Tensor:
    """Concatenate ``arange(starts[j], starts[j] + counts[j])`` over ``j``.

    Every count must be >= 1.  One fill, one scatter and one cumulative sum
    (fewer passes than ``repeat_interleave`` plus ``arange``; the build's
    index arrays are tens of MB, so passes are what costs).

    Args:
        starts, counts (Tensor): (R,) integer, same dtype.
        total (int): ``counts.sum()``.

    Returns:
        Tensor: (total,) dtype of ``starts``.
    """
    steps = torch.ones(total, dtype=torch.int64, device=starts.device)
    if total == 0:
        return steps.to(starts.dtype)
    jumps = starts.long()
    jumps[1:] -= (starts[:-1] + counts[:-1] - 1).long()
    steps.scatter_(0, _exclusive_cumsum(counts), jumps)
    return torch.cumsum(steps, 0, dtype=starts.dtype)


def unique_simplices(rem0: Tensor, rank: Tensor, image: Tensor | None,
                     packing: KeyPacking) -> tuple[Tensor, Tensor, Tensor]:
    """Group the points by enclosing simplex.

    A simplex is its ``rem0`` (packed) and its ``rank`` permutation (coded in
    base ``d + 1``).  Where that key would overflow int64 every point is its
    own simplex (the same lattice, only built more slowly).

    Returns:
        tuple: ``order`` (P,) the points sorted by simplex, in point order
        within a simplex (so ``order[starts[u]]`` is the first point of
        simplex ``u``); ``starts`` (U + 1,) where each simplex's points begin
        in ``order`` (and P); ``simplex_of_point`` (P,) int64.
    """
    dp1, points = rank.shape
    device = rank.device
    code_base = dp1 ** dp1
    if packing.key_range * code_base >= 2**62:
        order = torch.arange(points, device=device)
        return order, torch.arange(points + 1, device=device), order
    keys = packing.pack(rem0, image).mul_(code_base)
    for i in range(dp1):
        keys.add_(rank[i], alpha=dp1 ** i)
    sorted_keys, order = torch.sort(keys, stable=True)
    starts, run = _run_starts(sorted_keys)
    simplex_of_point = torch.empty_like(order)
    simplex_of_point[order] = run
    return order, torch.cat([starts, starts.new_tensor([points])]), \
        simplex_of_point


def remainder_vertices(keys: Tensor, first_point: Tensor) -> tuple:
    """Deduplicate the vertices of one remainder.

    Args:
        keys (Tensor): (U,) key of each simplex's vertex of this remainder.
        first_point (Tensor): (U,) each simplex's first point.

    Returns:
        tuple: sorted unique keys (M_r,); the vertex of each simplex (U,)
        (local index); the simplices sorted by vertex (U,); where each
        vertex's simplices start in that order (M_r,); each vertex's first
        point (M_r,).
    """
    sorted_keys, slot_order = torch.sort(keys)
    run_starts, run = _run_starts(sorted_keys)
    vertex_of_simplex = torch.empty_like(slot_order)
    vertex_of_simplex[slot_order] = run
    firsts = first_point.new_empty(run_starts.numel()).scatter_reduce_(
        0, vertex_of_simplex, first_point, 'amin', include_self=False)
    return (sorted_keys.index_select(0, run_starts), vertex_of_simplex,
            slot_order, run_starts, firsts)


def vertex_numbering(first_points: list, points: int) -> Tensor:
    """New vertex ids in the order of ``(first point, remainder)``.

    Args:
        first_points (list[Tensor]): per remainder r, (M_r,) each vertex's
            first point; vertices numbered block after block.
        points (int): P.

    Returns:
        Tensor: (M,) int64, the new id of each vertex.
    """
    dp1 = len(first_points)
    keys = torch.cat([fp * dp1 + r for r, fp in enumerate(first_points)])
    # A point has one vertex per remainder: the keys are distinct, and their
    # ranks are a prefix count over the P (d + 1) possible keys.
    taken = torch.zeros(points * dp1, dtype=torch.int32, device=keys.device)
    taken[keys] = 1
    return torch.cumsum(taken, 0, dtype=torch.int64).index_select(0, keys) - 1


def splat_rows(blocks: list, new_of_old: Tensor, order: Tensor,
               starts: Tensor, bary: Tensor, dtype: torch.dtype) -> tuple:
    """Compressed rows of the splat (vertex -> points), vertices in new
    order.

    Args:
        blocks (list[tuple]): :func:`remainder_vertices` of each remainder.
        new_of_old (Tensor): (M,) from :func:`vertex_numbering`.
        order, starts (Tensor): from :func:`unique_simplices`.
        bary (Tensor): (d + 1, P) barycentric weights.
        dtype (torch.dtype): index dtype (int32 where P (d + 1) fits).

    Returns:
        tuple: ``(columns, offsets, weights)`` of :class:`SparseRows`:
        columns (P (d + 1),) ``dtype``, points grouped by vertex; the rows'
        offsets (M + 1,) ``dtype``; the weights.
    """
    dp1, points = bary.shape
    simplices = starts.numel() - 1
    device = order.device
    # Every vertex is a run of (remainder, simplex) slots in its block's
    # simplices sorted by vertex: runs in new vertex order -> slots.
    run_start = torch.cat([b[3] + r * simplices for r, b in enumerate(blocks)])
    run_length = torch.diff(run_start, append=run_start.new_tensor(
        [dp1 * simplices]))
    old_of_new = torch.empty_like(new_of_old)
    old_of_new[new_of_old] = torch.arange(new_of_old.numel(), device=device)
    run_length = run_length.index_select(0, old_of_new).to(dtype)
    slot = ranges_to_indices(run_start.index_select(0, old_of_new).to(dtype),
                             run_length, dp1 * simplices)
    simplex = torch.cat([b[2] for b in blocks]).to(dtype).index_select(
        0, slot)
    remainder = torch.arange(dp1, dtype=dtype, device=device
                             ).repeat_interleave(simplices).index_select(
                                 0, slot)
    del slot
    # Slots -> points: simplex u's points are order[starts[u]:starts[u+1]];
    # a position addresses (remainder, simplex-sorted point).
    starts = starts.to(dtype)
    count = torch.diff(starts).index_select(0, simplex)
    first = starts.index_select(0, simplex).add_(remainder, alpha=points)
    del simplex, remainder
    position = ranges_to_indices(first, count, dp1 * points)
    columns = order.to(dtype).repeat(dp1).index_select(0, position)
    weights = bary.index_select(1, order).view(-1).index_select(0, position)
    del position
    entry_first = _exclusive_cumsum(count)
    offsets = torch.cat([
        entry_first.index_select(0, _exclusive_cumsum(run_length)),
        entry_first.new_tensor([dp1 * points])])
    return columns, offsets.to(dtype), weights


def blur_neighbours(block_keys: list, new_of_old: Tensor,
                    packing: KeyPacking, dim: int,
                    index_dtype: torch.dtype) -> list:
    """``(plus, minus)`` vertex indices (new ids) along every lattice axis,
    -1 where the neighbour does not exist.

    Args:
        block_keys (list[Tensor]): per remainder, the sorted unique keys.
        new_of_old (Tensor): (M,) new id of each vertex (block order).
        packing (KeyPacking): the keys' packing.
        dim (int): d.
        index_dtype (torch.dtype): dtype of the result.
    """
    dp1 = dim + 1
    base, total = [], 0
    for keys in block_keys:
        base.append(total)
        total += keys.numel()
    offsets = packing.neighbour_offsets(dim)
    device = new_of_old.device
    new_ids = new_of_old.to(index_dtype)
    result = []
    for k in range(dp1):
        plus = torch.full((total, ), -1, dtype=index_dtype, device=device)
        minus = torch.full_like(plus, -1)
        for r in range(dp1):
            target = (r + 1) % dp1
            keys, found_in = block_keys[r], block_keys[target]
            if keys.numel() == 0 or found_in.numel() == 0:
                continue
            query = keys + offsets[k][r]
            pos = torch.searchsorted(found_in, query)
            pos.clamp_(max=found_in.numel() - 1)
            src = torch.nonzero(found_in.index_select(0, pos) == query
                                ).squeeze(1)
            dst = new_ids.index_select(0, pos.index_select(0, src)
                                       + base[target])
            src = new_ids.index_select(0, src + base[r])
            plus[src] = dst
            minus[dst] = src
        result.append((plus, minus))
    return result
