"""All lattice kernels of the CRF fused into a few sparse products.

For kernels ``m`` with lattice matrices splat ``S_m``, blur ``B_m`` and
(scaled) slice ``T_m``, one mean-field update is

    out = z - sum_m T_m B_m S_m q A_m^T.

The slice and the C x C mixing ``A_m`` commute (one acts on rows, the other
on channels), so the mixing runs on the lattice (``M_m`` rows, usually far
fewer than the ``P`` pixels) and a single ``embedding_bag`` slices every
kernel and adds the unaries: each pixel's bag holds its ``d_m + 1`` vertices
per kernel plus its own unary row.  Without autograd one splat likewise fills
all lattices.
Lattices with more vertices than pixels (a noise image under a narrow colour
kernel) are sliced to pixels first and mixed there.

Two paths share these matrices: ``__call__`` is one differentiable update
(fresh tensors, custom backward through the transposed matrices), and
:meth:`LatticeMessagePassing.run_in_buffers` runs the whole inference without
autograd in a few buffers reused across iterations, the softmax fused into
the slice block by block (on CPU a fresh multi-megabyte tensor costs more in
page faults than the arithmetic that fills it).
"""
from __future__ import annotations

from functools import cached_property

import torch
from torch import Tensor

from .lattice_filter import lattice_blur
from .sparse_rows import SparseRows, index_dtype_for


def _concat_rows(parts: list, num_cols: int, dtype: torch.dtype) -> SparseRows:
    """Stack SparseRows vertically; ``parts``: ``(rows, weights or None)``."""
    columns, offsets, weights, base = [], [], [], 0
    for rows, w in parts:
        columns.append(rows.columns.to(dtype))
        offsets.append(rows.offsets[:-1].to(dtype) + base)
        weights.append(rows.weights if w is None else w)
        base += rows.columns.numel()
    offsets.append(torch.tensor([base], dtype=dtype,
                                device=columns[0].device))
    return SparseRows(torch.cat(columns), torch.cat(offsets),
                      torch.cat(weights), num_cols)


def _side_by_side(parts: list, num_cols: int,
                  dtype: torch.dtype) -> SparseRows:
    """Join matrices with a fixed number of entries per row side by side.

    Args:
        parts (list): ``(columns (P, k), weights (P, k), column_offset)``.
    """
    columns = torch.cat([c.to(dtype) + off for c, _, off in parts], 1)
    weights = torch.cat([w for _, w, _ in parts], 1)
    num_rows, width = columns.shape
    offsets = torch.arange(0, num_rows * width + 1, width, dtype=dtype,
                           device=columns.device)
    return SparseRows(columns.reshape(-1), offsets, weights.reshape(-1),
                      num_cols)


class _SliceWithUnary(torch.autograd.Function):
    """``out = z + slice([mixed_1; ...; mixed_K])``, one ``embedding_bag``."""

    @staticmethod
    def forward(ctx, plan: 'LatticeMessagePassing', unary: Tensor,
                *mixed: Tensor) -> Tensor:
        ctx.plan = plan
        table = unary.new_empty(plan.slice_plan.num_cols, unary.shape[1])
        table[plan.table_unary_start:].copy_(unary)
        for (start, size), block in zip(plan.table_blocks, mixed):
            table[start:start + size].copy_(block)
        return plan.slice_plan.matmul(table)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad: Tensor):
        plan = ctx.plan
        grad_table = plan.slice_transpose.matmul(grad.contiguous())
        grads = [grad_table[start:start + size]
                 for start, size in plan.table_blocks]
        return (None, grad_table[plan.table_unary_start:], *grads)


class LatticeMessagePassing:
    """Fused pairwise update for several permutohedral-lattice kernels.

    Args:
        filters (list[LatticeGaussianFilter]): one per kernel, over the same
            points, with the same ``normalize`` mode.
    """

    def __init__(self, filters: list) -> None:
        self.filters = filters
        self.self_term = filters[0].self_term
        points = filters[0].lattice.num_points
        self.num_points = points
        vertices = [f.num_vertices for f in filters]
        total = sum(f.lattice.dim + 1 for f in filters) * points
        dtype = index_dtype_for(max(total, sum(vertices) + points) + 1)
        starts = [sum(vertices[:m]) for m in range(len(filters))]
        self.hidden_blocks = list(zip(starts, vertices))
        self._index_dtype = dtype
        self.on_lattice = [v <= points for v in vertices]
        mixed = [m for m, flag in enumerate(self.on_lattice) if flag]
        table_starts = [sum(vertices[m] for m in mixed[:i])
                        for i in range(len(mixed))]
        self.table_blocks = [(s, vertices[m])
                             for s, m in zip(table_starts, mixed)]
        self.table_unary_start = sum(vertices[m] for m in mixed)
        ones = filters[0].slice_weights.new_ones(points, 1)
        identity = torch.arange(points, device=ones.device)[:, None]
        self.slice_plan = _side_by_side(
            [(filters[m].lattice.slice.columns.view(points, -1),
              filters[m].slice_weights.view(points, -1), start)
             for m, start in zip(mixed, table_starts)]
            + [(identity, ones, self.table_unary_start)],
            self.table_unary_start + points, dtype)
        self._mixed = mixed

    @cached_property
    def splat(self) -> SparseRows:
        """All lattices' splats stacked: (sum M, P) (no-autograd path)."""
        return _concat_rows([(f.lattice.splat, f.splat_in_weights)
                             for f in self.filters],
                            self.num_points, self._index_dtype)

    @cached_property
    def slice_transpose(self) -> SparseRows:
        """Transpose of ``slice_plan`` (its backward)."""
        dtype, points = self._index_dtype, self.num_points
        weights = self.filters[0].slice_weights
        unary_rows = SparseRows(
            torch.arange(points, dtype=dtype, device=weights.device),
            torch.arange(points + 1, dtype=dtype, device=weights.device),
            weights.new_ones(points), points)
        return _concat_rows(
            [(self.filters[m].lattice.splat, self.filters[m].splat_weights)
             for m in self._mixed] + [(unary_rows, None)], points, dtype)

    def __call__(self, unary: Tensor, q: Tensor, compat: list) -> Tensor:
        """Differentiable ``out = z - sum_m message_m(q) @ A_m^T``, (P, C)."""
        mixed, outside = [], []
        for filt, mat, flag in zip(self.filters, compat, self.on_lattice):
            # One splat per kernel: slicing a combined one would make its
            # backward fill a zero gradient of every lattice per kernel.
            blurred = lattice_blur(filt.splat(q), filt.lattice)
            if flag:
                mixed.append(blurred @ (-mat.t()))
            else:
                outside.append((filt, blurred, mat))
        out = _SliceWithUnary.apply(self, unary, *mixed)
        for filt, blurred, mat in outside:
            out = out - filt.slice(blurred) @ mat.t()
        if self.self_term:
            out = out - self.self_term * (q @ sum(compat).t())
        return out

    def run_in_buffers(self, unary: Tensor, compat: list, num_iters: int,
                       workspace: dict | None = None) -> Tensor:
        """Whole mean-field inference without autograd, in reused buffers.

        Args:
            unary (Tensor): (B, C, H, W) logits, ``B * H * W`` points.
            compat (list[Tensor]): (C, C) ``A_m`` per kernel.
            num_iters (int): iterations, >= 1.
            workspace (dict, optional): buffers kept by the caller between
                calls (name -> tensor, grown as needed), which spares
                page-faulting fresh memory on every call.

        Returns:
            Tensor: (B, C, H, W) ``out`` of the last iteration (fresh).
        """
        num, classes, height, width = unary.shape
        points = self.num_points
        space = {} if workspace is None else workspace

        def buffer(name: str, rows: int) -> Tensor:
            buf = space.get(name)
            if (buf is None or buf.numel() < rows * classes
                    or buf.dtype != unary.dtype or buf.device != unary.device):
                buf = unary.new_empty(rows * classes)
                space[name] = buf
            return buf[:rows * classes].view(rows, classes)

        table = buffer('table', self.slice_plan.num_cols)
        tail = table[self.table_unary_start:]
        tail.view(num, height, width, classes).copy_(unary.permute(0, 2, 3, 1))
        extra = self.self_term != 0 or not all(self.on_lattice)
        unary_rows = tail
        if extra:
            unary_rows = buffer('unary', points)
            unary_rows.copy_(tail)
        q = buffer('q', points)
        torch.softmax(unary_rows, 1, out=q)
        result = unary.new_empty(num, classes, height, width)
        result_rows = result.view(num, classes, height * width).transpose(1, 2)
        hidden_buf = buffer('hidden', self.splat.num_rows)
        largest = max(size for _, size in self.hidden_blocks)
        pingpong = (buffer('blur_a', largest), buffer('blur_b', largest))
        message = buffer('message', points) if extra else None
        blocks = dict(zip(self._mixed, self.table_blocks))
        for it in range(num_iters):
            hidden = self.splat.matmul_into(q, hidden_buf)
            if extra:
                tail.copy_(unary_rows)
            for m, (filt, (start, size), mat) in enumerate(
                    zip(self.filters, self.hidden_blocks, compat)):
                blurred = filt.lattice.blur(
                    hidden[start:start + size],
                    buffers=(pingpong[0][:size], pingpong[1][:size]))
                if self.on_lattice[m]:
                    t_start, _ = blocks[m]
                    torch.mm(blurred, -mat.t(),
                             out=table[t_start:t_start + size])
                else:
                    sliced = filt.lattice.slice.matmul_into(
                        blurred, message, filt.slice_weights)
                    tail.addmm_(sliced, mat.t(), alpha=-1)
            if self.self_term:
                tail.addmm_(q, sum(compat).t(), alpha=-self.self_term)
            last = it == num_iters - 1
            for r0, r1, block in self.slice_plan.row_blocks(table):
                if last:
                    _write_rows(result_rows, r0, block, height * width)
                else:
                    torch.softmax(block, 1, out=q[r0:r1])
        return result


def _write_rows(result_rows: Tensor, row0: int, block: Tensor,
                per_image: int, step: int = 4096) -> None:
    """Copy rows ``row0:row0+len(block)`` of the flat (B*H*W, C) output into
    ``result_rows`` (B, H*W, C), a transposed view of the (B, C, H, W) result.

    The transposing copy goes ``step`` rows at a time, which keeps both sides
    in cache (three times faster than one strided copy on CPU).
    """
    done = 0
    while done < block.shape[0]:
        image, pixel = divmod(row0 + done, per_image)
        count = min(block.shape[0] - done, per_image - pixel, step)
        result_rows[image, pixel:pixel + count].copy_(block[done:done + count])
        done += count
