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
