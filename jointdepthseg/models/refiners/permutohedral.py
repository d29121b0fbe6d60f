"""Permutohedral lattice for fast high-dimensional Gaussian filtering.

Adams, Baek & Davis, "Fast High-Dimensional Filtering Using the Permutohedral
Lattice", Eurographics 2010; used by the fully connected CRF (Krähenbühl &
Koltun 2011, Zheng et al. 2015) and by section 3.4 of the paper.

The filter approximates ``sum_j exp(-|f_i - f_j|^2 / 2) v_j`` (up to a scale)
for features ``f`` already divided by their kernel widths (theta).  Points
are lifted onto the hyperplane ``x_0 + ... + x_d = 0``, splatted with
barycentric weights onto the ``d + 1`` vertices of their enclosing lattice
simplex, blurred with ``[1/2, 1, 1/2]`` along each of the ``d + 1`` lattice
axes, and sliced back with the same weights.  Each stage is a fixed sparse
matrix (:class:`SparseRows`), built once per image and kernel and reused by
every mean-field iteration.

The construction is vectorised (no hash table): integer vertex coordinates are
packed into one int64 key per vertex, deduplicated with one sort, and blur
neighbours are found with ``searchsorted`` on the sorted keys.  It runs
unchanged on CPU and CUDA tensors.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from .blur_groups import group_axes, grouped_blur_matrix
from .sparse_rows import SparseRows, index_dtype_for


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


def enclosing_simplex(elevated: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Find each point's enclosing simplex and barycentric weights.

    Args:
        elevated (Tensor): (P, d + 1) points on the hyperplane ``sum x = 0``.

    Returns:
        tuple: ``rem0`` (P, d + 1) int64, the simplex's remainder-0 vertex
        divided by ``d + 1``; ``rank`` (P, d + 1) int64, each coordinate's
        place (0 = largest) in the descending order of its offset from that
        vertex, ties broken by coordinate index; ``bary`` (P, d + 1) float,
        the weight of vertex ``r`` (``r = 0..d``), summing to 1.
    """
    dp1 = elevated.shape[1]
    dim = dp1 - 1
    rem0 = torch.round(elevated / dp1)
    diff = elevated - rem0 * dp1
    rem0 = rem0.long()
    # rank_i = #{j: diff_j > diff_i} + #{j < i: diff_j == diff_i}
    rank = torch.zeros_like(rem0)
    for i in range(dim):
        for j in range(i + 1, dp1):
            below = diff[:, i] < diff[:, j]
            rank[:, i] += below
            rank[:, j] += ~below
    # Bring the remainder-0 point back onto the plane.
    rank += rem0.sum(1, keepdim=True)
    wrap = (rank < 0).long() - (rank > dim).long()
    rank += dp1 * wrap
    rem0 += wrap
    diff -= wrap.to(diff.dtype) * dp1
    diff /= dp1
    bary = elevated.new_zeros(elevated.shape[0], dp1 + 1)
    bary.scatter_add_(1, dim - rank, diff)
    bary.scatter_add_(1, dim - rank + 1, -diff)
    bary[:, 0] += 1.0 + bary[:, dp1]
    return rem0, rank, bary[:, :dp1]


def _vertex_keys(rem0: Tensor, rank: Tensor, num_images: int) -> tuple:
    """Pack every simplex vertex into one int64 key.

    Vertex ``r`` of a simplex has coordinates ``(d+1) q_i + r`` with
    ``q_i = rem0_i - [rank_i > d - r]``.  The key packs
    ``(image, r, q_0..q_{d-1})`` in mixed radix (image most significant), with
    a margin of one on each ``q`` so that a blur step never carries into
    another digit; within one ``(image, r)`` block a step to a neighbour adds
    a constant, so neighbour queries come out sorted.

    Args:
        rem0, rank (Tensor): from :func:`enclosing_simplex`, points ordered
            image by image.
        num_images (int): images in the batch.

    Returns:
        tuple: keys (P, d + 1) int64; neighbour offsets (d + 1, d + 1) int64,
        entry ``[k, r]`` added to a key of remainder ``r`` gives its neighbour
        one step along lattice axis ``k``; the block size (int), so that
        ``key // block_size % (d + 1)`` is the remainder.
    """
    points, dp1 = rem0.shape
    dim = dp1 - 1
    device = rem0.device
    lo = rem0[:, :dim].amin(0) - 2
    radix = (rem0[:, :dim].amax(0) + 2 - lo).tolist()
    strides, total = [], 1
    for size in radix:
        strides.append(total)
        total *= size
    if total * num_images * dp1 >= 2**62:
        raise ValueError(
            'permutohedral.py: lattice key range overflows int64 (the '
            'features span too many kernel widths); increase the theta '
            'values')
    stride_t = torch.tensor(strides + [0], dtype=torch.int64, device=device)
    base = ((rem0 - torch.cat([lo, lo.new_zeros(1)])) * stride_t).sum(1)
    # Vertex r subtracts the strides of the coordinates ranked d, ..., d+1-r.
    by_rank = torch.empty_like(rank).scatter_(1, rank,
                                              stride_t.expand(points, dp1))
    correction = torch.zeros_like(rank)
    torch.cumsum(by_rank.flip(1)[:, :dim], 1, out=correction[:, 1:])
    image = torch.arange(num_images, device=device).repeat_interleave(
        points // num_images)
    rvec = torch.arange(dp1, device=device)
    keys = (image[:, None] * dp1 + rvec) * total + base[:, None] - correction
    # One step along axis k: coordinate i moves by +1, except i == k by -d.
    offsets = torch.zeros(dp1, dp1, dtype=torch.int64)
    for k in range(dp1):
        for r in range(dp1):
            step = 0
            for i in range(dim):
                if i == k and r < dim:
                    step -= strides[i]
                elif i != k and r == dim:
                    step += strides[i]
            offsets[k, r] = step + ((r + 1) % dp1 - r) * total
    return keys, offsets.to(device), total


@dataclass
class PermutohedralLattice:
    """Splat, blur and slice matrices of one lattice (a batch of images).

    ``apply(x) = slice @ B_d @ ... @ B_0 @ splat @ x`` approximates
    ``c * sum_j exp(-|f_i - f_j|^2 / 2) x_j``; ``c`` is about
    ``2^(d+1) / (sqrt(d+1) (4 pi / 3)^(d/2))`` (0.73 for d = 5) where the
    features are densely sampled and smaller where they are sparse.

    Attributes:
        splat (SparseRows): (M, P) points to lattice vertices.
        slice (SparseRows): (P, M), ``d + 1`` entries per point; the
            transpose of ``splat``.
        neighbours (list): per lattice axis, ``(plus, minus)`` (M,) int64
            vertex indices, -1 where the neighbour does not exist.
        groups (list[tuple]): consecutive axes blurred by one matrix.
        blurs (list[SparseRows]): (M, M) per group, the product of its axes'
            ``[1/2, 1, 1/2]`` blurs (see ``blur_groups.py``).
        dim (int): feature dimension d.
    """

    splat: SparseRows
    slice: SparseRows
    neighbours: list
    groups: list
    blurs: list
    dim: int
    _transposed: list | None = None
    _scratch: tuple | None = None

    @property
    def num_points(self) -> int:
        return self.slice.num_rows

    @property
    def num_vertices(self) -> int:
        return self.splat.num_rows

    def blur(self, hidden: Tensor, transpose: bool = False,
             buffers: tuple | None = None) -> Tensor:
        """Blur lattice values (M, C) along every axis, in order 0..d.

        Args:
            hidden (Tensor): (M, C) lattice values.
            transpose (bool): apply the transposed operator (axes d..0).
            buffers (tuple, optional): two (M, C) tensors to alternate between
                instead of allocating one per group (no autograd).

        Returns:
            Tensor: (M, C), possibly one of ``buffers``.
        """
        if transpose:
            if self._transposed is None:
                self._transposed = [
                    grouped_blur_matrix(group[::-1], self.neighbours,
                                        self.splat.weights.dtype)
                    for group in reversed(self.groups)]
            blurs = self._transposed
        else:
            blurs = self.blurs
        if buffers is None and len(blurs) > 1:
            # Intermediate groups go to scratch kept with the lattice (it is
            # not saved for autograd); only the last output is fresh.
            scratch = self._scratch
            if scratch is None or scratch[0].shape != hidden.shape or \
                    scratch[0].dtype != hidden.dtype or \
                    scratch[0].device != hidden.device:
                scratch = (torch.empty_like(hidden), torch.empty_like(hidden))
                self._scratch = scratch
            for step, blur in enumerate(blurs[:-1]):
                hidden = blur.matmul(hidden, out=scratch[step % 2])
            return blurs[-1].matmul(hidden)
        for step, blur in enumerate(blurs):
            out = None if buffers is None else buffers[step % 2]
            hidden = blur.matmul(hidden, out=out)
        return hidden

    def apply(self, values: Tensor) -> Tensor:
        """``slice @ blur @ splat @ values`` for values (P, C)."""
        return self.slice.matmul(self.blur(self.splat.matmul(values)))


def _neighbours(unique_keys: Tensor, query: Tensor) -> tuple[Tensor, Tensor]:
    """Index of each vertex's + neighbour (the vertex whose key is ``query``)
    and - neighbour along one axis, -1 where the lattice has none."""
    num = unique_keys.numel()
    dtype = index_dtype_for(num + 1)
    pos = torch.searchsorted(unique_keys, query)
    pos.clamp_(max=num - 1)
    found = unique_keys[pos] == query
    src = torch.nonzero(found).squeeze(1)
    dst = pos[src].to(dtype)
    src = src.to(dtype)
    plus = torch.full((num, ), -1, dtype=dtype, device=pos.device)
    minus = torch.full_like(plus, -1)
    plus[src] = dst
    minus[dst] = src
    return plus, minus


def build_permutohedral_lattice(features: Tensor) -> PermutohedralLattice:
    """Build the lattice for a batch of point sets.

    Args:
        features (Tensor): (B, N, d) float, each point's features divided by
            the kernel widths; images of the batch never interact.

    Returns:
        PermutohedralLattice: operator over the ``P = B * N`` points, rows in
        ``(image, point)`` order.
    """
    if features.dim() != 3 or features.shape[2] < 1 or features.shape[1] < 1:
        raise ValueError('permutohedral.py: features must be (B, N>=1, d>=1), '
                         f'got {tuple(features.shape)}')
    num_images, num_points, dim = features.shape
    dp1 = dim + 1
    total = num_images * num_points
    flat = features.reshape(total, dim)
    elevated = flat @ elevation_matrix(dim, flat.dtype, flat.device)
    # Rounding to lattice points needs an absolute precision well below 1.
    span = float(elevated.abs().max()) if total else 0.0
    if span * torch.finfo(flat.dtype).eps > 1e-2:
        raise ValueError(
            f'permutohedral.py: features are too far apart for '
            f'{str(flat.dtype).replace("torch.", "")} ({span:.3g} lattice '
            'units); increase the theta values or use float64 features')
    rem0, rank, bary = enclosing_simplex(elevated)
    keys, nb_offsets, block_size = _vertex_keys(rem0, rank, num_images)
    del rem0, rank, elevated
    # One sort deduplicates the vertices and groups splat entries by vertex.
    sorted_keys, order = torch.sort(keys.view(-1))
    del keys
    is_new = torch.ones_like(sorted_keys, dtype=torch.bool)
    torch.ne(sorted_keys[1:], sorted_keys[:-1], out=is_new[1:])
    starts = torch.nonzero(is_new).squeeze(1)
    unique_keys = sorted_keys[starts]
    num_vertices = unique_keys.numel()
    idx_dtype = index_dtype_for(max(total * dp1, num_vertices) + 1)
    vertex_of_sorted = torch.cumsum(is_new, 0, dtype=idx_dtype) - 1
    vertex_of_entry = torch.empty_like(vertex_of_sorted)
    vertex_of_entry[order] = vertex_of_sorted
    bary_flat = bary.reshape(-1)
    splat_offsets = torch.cat([starts, starts.new_tensor([total * dp1])])
    splat = SparseRows((order // dp1).to(idx_dtype),
                       splat_offsets.to(idx_dtype), bary_flat[order], total)
    slice_offsets = torch.arange(0, total * dp1 + 1, dp1, dtype=idx_dtype,
                                 device=flat.device)
    slice_ = SparseRows(vertex_of_entry, slice_offsets, bary_flat,
                        num_vertices)
    remainder = torch.div(unique_keys, block_size, rounding_mode='floor') % dp1
    neighbours = [
        _neighbours(unique_keys, unique_keys + nb_offsets[k][remainder])
        for k in range(dp1)
    ]
    groups = group_axes(neighbours, num_vertices)
    blurs = [grouped_blur_matrix(group, neighbours, flat.dtype)
             for group in groups]
    return PermutohedralLattice(splat, slice_, neighbours, groups, blurs, dim)
