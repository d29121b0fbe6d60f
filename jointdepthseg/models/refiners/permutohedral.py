"""Permutohedral lattice for fast high-dimensional Gaussian filtering.

Adams, Baek & Davis, "Fast High-Dimensional Filtering Using the Permutohedral
Lattice", Eurographics 2010; used by the fully connected CRF (Krähenbühl &
Koltun 2011, Zheng et al. 2015) and by section 3.4 of the paper.

The filter approximates ``sum_j exp(-|f_i - f_j|^2 / 2) v_j`` (up to a scale)
for features ``f`` already divided by their kernel widths (theta).  Points
are lifted onto the hyperplane ``x_0 + ... + x_d = 0``, splatted with
barycentric weights onto the ``d + 1`` vertices of their enclosing lattice
simplex, blurred with ``[1/2, 1, 1/2]`` along each of the ``d + 1`` lattice
axes, and sliced back with the same weights (``lattice_geometry.py``).  Each
stage is a fixed sparse matrix (:class:`SparseRows`), built once per image
and kernel (``lattice_build.py``, vectorised, no hash table, CPU and CUDA)
and reused by every mean-field iteration.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from .blur_groups import group_axes, grouped_blur_matrix
from .lattice_build import (blur_neighbours, remainder_vertices, splat_rows,
                            unique_simplices, vertex_numbering)
from .lattice_geometry import (KeyPacking, elevation_matrix,
                               enclosing_simplex, vertex_corrections)
from .sparse_rows import SparseRows, index_dtype_for


@dataclass
class PermutohedralLattice:
    """Splat, blur and slice matrices of one lattice (a batch of images).

    ``apply(x) = slice @ B_d @ ... @ B_0 @ splat @ x`` approximates
    ``c * sum_j exp(-|f_i - f_j|^2 / 2) x_j``; ``c`` is about
    ``2^(d+1) / (sqrt(d+1) (4 pi / 3)^(d/2))`` (0.73 for d = 5) where the
    features are densely sampled and smaller where they are sparse.

    Attributes:
        splat (SparseRows): (M, P) points to lattice vertices.
        slice (SparseRows): (P, M), ``d + 1`` entries per point (one per
            remainder, in order); the transpose of ``splat``.
        neighbours (list): per lattice axis, ``(plus, minus)`` (M,) vertex
            indices, -1 where the neighbour does not exist.
        groups (list[tuple]): consecutive axes blurred by one matrix.
        blurs (list[SparseRows]): (M, M) per group, the product of its axes'
            ``[1/2, 1, 1/2]`` blurs (see ``blur_groups.py``).
        dim (int): feature dimension d.
        transposed_blurs (list[SparseRows] | None): the transposed groups in
            application order, built by :meth:`prepare_transpose` (backward
            passes only); a one-axis blur is its own transpose.
    """

    splat: SparseRows
    slice: SparseRows
    neighbours: list
    groups: list
    blurs: list
    dim: int
    transposed_blurs: list | None = None

    @property
    def num_points(self) -> int:
        return self.slice.num_rows

    @property
    def num_vertices(self) -> int:
        return self.splat.num_rows

    def prepare_transpose(self) -> None:
        """Build the transposed blur groups (once; needed by backward)."""
        if self.transposed_blurs is not None:
            return
        dtype = self.splat.weights.dtype
        self.transposed_blurs = [
            blur if len(group) == 1 else grouped_blur_matrix(
                group[::-1], self.neighbours, dtype)
            for group, blur in zip(reversed(self.groups),
                                   reversed(self.blurs))]

    def blur(self, hidden: Tensor, transpose: bool = False) -> Tensor:
        """Blur lattice values (M, C) along every axis, in order 0..d (or
        the transposed operator, axes d..0)."""
        if transpose:
            self.prepare_transpose()
            blurs = self.transposed_blurs
        else:
            blurs = self.blurs
        for blur in blurs:
            hidden = blur.matmul(hidden)
        return hidden

    def apply(self, values: Tensor, transpose: bool = False) -> Tensor:
        """``slice @ blur @ splat @ values`` (P, C), or with the blur
        transposed: the transposed operator (splat and slice are each
        other's transpose)."""
        return self.slice.matmul(self.blur(self.splat.matmul(values),
                                           transpose))


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
    num_images, num_per_image, dim = features.shape
    dp1 = dim + 1
    points = num_images * num_per_image
    device, dtype = features.device, features.dtype
    flat = features.reshape(points, dim)
    elevated = (flat @ elevation_matrix(dim, dtype, device)).t().contiguous()
    # Rounding to lattice points needs an absolute precision well below 1.
    span = float(elevated.abs().max()) if points else 0.0
    if span * torch.finfo(dtype).eps > 1e-2:
        raise ValueError(
            f'permutohedral.py: features are too far apart for '
            f'{str(dtype).replace("torch.", "")} ({span:.3g} lattice '
            'units); increase the theta values or use float64 features')
    rem0, rank, bary = enclosing_simplex(elevated)
    del elevated
    image = None
    if num_images > 1:
        image = torch.arange(num_images, device=device).repeat_interleave(
            num_per_image)
    packing = KeyPacking.covering(rem0, num_images)
    if packing.key_range * dp1 >= 2**62:
        raise ValueError(
            'permutohedral.py: lattice key range overflows int64 (the '
            'features span too many kernel widths); increase the theta '
            'values')
    order, starts, simplex_of_point = unique_simplices(rem0, rank, image,
                                                       packing)
    first = order.index_select(0, starts[:-1])
    base_keys = packing.pack(
        rem0.index_select(1, first),
        None if image is None else image.index_select(0, first))
    corrections = vertex_corrections(rank.index_select(1, first),
                                     packing.strides)
    del rem0, rank
    key_dtype = torch.int32 if packing.key_range < 2**31 else torch.int64
    blocks = [remainder_vertices((base_keys - corrections[r]).to(key_dtype),
                                 first) for r in range(dp1)]
    del base_keys, corrections, first
    new_of_old = vertex_numbering([b[4] for b in blocks], points)
    num_vertices = new_of_old.numel()
    index_dtype = index_dtype_for(max(points * dp1, num_vertices) + 1)
    slice_columns, base = [], 0
    for block in blocks:
        vertex = new_of_old.index_select(0, block[1] + base)
        slice_columns.append(vertex.index_select(0, simplex_of_point))
        base += block[0].numel()
    slice_ = SparseRows(
        torch.stack(slice_columns, 1).to(index_dtype).view(-1),
        torch.arange(0, points * dp1 + 1, dp1, dtype=index_dtype,
                     device=device),
        bary.t().contiguous().view(-1), num_vertices)
    del slice_columns, simplex_of_point
    splat = SparseRows(*splat_rows(blocks, new_of_old, order, starts, bary,
                                   index_dtype), points)
    del order, starts
    neighbours = blur_neighbours([b[0] for b in blocks], new_of_old, packing,
                                 dim, index_dtype_for(num_vertices + 1))
    del blocks
    groups = group_axes(neighbours, num_vertices)
    blurs = [grouped_blur_matrix(group, neighbours, dtype)
             for group in groups]
    return PermutohedralLattice(splat, slice_, neighbours, groups, blurs, dim)
