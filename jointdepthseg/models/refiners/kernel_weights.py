"""How the CRF's per-class-pair kernel weights w(1..3) are parametrised.

Eq. 6-7 give every class pair ``(l, l')`` a compatibility ``mu(l, l')`` and
one weight ``w(m)(l, l')`` per kernel, and only their products
``A_m = mu * w(m)`` enter mean field.  Learned freely, the four matrices
share one scale per pair (``mu * c`` and ``w / c`` give the same CRF); the
gradients of all three ``w`` then carry the same common part (the CRF as a
whole should act more or less on that pair) and only a small difference
(which kernel should carry it), so the kernels cannot tell apart which pairs
each should serve (measured in docs/crf.md, "Learning the weights").

We therefore split the two questions:

- ``mu(l, l')`` (free, any sign) is how strongly, and in which direction, the
  CRF acts on the pair at all;
- ``w(m)(l, l') = W * softmax_m(s)(l, l')`` is how that action is shared
  between the kernels: positive, summing over the kernels to the fixed total
  ``W`` (the sum of the initial weights, 7 + 4 + 3 = 14 in the paper).

The gradient reaching the logits ``s`` is then only the part that differs
between kernels: ``dL/ds_m = w(m) * (g_m - sum_k softmax_k * g_k)`` with
``g_m = dL/dw(m)``; the common part goes to ``mu``.  The logits start at
``log w0(m)``, so the CRF starts exactly at the paper's initial values.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor


def initial_weight_logits(initial_weights: list[float], num_classes: int
                          ) -> list[Tensor]:
    """Logits ``s_m = log w0(m)`` for every class pair, (C, C) per kernel.

    Args:
        initial_weights (list[float]): w0 of each kernel, all > 0.
        num_classes (int): C.
    """
    for value in initial_weights:
        if not value > 0:
            raise ValueError('kernel weights must be > 0 (None drops a '
                             f'kernel), got {value}')
    return [torch.full((num_classes, num_classes), math.log(value))
            for value in initial_weights]


def kernel_weights_from_logits(logits: list[Tensor], total: float
                               ) -> list[Tensor]:
    """``w(m) = total * softmax over kernels of the logits``, (C, C) each."""
    shares = torch.softmax(torch.stack(list(logits)), 0)
    return list(total * shares)


def logits_from_kernel_weights(mu: Tensor, weights: list[Tensor],
                               total: float) -> tuple[Tensor, list[Tensor]]:
    """The ``(mu, logits)`` that give the same ``A_m = mu * w(m)`` as free
    weights do (for checkpoints saved before this parametrisation).

    Args:
        mu (Tensor): (C, C) compatibility.
        weights (list[Tensor]): (C, C) free weights w(m), all > 0.
        total (float): W of the new parametrisation.

    Returns:
        tuple: the rescaled ``mu`` (C, C) and the logits ``log w(m)``.
    """
    stacked = torch.stack(list(weights))
    if not bool((stacked > 0).all()):
        raise ValueError('old-style CRF weights must all be > 0 to be '
                         'converted, found values <= 0')
    mu = mu * stacked.sum(0) / total
    return mu, list(stacked.log())
