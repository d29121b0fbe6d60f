"""Geometry of the permutohedral lattice: elevation, enclosing simplices, keys.

Adams, Baek & Davis, "Fast High-Dimensional Filtering Using the Permutohedral
Lattice", Eurographics 2010.  Features ``f`` (already divided by their kernel
widths) are lifted onto the hyperplane ``x_0 + ... + x_d = 0``; the lattice
points there are the integer vectors whose coordinates all have the same
remainder ``r`` modulo ``d + 1`` (a vertex "of remainder r").  Each point lies
in one simplex whose ``d + 1`` vertices have the remainders ``0 .. d``.

Everything here is coordinate-major, ``(d + 1, P)``: each coordinate of all
points is one contiguous vector, which keeps the element-wise work
vectorised (the point-major layout was 10x slower for the ranks).

Integer coordinates are packed into int64 keys in mixed radix over the first
``d`` coordinates (the last one follows from the zero sum), image most
significant.  :class:`KeyPacking` holds the radix; a vertex of remainder
``r`` with coordinates ``(d + 1) q + r`` is packed from ``q``, and vertices of
one remainder form one "block" that is sorted on its own (smaller sorts, and
int32 keys where the range allows).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor


def elevation_matrix(dim: int, dtype: torch.dtype,
                     device: torch.device) -> Tensor:
    """Linear map from features to the lattice's hyperplane.

    Column ``k`` of the unscaled basis is ``(1, ..., 1, -(k+1), 0, ...)``
    (``k+1`` ones) over its norm ``sqrt((k+1)(k+2))``, so the map is an
    isometry onto ``sum x = 0`` times ``sqrt(2/3) (d + 1)``, the scale at which
    splat, blur and slice together approximate a unit-variance Gaussian.

    Returns:
        Tensor: (d, d + 1); ``elevated = features @ matrix``.
    """
    mat = torch.zeros(dim, dim + 1, dtype=torch.float64)
    for k in range(dim):
        mat[k, :k + 1] = 1.0
        mat[k, k + 1] = -(k + 1.0)
        mat[k] /= math.sqrt((k + 1.0) * (k + 2.0))
    mat *= math.sqrt(2.0 / 3.0) * (dim + 1)
    return mat.to(dtype=dtype, device=device)


def sorting_network(size: int) -> list:
    """Comparator pairs ``(i, j)``, ``i < j``, that sort ``size`` values
    (odd-even transposition: ``size`` rounds of neighbour swaps)."""
    return [(i, i + 1) for step in range(size)
            for i in range(step % 2, size - 1, 2)]


def sort_rows_descending(values: Tensor) -> Tensor:
    """Sort every column of a (n, P) tensor in descending order.

    A sorting network of element-wise max / min over the n rows: for the
    handful of rows of a lattice (d + 1 <= 9 or so) it is several times
    faster than ``torch.sort(dim=0)``, whose per-column sorts of n values
    cannot vectorise.
    """
    rows = list(values.unbind(0))
    for i, j in sorting_network(len(rows)):
        rows[i], rows[j] = torch.maximum(rows[i], rows[j]), \
            torch.minimum(rows[i], rows[j])
    return torch.stack(rows)


def enclosing_simplex(elevated: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Find each point's enclosing simplex and barycentric weights.

    Args:
        elevated (Tensor): (d + 1, P) points on the hyperplane ``sum x = 0``,
            coordinate-major.

    Returns:
        tuple: ``rem0`` (d + 1, P) int64, the simplex's remainder-0 vertex
        divided by ``d + 1``; ``rank`` (d + 1, P) int8, each coordinate's
        place (0 = largest) in the descending order of its offset from that
        vertex, ties broken by coordinate index; ``bary`` (d + 1, P) float,
        row ``r`` the weight of the vertex of remainder ``r``, summing to 1
        over ``r``.  Vertex ``r`` has coordinates
        ``(d + 1) rem0 + r - (d + 1) [rank > d - r]``.
    """
    dp1 = elevated.shape[0]
    dim = dp1 - 1
    if dp1 > 127:
        raise ValueError(f'lattice_geometry.py: at most 126 feature '
                         f'dimensions, got {dim}')
    rem0 = torch.round(elevated / dp1)
    diff = elevated - rem0 * dp1
    # rank_i = #{j: diff_j > diff_i} + #{j < i: diff_j == diff_i}
    rank = torch.zeros(elevated.shape, dtype=torch.int8,
                       device=elevated.device)
    for i in range(dim):
        for j in range(i + 1, dp1):
            below = diff[i] < diff[j]
            rank[i] += below
            rank[j] += ~below
    # Bring the remainder-0 point back onto the plane (the coordinates of
    # rem0 sum to a small integer, |sum| <= (d + 1) / 2): coordinates ranked
    # below 0 move up a step, those ranked beyond d down (all in the narrow
    # dtypes; int64 arithmetic with promotion costs several passes).
    rank += rem0.sum(0).to(torch.int8)
    low, high = rank < 0, rank > dim
    rank.add_(low.to(torch.int8), alpha=dp1).sub_(high.to(torch.int8),
                                                  alpha=dp1)
    step = low.to(diff.dtype).sub_(high.to(diff.dtype))
    rem0 += step
    diff.sub_(step, alpha=dp1).div_(dp1)
    rem0 = rem0.long()
    # With the offsets sorted, s_0 >= ... >= s_d, the vertex of remainder r
    # weighs s_(d-r) - s_(d+1-r), and that of remainder 0 1 + s_d - s_0.
    ascending = sort_rows_descending(diff).flip(0)   # s_d, ..., s_0
    bary = torch.empty_like(diff)
    torch.sub(ascending[1:], ascending[:-1], out=bary[1:])
    bary[0] = ascending[0] - ascending[dim] + 1.0
    return rem0, rank, bary


@dataclass
class KeyPacking:
    """Mixed-radix packing of lattice coordinates ``q`` into int64 keys.

    ``key = image * block_size + sum_i (q_i - low_i) * strides[i]`` over the
    first ``d`` coordinates, with a margin of two below and above the range
    of ``rem0`` so that vertex corrections and blur steps (at most one per
    coordinate) never carry into another digit.

    Attributes:
        low (list[int]): d, the smallest packed ``q_i``.
        strides (list[int]): d strides.
        block_size (int): keys per image (the product of the radixes).
        num_images (int): B.
    """

    low: list
    strides: list
    block_size: int
    num_images: int

    @classmethod
    def covering(cls, rem0: Tensor, num_images: int) -> 'KeyPacking':
        """The packing for simplices with these ``rem0`` (d + 1, P)."""
        dim = rem0.shape[0] - 1
        low = (rem0[:dim].amin(1) - 2).tolist()
        high = (rem0[:dim].amax(1) + 2).tolist()
        radix = [hi - lo for lo, hi in zip(low, high)]
        strides, total = [], 1
        for size in radix:
            strides.append(total)
            total *= size
        return cls(low, strides, total, num_images)

    @property
    def key_range(self) -> int:
        """Number of distinct keys of one remainder block."""
        return self.block_size * self.num_images

    def pack(self, q: Tensor, image: Tensor | None) -> Tensor:
        """Keys (P,) int64 of coordinates ``q`` (d + 1 or d, P)."""
        offset = sum(low * stride
                     for low, stride in zip(self.low, self.strides))
        key = q[0] * self.strides[0] - offset
        for coord, stride in zip(q[1:len(self.strides)], self.strides[1:]):
            key.add_(coord, alpha=stride)
        if image is not None:
            key.add_(image, alpha=self.block_size)
        return key

    def neighbour_offsets(self, dim: int) -> list:
        """Key offset of one step along lattice axis ``k`` from a vertex of
        remainder ``r`` (to one of remainder ``(r + 1) mod (d + 1)``):
        ``offsets[k][r]``.

        The step adds 1 to every coordinate and subtracts ``d + 1`` from
        coordinate ``k``; in ``q`` (coordinates ``(d + 1) q + r``) that is
        ``q_k - 1`` for ``r < d``, and ``q_i + 1`` for ``i != k`` for
        ``r = d`` (the remainder wraps to 0).
        """
        offsets = []
        for k in range(dim + 1):
            row = []
            for r in range(dim + 1):
                if r < dim:
                    row.append(-self.strides[k] if k < dim else 0)
                else:
                    row.append(sum(s for i, s in enumerate(self.strides)
                                   if i != k))
            offsets.append(row)
        return offsets


def vertex_corrections(rank: Tensor, strides: list) -> Tensor:
    """Key corrections of the simplex vertices: vertex ``r`` packs to
    ``pack(rem0) - corrections[r]``.

    Vertex ``r`` lowers ``q_i`` by one for the coordinates ranked
    ``d, d - 1, ..., d + 1 - r``, so its correction is the sum of their
    strides (coordinate ``d`` is not packed: stride 0).

    Args:
        rank (Tensor): (d + 1, U) integer, from :func:`enclosing_simplex`.
        strides (list[int]): the packing's d strides.

    Returns:
        Tensor: (d + 1, U) int64, row 0 all zeros.
    """
    dp1 = rank.shape[0]
    rank = rank.long()
    stride_t = torch.tensor(list(strides) + [0], dtype=torch.int64,
                            device=rank.device)
    by_rank = torch.empty_like(rank).scatter_(
        0, rank, stride_t[:, None].expand(dp1, rank.shape[1]))
    corrections = torch.zeros_like(rank)
    torch.cumsum(by_rank.flip(0)[:dp1 - 1], 0, out=corrections[1:])
    return corrections
