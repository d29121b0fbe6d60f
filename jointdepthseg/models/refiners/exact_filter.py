"""Exact O(N^2) Gaussian message passing, the reference for tests.

Forms every pairwise kernel value ``exp(-|f_i - f_j|^2 / 2)`` explicitly, so
it is only meant for tiny images (a 48x64 image already needs a 3072x3072
matrix per image).  :class:`ExactGaussianFilter` is one kernel's message and
:class:`ExactMeanFieldPlan` the mean field's filtering built from them, which
``DenseCRF(filter_mode='exact')`` uses; the default is the permutohedral
lattice.
"""
from __future__ import annotations

import torch
from torch import Tensor

from .kernel_normalization import canonical_normalization
from .mean_field import softmax_backward

# Refuse kernel matrices larger than this many entries per image.
MAX_EXACT_ENTRIES = 64 * 1024 * 1024


def gaussian_kernel_matrix(features: Tensor) -> Tensor:
    """Pairwise ``k(f_i, f_j) = exp(-|f_i - f_j|^2 / 2)``.

    Args:
        features (Tensor): (B, N, d) features divided by the kernel widths.

    Returns:
        Tensor: (B, N, N), ones on the diagonal.
    """
    sq = features.pow(2).sum(2)
    cross = features @ features.transpose(1, 2)
    dist2 = sq[:, :, None] + sq[:, None, :] - 2 * cross
    return torch.exp(-0.5 * dist2.clamp_min(0))


class ExactGaussianFilter:
    """Exact mean-field message of one Gaussian kernel.

    With ``k_ij`` the kernel and ``D_i = sum_j k_ij`` (j = i included):

    - ``'row'``: ``sum_j k_ij v_j / D_i``;
    - ``'symmetric'``: ``sum_j k_ij v_j / sqrt(D_i D_j)``;
    - ``'none'``: ``sum_{j != i} k_ij v_j``.

    Args:
        features (Tensor): (B, N, d) features divided by the kernel widths.
        normalize (str | bool): the mode above (``kernel_normalization.py``;
            True and False stand for ``'row'`` and ``'none'``).
    """

    def __init__(self, features: Tensor, normalize) -> None:
        normalize = canonical_normalization(normalize, 'exact_filter.py')
        num_images, num_points, _ = features.shape
        if num_points * num_points > MAX_EXACT_ENTRIES:
            raise ValueError(
                f'exact_filter.py: {num_points} points per image need a '
                f'{num_points}x{num_points} kernel matrix; the exact filter '
                'is for tiny inputs only, use the lattice filter')
        kernel = gaussian_kernel_matrix(features)
        if normalize == 'row':
            kernel = kernel / kernel.sum(2, keepdim=True)
        elif normalize == 'symmetric':
            scale = kernel.sum(2).rsqrt()
            kernel = kernel * scale[:, :, None] * scale[:, None, :]
        else:
            kernel = kernel - torch.eye(num_points, dtype=kernel.dtype,
                                        device=kernel.device)
        self.kernel = kernel
        self.num_images = num_images
        self.num_points = num_points

    def __call__(self, values: Tensor) -> Tensor:
        """Message for ``values`` (B * N, C); returns (B * N, C)."""
        per_image = values.reshape(self.num_images, self.num_points, -1)
        return (self.kernel.to(values.dtype) @ per_image).reshape(values.shape)

    def transpose(self, values: Tensor) -> Tensor:
        """Transposed message ``K^T v`` for ``values`` (B * N, C)."""
        per_image = values.reshape(self.num_images, self.num_points, -1)
        kernel = self.kernel.to(values.dtype).transpose(1, 2)
        return (kernel @ per_image).reshape(values.shape)


class ExactMeanFieldPlan:
    """The mean field's filtering with explicit kernel matrices
    (:class:`~.mean_field.MeanFieldPlan`); tiny inputs and tests only.

    Args:
        filters (list[ExactGaussianFilter]): one per kernel, same points.
    """

    def __init__(self, filters: list) -> None:
        self.filters = filters
        self.num_points = filters[0].num_images * filters[0].num_points

    def prepare(self, compat: list, track: bool, unary: Tensor,
                lease, track_compat: bool) -> tuple:
        rows = unary.transpose(1, 2).reshape(self.num_points, -1)
        return compat, rows

    def initial(self, state: tuple, q: Tensor) -> None:
        torch.softmax(state[1], 1, out=q)

    def update(self, q: Tensor, state: tuple, target: Tensor,
               softmax: bool) -> None:
        compat, unary = state
        out = unary.clone()
        for filt, mat in zip(self.filters, compat):
            out -= filt(q) @ mat.t()
        if softmax:
            torch.softmax(out, 1, out=target)
        else:
            num, classes, per_image = target.shape
            target.copy_(out.view(num, per_image, classes).transpose(1, 2))

    def adjoint(self, grad: Tensor, q: Tensor, saved, state: tuple,
                grad_compat: list, target: Tensor, grad_unary: Tensor,
                out: Tensor | None = None) -> None:
        grad_q = torch.zeros_like(q)
        for m, (filt, mat) in enumerate(zip(self.filters, state[0])):
            if grad_compat is not None:
                grad_compat[m] -= grad.t() @ filt(q)
            grad_q -= filt.transpose(grad @ mat)
        if out is None:
            grad_unary += softmax_backward(grad_q, q, target)
        else:
            total = grad_unary + softmax_backward(grad_q, q, target)
            num, classes, per_image = out.shape
            out.copy_(total.view(num, per_image, classes).transpose(1, 2))
