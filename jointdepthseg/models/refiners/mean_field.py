"""Mean-field inference of the fully connected CRF (Eq. 5-7), pure functions.

Krähenbühl & Koltun (2011), Zheng et al. (2015, CRF-RNN), section 3.4 of the
paper.  Pixels are rows: unaries ``z`` are (P, C) with ``P = B * H * W``.
Starting from ``Q = softmax(z)``, each iteration computes

    out_i(l) = z_i(l) - sum_m sum_l' mu(l, l') w_m(l, l') message_m,i(l')
    Q = softmax_l(out)

with ``message_m`` the (normalised or not) Gaussian filtering of ``Q`` by
kernel ``m``, i.e. ``out = z - sum_m message_m @ A_m^T`` with the
compatibility ``A_m = mu * w_m`` (element-wise).

The pairwise update is pluggable: :class:`ExactMessagePassing` applies one
filter per kernel (exact or lattice), and ``lattice_message_passing.py``
fuses all lattice kernels into a few sparse products.
"""
from __future__ import annotations

import torch
from torch import Tensor


def compatibility_matrices(mu: Tensor, kernel_weights: list) -> list:
    """``A_m = mu * w_m`` (element-wise) for every kernel: (C, C) each."""
    return [mu * weight for weight in kernel_weights]


def mean_field(unary: Tensor, pairwise, compat: list,
               num_iters: int) -> Tensor:
    """Run ``num_iters`` mean-field updates from ``Q = softmax(unary)``.

    Args:
        unary (Tensor): (P, C) logits ``z``.
        pairwise: callable ``(unary, Q, compat) -> out``, (P, C), e.g.
            :class:`ExactMessagePassing` or ``LatticeMessagePassing``.
        compat (list[Tensor]): (C, C) matrix ``A_m`` per kernel.
        num_iters (int): iterations; 0 returns ``unary``.

    Returns:
        Tensor: (P, C) ``out`` of the last iteration (its softmax is the
        refined distribution).
    """
    out = unary
    for _ in range(num_iters):
        out = pairwise(unary, torch.softmax(out, 1), compat)
    return out


class ExactMessagePassing:
    """Pairwise update with explicit messages, one filter per kernel.

    Args:
        filters (list): callables ``(P, C) -> (P, C)`` message per kernel
            (e.g. :class:`ExactGaussianFilter` or LatticeGaussianFilter).
    """

    def __init__(self, filters: list) -> None:
        self.filters = filters

    def __call__(self, unary: Tensor, q: Tensor, compat: list) -> Tensor:
        out = unary
        for filt, mat in zip(self.filters, compat):
            out = out - filt(q) @ mat.t()
        return out
