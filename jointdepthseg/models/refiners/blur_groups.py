"""Blur of the permutohedral lattice, several axes per sparse matrix.

The lattice blur is ``B_d ... B_0``, with ``B_k`` the ``[1/2, 1, 1/2]`` filter
along lattice axis ``k`` over the vertices that exist (a missing neighbour
contributes nothing, as in Adams et al.).  Applying each ``B_k`` separately
writes the whole (M, C) lattice d + 1 times; on sparse lattices (few
neighbours per vertex) the product of consecutive axes is still sparse, so
:func:`group_axes` merges axes while a merged matrix costs less than the
passes it saves, and :func:`grouped_blur_matrix` forms the exact product.

Row ``v`` of ``B_{k_n} ... B_{k_1}`` sums over paths that leave ``v`` along
``k_n`` (stay, - or +; weights 1, 1/2, 1/2), then ``k_{n-1}``, ..., ``k_1``,
through existing vertices only.  For fewer than d + 1 axes all paths end at
different vertices; with all d + 1 axes a few coincide, and the repeated
entries simply add up in ``embedding_bag``.
"""
from __future__ import annotations

import torch
from torch import Tensor

from .sparse_rows import SparseRows

# Merge the next axis into a group while it adds fewer entries per vertex
# than this; a separate pass would write (and, on CPU, copy) every row once
# more, which costs about as much as two extra entries.
MAX_ADDED_ENTRIES_PER_ROW = 2.0


def group_axes(neighbours: list, num_vertices: int) -> list:
    """Split the axes 0..d into runs blurred by one matrix each.

    Args:
        neighbours (list): per axis ``(plus, minus)`` (M,) indices, -1 if
            missing.
        num_vertices (int): M.

    Returns:
        list[tuple[int, ...]]: consecutive axes, in application order.
    """
    groups, current, per_row = [], [], 1.0
    for axis, (plus, minus) in enumerate(neighbours):
        found = int((plus >= 0).sum()) + int((minus >= 0).sum())
        extra = found / max(num_vertices, 1)
        if current and per_row * extra >= MAX_ADDED_ENTRIES_PER_ROW:
            groups.append(tuple(current))
            current, per_row = [], 1.0
        current.append(axis)
        per_row *= 1.0 + extra
    groups.append(tuple(current))
    return groups


def _expand_rows(rows: Tensor, axes, neighbours: list,
                 dtype: torch.dtype) -> tuple[Tensor, Tensor, Tensor]:
    """Entries of the given rows of the product (see grouped_blur_matrix).

    Returns:
        tuple: columns, local row offsets (len(rows) + 1,), weights.
    """
    device = rows.device
    cols = rows
    weights = torch.ones(rows.numel(), dtype=dtype, device=device)
    # Entries stay grouped by row: entry e of a row expands in place.
    row_offsets = torch.arange(rows.numel() + 1, device=device)
    step_weight = torch.tensor([1.0, 0.5, 0.5], dtype=dtype, device=device)
    for axis in reversed(axes):
        plus, minus = neighbours[axis]
        cand = torch.stack([cols, minus[cols], plus[cols]], 1).view(-1)
        keep = torch.nonzero(cand >= 0).squeeze(1)
        parent = torch.div(keep, 3, rounding_mode='floor')
        per_parent = torch.bincount(parent, minlength=cols.numel())
        parent_offsets = torch.zeros(cols.numel() + 1, dtype=torch.int64,
                                     device=device)
        torch.cumsum(per_parent, 0, out=parent_offsets[1:])
        row_offsets = parent_offsets[row_offsets]
        weights = weights[parent] * step_weight[keep - 3 * parent]
        cols = cand[keep]
    return cols, row_offsets, weights


def single_axis_blur_matrix(plus: Tensor, minus: Tensor,
                            dtype: torch.dtype) -> SparseRows:
    """``B_k`` of one axis with three entries per row (self, -, +); a
    missing neighbour is an entry of weight 0 on the vertex itself, which
    spares compacting the rows (a build cost) for a few reads of rows that
    are in cache anyway."""
    num = plus.numel()
    own = torch.arange(num, dtype=plus.dtype, device=plus.device)
    columns = torch.stack([own, torch.where(minus >= 0, minus, own),
                           torch.where(plus >= 0, plus, own)], 1)
    weights = torch.stack([torch.ones(num, dtype=dtype, device=plus.device),
                           (minus >= 0).to(dtype) * 0.5,
                           (plus >= 0).to(dtype) * 0.5], 1)
    offsets = torch.arange(0, 3 * num + 1, 3, dtype=plus.dtype,
                           device=plus.device)
    return SparseRows(columns.view(-1), offsets, weights.view(-1), num)


def grouped_blur_matrix(axes, neighbours: list, dtype: torch.dtype,
                        rows_per_chunk: int = 1 << 17) -> SparseRows:
    """The product of the axes' blurs, ``axes[0]`` applied first.

    Args:
        axes (tuple[int, ...]): lattice axes in application order.
        neighbours (list): per axis ``(plus, minus)`` (M,) vertex indices, -1
            where missing.
        dtype (torch.dtype): weight dtype.
        rows_per_chunk (int): rows expanded at a time (bounds temporaries).

    Returns:
        SparseRows: (M, M).
    """
    if len(axes) == 1:
        return single_axis_blur_matrix(*neighbours[axes[0]], dtype)
    plus0 = neighbours[0][0]
    num = plus0.numel()
    all_rows = torch.arange(num, dtype=plus0.dtype, device=plus0.device)
    cols, offsets, weights, base = [], [], [], 0
    for start in range(0, num, rows_per_chunk):
        c, o, w = _expand_rows(all_rows[start:start + rows_per_chunk], axes,
                               neighbours, dtype)
        cols.append(c)
        offsets.append(o[:-1] + base)
        weights.append(w)
        base += c.numel()
    offsets.append(torch.tensor([base], device=plus0.device))
    return SparseRows.from_offsets(torch.cat(cols), torch.cat(offsets),
                                   torch.cat(weights), num)
