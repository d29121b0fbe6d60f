"""Row-sparse linear maps applied with ``embedding_bag``, and their autograd.

Every stage of the permutohedral filter (splat, blur along one lattice axis,
slice) is a sparse matrix with a handful of non-zeros per row.  Stored in
compressed-row form (column indices, row offsets, weights) and applied with
``embedding_bag(mode='sum', per_sample_weights=...)``, each stage is one
fused, vectorised gather-multiply-add over rows of ``C`` channels that runs
unchanged on CPU (FBGEMM) and CUDA tensors.

:class:`SparseMatmul` makes such a product differentiable with respect to the
dense operand: its backward applies the transposed matrix, given as another
:class:`SparseRows` (for the lattice, splat and slice are each other's
transpose and every blur is symmetric), so no autograd graph is recorded
inside ``embedding_bag``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor


# Rows per embedding_bag call in matmul_into: outputs stay a few MB, so on CPU
# glibc recycles them from its heap instead of mapping (and page-faulting)
# fresh memory for every call; a fresh 49 MB tensor costs more in page faults
# than the arithmetic that fills it.
CHUNK_BYTES = 4 << 20


def index_dtype_for(count: int) -> torch.dtype:
    """int32 when ``count`` fits (half the memory traffic), else int64."""
    return torch.int32 if count < 2**31 - 1 else torch.int64


@dataclass
class SparseRows:
    """A sparse ``(num_rows, num_cols)`` matrix in compressed-row form.

    Attributes:
        columns (Tensor): (nnz,) int32/int64, column of each non-zero, grouped
            by row.
        offsets (Tensor): (num_rows + 1,) same dtype as ``columns``; row ``r``
            owns entries ``offsets[r]:offsets[r + 1]``.
        weights (Tensor): (nnz,) float, the non-zero values.
        num_cols (int): number of columns (rows of the matrix it multiplies).
    """

    columns: Tensor
    offsets: Tensor
    weights: Tensor
    num_cols: int
    _chunks: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def num_rows(self) -> int:
        return self.offsets.numel() - 1

    @classmethod
    def from_row_counts(cls, columns: Tensor, row_counts: Tensor,
                        weights: Tensor, num_cols: int) -> 'SparseRows':
        """Build from entries already grouped by row and per-row counts.

        Args:
            columns (Tensor): (nnz,) integer column indices, grouped by row.
            row_counts (Tensor): (num_rows,) integer entries per row.
            weights (Tensor): (nnz,) float values.
            num_cols (int): number of columns.
        """
        dtype = index_dtype_for(max(columns.numel(), num_cols) + 1)
        offsets = torch.zeros(row_counts.numel() + 1, dtype=dtype,
                              device=columns.device)
        torch.cumsum(row_counts, 0, dtype=dtype, out=offsets[1:])
        return cls(columns.to(dtype), offsets, weights, num_cols)

    @classmethod
    def from_offsets(cls, columns: Tensor, offsets: Tensor, weights: Tensor,
                     num_cols: int) -> 'SparseRows':
        """Build from entries grouped by row and (num_rows + 1,) offsets."""
        dtype = index_dtype_for(max(columns.numel(), num_cols) + 1)
        return cls(columns.to(dtype), offsets.to(dtype), weights, num_cols)

    def matmul(self, values: Tensor, weights: Tensor | None = None,
               out: Tensor | None = None) -> Tensor:
        """Return ``self @ values``.

        Args:
            values (Tensor): (num_cols, C) float, contiguous.
            weights (Tensor, optional): (nnz,) replacement non-zero values
                (same pattern), e.g. a rescaled copy.
            out (Tensor, optional): (num_rows, C) buffer to write into
                (no autograd), see :meth:`matmul_into`.

        Returns:
            Tensor: (num_rows, C), dtype of ``values``.
        """
        w = self.weights if weights is None else weights
        if w.dtype != values.dtype:
            w = w.to(values.dtype)
        if self.columns.numel() == 0:
            result = values.new_zeros(self.num_rows, values.shape[1])
            return result if out is None else out.copy_(result)
        if out is None:
            return F.embedding_bag(self.columns, values, self.offsets,
                                   mode='sum', per_sample_weights=w,
                                   include_last_offset=True)
        return self.matmul_into(values, out, w)

    def _row_chunks(self, rows_per_chunk: int) -> list:
        """``(row0, row1, entry0, entry1, local offsets)`` per row block."""
        chunks = self._chunks.get(rows_per_chunk)
        if chunks is None:
            bounds = list(range(0, self.num_rows, rows_per_chunk))
            bounds.append(self.num_rows)
            entries = self.offsets[bounds].tolist()
            chunks = [(r0, r1, e0, e1, self.offsets[r0:r1 + 1] - e0)
                      for r0, r1, e0, e1 in zip(bounds[:-1], bounds[1:],
                                                entries[:-1], entries[1:])]
            self._chunks[rows_per_chunk] = chunks
        return chunks

    def row_blocks(self, values: Tensor, weights: Tensor | None = None):
        """Yield ``(row0, row1, (self @ values)[row0:row1])`` block by block.

        On CPU the blocks keep each output under ``CHUNK_BYTES``; elsewhere
        there is one block.  No autograd.
        """
        w = self.weights if weights is None else weights
        if w.dtype != values.dtype:
            w = w.to(values.dtype)
        if values.device.type != 'cpu' or self.columns.numel() == 0:
            yield 0, self.num_rows, self.matmul(values, w)
            return
        row_bytes = values.shape[1] * values.element_size()
        rows = max(256, CHUNK_BYTES // max(row_bytes, 1))
        for r0, r1, e0, e1, offsets in self._row_chunks(rows):
            if e1 == e0:
                yield r0, r1, values.new_zeros(r1 - r0, values.shape[1])
                continue
            yield r0, r1, F.embedding_bag(
                self.columns[e0:e1], values, offsets, mode='sum',
                per_sample_weights=w[e0:e1], include_last_offset=True)

    def matmul_into(self, values: Tensor, out: Tensor,
                    weights: Tensor | None = None) -> Tensor:
        """``self @ values`` written into ``out`` (no autograd).

        On CPU the product is computed in blocks of rows whose outputs stay
        under ``CHUNK_BYTES`` and copied into ``out``; elsewhere it is one
        call (CUDA's caching allocator makes fresh outputs cheap).

        Returns:
            Tensor: ``out`` on CPU, else a fresh (num_rows, C) tensor.
        """
        if values.device.type != 'cpu':
            return self.matmul(values, weights)
        for r0, r1, block in self.row_blocks(values, weights):
            out[r0:r1].copy_(block)
        return out

    def to_dense(self) -> Tensor:
        """Dense ``(num_rows, num_cols)`` copy, for tests on tiny inputs."""
        counts = (self.offsets[1:] - self.offsets[:-1]).long()
        rows = torch.repeat_interleave(
            torch.arange(self.num_rows, device=counts.device), counts)
        dense = self.weights.new_zeros(self.num_rows, self.num_cols)
        dense.index_put_((rows, self.columns.long()), self.weights,
                         accumulate=True)
        return dense


class SparseMatmul(torch.autograd.Function):
    """``y = A x`` with ``A`` sparse and fixed; backward ``A^T g``.

    Call as ``SparseMatmul.apply(x, A, A_weights, AT, AT_weights)`` where
    ``AT`` holds the transpose of ``A`` (weights may be None for the stored
    ones).
    """

    @staticmethod
    def forward(ctx, values: Tensor, matrix: SparseRows,
                weights: Tensor | None, transpose: SparseRows,
                transpose_weights: Tensor | None) -> Tensor:
        ctx.transpose = transpose
        ctx.transpose_weights = transpose_weights
        return matrix.matmul(values.contiguous(), weights)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad: Tensor):
        grad_values = ctx.transpose.matmul(grad.contiguous(),
                                           ctx.transpose_weights)
        return grad_values, None, None, None, None


def sparse_matmul(values: Tensor, matrix: SparseRows, transpose: SparseRows,
                  weights: Tensor | None = None,
                  transpose_weights: Tensor | None = None,
                  out: Tensor | None = None) -> Tensor:
    """``matrix @ values``, differentiable when ``values`` needs a gradient.

    Without autograd the product is written into ``out`` when given.
    """
    if torch.is_grad_enabled() and values.requires_grad:
        return SparseMatmul.apply(values, matrix, weights, transpose,
                                  transpose_weights)
    return matrix.matmul(values.contiguous(), weights, out=out)
