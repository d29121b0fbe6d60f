"""Bilinear resizing as two small matrix products.

``F.interpolate(x, size, mode='bilinear')`` is separable: every output row is
a blend of two input rows and every output column of two input columns, so

    resized = R @ x @ C^T,   R: (H_out, H_in), C: (W_out, W_in)

with at most two non-zeros per row of R and C. The result is the same as
PyTorch's (same sampling positions and weights, measured equal to ~1e-6), but
its backward is two matrix products too, where PyTorch's CPU backward of
``upsample_bilinear2d`` scatters pixel by pixel: at the demo's sizes the heads'
upsampling took 46 % of a training step on 2 CPU cores
(``benchmarks/bench_resize.py``, ``benchmarks/RESULTS.md``).
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor


def interpolation_matrix(in_size: int, out_size: int, align_corners: bool,
                         dtype: torch.dtype = torch.float32,
                         device: torch.device | str | None = None) -> Tensor:
    """The (out_size, in_size) matrix of 1-D linear interpolation.

    Sampling positions as PyTorch's ``upsample_bilinear2d`` with an output
    size (no scale factor): with ``align_corners`` output i samples input
    ``i * (in - 1) / (out - 1)`` (0 when out is 1); without, input
    ``(i + 0.5) * in / out - 0.5``, clamped at 0. Each row holds the weights
    ``1 - t`` and ``t`` of the two neighbours (one at the last pixel).
    """
    if in_size < 1 or out_size < 1:
        raise ValueError(f'interpolation_matrix: sizes must be >= 1, got '
                         f'in_size={in_size}, out_size={out_size}')
    index = torch.arange(out_size, dtype=torch.float64)
    if align_corners:
        scale = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.
        source = index * scale
    else:
        source = ((index + 0.5) * (in_size / out_size) - 0.5).clamp(min=0.)
    lower = source.floor().long().clamp(max=in_size - 1)
    upper = (lower + 1).clamp(max=in_size - 1)
    weight_upper = source - lower
    matrix = torch.zeros(out_size, in_size, dtype=torch.float64)
    rows = torch.arange(out_size)
    matrix.index_put_((rows, lower), 1. - weight_upper, accumulate=True)
    matrix.index_put_((rows, upper), weight_upper, accumulate=True)
    return matrix.to(dtype=dtype, device=device)


def bilinear_resize(maps: Tensor, size, align_corners: bool = False
                    ) -> Tensor:
    """Resizes (B, C, H_in, W_in) maps to (B, C, *size), bilinearly.

    Equal to ``F.interpolate(maps, size, mode='bilinear',
    align_corners=align_corners)``; see the module docstring for why.
    """
    if maps.dim() != 4:
        raise ValueError(f'bilinear_resize: maps must be (B, C, H, W), got '
                         f'shape {tuple(maps.shape)}')
    out_h, out_w = (int(s) for s in size)
    in_h, in_w = maps.shape[2:]
    rows = interpolation_matrix(in_h, out_h, align_corners, maps.dtype,
                                maps.device)
    cols = interpolation_matrix(in_w, out_w, align_corners, maps.dtype,
                                maps.device)
    return rows @ (maps @ cols.t())


def bilinear_resize_sum(maps: Sequence[Tensor], size,
                        align_corners: bool = False) -> Tensor:
    """The sum of several (B, C, H_k, W_k) maps, each resized bilinearly to
    (B, C, *size): ``sum_k R_k @ x_k @ C_k^T`` as one row product.

    Every map is resized along its columns first (``y_k = x_k @ C_k^T``,
    (B, C, H_k, W_out)); the ``y_k`` are stacked along their rows and one
    product with the side-by-side row matrices ``[R_1 ... R_K]`` resizes and
    sums them in one pass, instead of K full-size outputs and K - 1
    full-size additions (the heads sum four upsampled branches this way).
    Equal to the sum of :func:`bilinear_resize` results up to float rounding.
    """
    if not maps:
        raise ValueError('bilinear_resize_sum: no maps to sum')
    for x in maps:
        if x.dim() != 4 or x.shape[:2] != maps[0].shape[:2]:
            raise ValueError('bilinear_resize_sum: maps must be (B, C, H, W) '
                             'with the same B and C, got shapes '
                             f'{[tuple(m.shape) for m in maps]}')
    out_h, out_w = (int(s) for s in size)
    dtype, device = maps[0].dtype, maps[0].device
    columns_resized = [
        x @ interpolation_matrix(x.shape[3], out_w, align_corners, dtype,
                                 device).t() for x in maps]
    rows = torch.cat([interpolation_matrix(x.shape[2], out_h, align_corners,
                                           dtype, device) for x in maps], 1)
    return rows @ torch.cat(columns_resized, dim=2)
