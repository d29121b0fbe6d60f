"""The mean field's filtering through permutohedral lattices, kernels fused.

Implements :class:`~.mean_field.MeanFieldPlan` for lattice kernels ``m``
with splat ``S_m``, blur ``B_m`` and slice ``T_m`` (scaled as
``lattice_filter.py`` says).  One update is

    out = z - sum_m T_m B_m S_m q A_m^T  (+ the self terms of 'none').

- The slice and the C x C mixing ``A_m`` commute (one acts on rows, the
  other on channels), so a dense ``A_m`` mixes the lattice values (``M_m``
  rows, usually fewer than the ``P`` pixels).  A Potts ``A_m = a (J - I)``
  needs no product at all (``mean_field.py``): the lattice values are
  scaled by ``a`` and the per-pixel constant ``a * message_m(1)`` is taken
  off the unaries once.
- The mixed lattice values of all kernels and the unaries' rows share one
  table, so a single ``embedding_bag`` per block of pixels slices every
  kernel and adds the unaries (each pixel's bag: its ``d_m + 1`` vertices
  per kernel and its own unary row).  A lattice with more vertices than
  pixels (a noise image under a narrow colour kernel) is sliced on its own
  and mixed after slicing.
- The pixel side runs block by block of rows that stay in cache (slice,
  self term, softmax or its Jacobian, and the transposing reads and writes
  of the (B, C, N) unaries and output): on CPU a pass over a fresh (P, C)
  tensor costs more in memory traffic than the arithmetic.

The adjoint mirrors it with the transposed matrices (splat weighted by the
output scale, blur transposed, slice weighted by the input scale), and
``dL/dA_m = -gb_m^T sp_m`` on the lattice, from the adjoint's blurred splat
``gb_m`` and the forward's splat ``sp_m`` of the same iteration.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from .mean_field import (block_rows, pixel_blocks, potts_weight,
                         softmax_backward, softmax_rows)
from .sparse_rows import index_dtype_for


@dataclass
class _Direction:
    """Per-call settings of one direction (forward or adjoint).

    Attributes:
        columns, weights (Tensor): (P * E,) the fused slice: each pixel's
            table rows and weights.
        entries (int): E, bag size.
        table (Tensor): (table rows, C) the fused table.
        mix (list): per kernel, ``('scale', a)`` (Potts), ``('mm', X)``
            (dense: lattice values times X before slicing), or for kernels
            sliced on their own ``('pixel', X or None, slice weights)``.
        self_mix (Tensor | None): (C, C), ``v @ self_mix`` added per pixel.
    """

    columns: Tensor
    weights: Tensor
    entries: int
    table: Tensor
    mix: list
    self_mix: Tensor | None


class LatticeMeanFieldPlan:
    """Fused mean-field filtering for several lattice kernels.

    Args:
        filters (list[LatticeGaussianFilter]): one per kernel, over the same
            points, with the same ``normalize`` mode.
        num_images (int): B; the points are B images of equal size.
    """

    def __init__(self, filters: list, num_images: int = 1) -> None:
        self.filters = filters
        points = filters[0].num_points
        self.num_points = points
        self.num_images = num_images
        self.per_image = points // num_images
        sizes = [f.num_vertices for f in filters]
        self.fused = [m for m, size in enumerate(sizes) if size <= points]
        starts, total = {}, 0
        for m in self.fused:
            starts[m] = total
            total += sizes[m]
        self.table_starts = starts
        self.unary_start = total
        self.dtype = index_dtype_for(total + points + 1)
        self._offsets = {}

    def _fused_slice(self, weights: list, with_unary: bool) -> tuple:
        """(P * E,) columns and weights of the fused slice."""
        points = self.num_points
        columns, values = [], []
        for m in self.fused:
            lat = self.filters[m].lattice
            entries = lat.dim + 1
            columns.append(lat.slice.columns.view(points, entries).to(
                self.dtype) + self.table_starts[m])
            values.append(weights[m].view(points, entries))
        if with_unary:
            device = weights[0].device
            columns.append(torch.arange(
                self.unary_start, self.unary_start + points,
                dtype=self.dtype, device=device)[:, None])
            values.append(weights[0].new_ones(points, 1))
        if not columns:
            empty = weights[0].new_zeros(0)
            return empty.to(self.dtype), empty, 0
        columns = torch.cat(columns, 1)
        return (columns.view(-1), torch.cat(values, 1).view(-1),
                columns.shape[1])

    def _offsets_for(self, entries: int, rows: int, like: Tensor) -> Tensor:
        key = (entries, rows, like.dtype, like.device)
        if key not in self._offsets:
            self._offsets[key] = torch.arange(
                0, rows * entries + 1, entries, dtype=like.dtype,
                device=like.device)
        return self._offsets[key]

    def _direction(self, compat: list, potts: list, transpose: bool,
                   table: Tensor) -> _Direction:
        slice_weights, mix, self_mix = [], [], None
        for m, (filt, mat, weight) in enumerate(
                zip(self.filters, compat, potts)):
            base = (filt.prepare_transpose()[1] if transpose
                    else filt.slice_weights)
            slice_weights.append(base)
            dense = None if weight is not None else (
                -mat if transpose else -mat.t())
            if m not in self.table_starts:
                pixel_weights = base if weight is None else base * weight
                mix.append(('pixel', dense, pixel_weights))
            else:
                mix.append(('scale', weight) if dense is None
                           else ('mm', dense))
            if filt.self_term:
                # out += t v (-A^T) (adjoint: t v (-A)); Potts: + t a v.
                term = (filt.self_term * dense if dense is not None
                        else filt.self_term * weight * torch.eye(
                            mat.shape[0], dtype=mat.dtype,
                            device=mat.device))
                self_mix = term if self_mix is None else self_mix + term
        columns, weights, entries = self._fused_slice(
            slice_weights, with_unary=not transpose)
        return _Direction(columns, weights, entries, table, mix, self_mix)

    def prepare(self, compat: list, track: bool, unary: Tensor,
                lease, track_compat: bool) -> dict:
        """Potts weights, the fused slices and tables; the unaries (minus
        the Potts constants) are copied into the forward table."""
        potts = [potts_weight(mat) for mat in compat]
        num, classes, per_image = unary.shape
        rows = self.unary_start + self.num_points
        table = lease.empty((rows, classes), unary.dtype, unary.device)
        constant = None
        for filt, weight in zip(self.filters, potts):
            if weight is not None and weight != 0:
                part = weight * filt.message_of_ones
                constant = part if constant is None else constant + part
        unary_rows = table[self.unary_start:]
        for image, p0, p1, r0, r1 in pixel_blocks(num, per_image,
                                                  block_rows(table)):
            rows_block = unary_rows[r0:r1]
            rows_block.copy_(unary[image, :, p0:p1].t())
            if constant is not None:
                rows_block.sub_(constant[r0:r1, None])
        state = dict(forward=self._direction(compat, potts, False, table),
                     keep_splats=track_compat)
        if track:
            adjoint_table = lease.empty((self.unary_start, classes),
                                        unary.dtype, unary.device)
            state['adjoint'] = self._direction(compat, potts, True,
                                               adjoint_table)
        return state

    def initial(self, state: dict, q: Tensor) -> None:
        unary_rows = state['forward'].table[self.unary_start:]
        block = min(block_rows(q), self.num_points)
        for r0 in range(0, self.num_points, block):
            softmax_rows(unary_rows[r0:r0 + block].clone(), q[r0:r0 + block])

    def _fill_table(self, direction: _Direction, values: list) -> list:
        """Write each fused kernel's (mixed) lattice values into the table;
        return the others as ``(blurred, mix, slice weights)``."""
        outside = []
        for m, (blurred, (kind, *arg)) in enumerate(zip(values,
                                                        direction.mix)):
            if kind == 'pixel':
                outside.append((m, blurred, *arg))
                continue
            start = self.table_starts[m]
            slot = direction.table[start:start + blurred.shape[0]]
            if kind == 'mm':
                torch.mm(blurred, arg[0], out=slot)
            else:
                torch.mul(blurred, arg[0], out=slot)
        return outside

    def _pixel_pass(self, direction: _Direction, outside: list,
                    values: Tensor, finish) -> None:
        """For each block: the fused slice (and the unaries), the kernels
        sliced on their own, the self term of ``values``; then
        ``finish(block_sum, image, p0, p1, r0, r1)``."""
        classes = values.shape[1]
        rows = block_rows(values)
        entries = direction.entries
        for image, p0, p1, r0, r1 in pixel_blocks(
                self.num_images, self.per_image, rows):
            if entries:
                acc = F.embedding_bag(
                    direction.columns[r0 * entries:r1 * entries],
                    direction.table,
                    self._offsets_for(entries, r1 - r0, direction.columns),
                    mode='sum',
                    per_sample_weights=direction.weights[
                        r0 * entries:r1 * entries],
                    include_last_offset=True)
            else:
                acc = values.new_zeros(r1 - r0, classes)
            for m, blurred, mat, weights in outside:
                lat = self.filters[m].lattice
                k = lat.dim + 1
                part = F.embedding_bag(
                    lat.slice.columns[r0 * k:r1 * k], blurred,
                    self._offsets_for(k, r1 - r0, lat.slice.columns),
                    mode='sum', per_sample_weights=weights[r0 * k:r1 * k],
                    include_last_offset=True)
                if mat is None:
                    acc.add_(part)
                else:
                    acc.addmm_(part, mat)
            if direction.self_mix is not None:
                acc.addmm_(values[r0:r1], direction.self_mix)
            finish(acc, image, p0, p1, r0, r1)

    def update(self, q: Tensor, state: dict, target: Tensor,
               softmax: bool) -> list | None:
        direction = state['forward']
        splats, blurred = [], []
        for filt in self.filters:
            splat = filt.lattice.splat.matmul(q, filt.splat_weights)
            splats.append(splat)
            blurred.append(filt.lattice.blur(splat))
        outside = self._fill_table(direction, blurred)
        del blurred

        def finish(acc, image, p0, p1, r0, r1) -> None:
            if softmax:
                softmax_rows(acc, target[r0:r1])
            else:
                target[image, :, p0:p1].copy_(acc.t())

        self._pixel_pass(direction, outside, q, finish)
        return splats if state['keep_splats'] else None

    def adjoint(self, grad: Tensor, q: Tensor, splats: list, state: dict,
                grad_compat: list, target: Tensor, grad_unary: Tensor,
                out: Tensor | None = None) -> None:
        direction = state['adjoint']
        blurred = []
        for m, filt in enumerate(self.filters):
            lat = filt.lattice
            gb = lat.blur(lat.splat.matmul(grad, filt.prepare_transpose()[0]),
                          transpose=True)
            if grad_compat is not None:
                grad_compat[m].addmm_(gb.t(), splats[m], alpha=-1)
                if filt.self_term:
                    grad_compat[m].addmm_(grad.t(), q, alpha=-filt.self_term)
            blurred.append(gb)
        outside = self._fill_table(direction, blurred)
        del blurred

        def finish(acc, image, p0, p1, r0, r1) -> None:
            if out is None:
                grad_unary[r0:r1] += softmax_backward(acc, q[r0:r1],
                                                      target[r0:r1])
            else:
                total = softmax_backward(acc, q[r0:r1], target[r0:r1])
                out[image, :, p0:p1].copy_(total.add_(grad_unary[r0:r1]).t())

        self._pixel_pass(direction, outside, grad, finish)
