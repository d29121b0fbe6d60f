"""Eq. 7 written out literally: the reference the CRF tests compare with."""
from __future__ import annotations

import torch
from torch import Tensor


def eq7_kernels(pos_i: Tensor, pos_j: Tensor, rgb_i: Tensor, rgb_j: Tensor,
                depth_i: Tensor, depth_j: Tensor, thetas: dict) -> tuple:
    """Eq. 7 literally, for pairs of pixels (reference for tests).

    Args:
        pos_i, pos_j (Tensor): (..., 2) pixel positions.
        rgb_i, rgb_j (Tensor): (..., 3) colours, 0-255.
        depth_i, depth_j (Tensor): (...) depths, metres.
        thetas (dict): ``alpha, beta, gamma, zeta, tau``.

    Returns:
        tuple: ``(k1, k2, k3)``, each of shape (...).
    """
    dp2 = (pos_i - pos_j).pow(2).sum(-1)
    di2 = (rgb_i - rgb_j).pow(2).sum(-1)
    dd2 = (depth_i - depth_j).pow(2)
    k1 = torch.exp(-dp2 / (2 * thetas['alpha']**2)
                   - di2 / (2 * thetas['beta']**2))
    k2 = torch.exp(-dp2 / (2 * thetas['gamma']**2)
                   - dd2 / (2 * thetas['zeta']**2))
    k3 = torch.exp(-dp2 / (2 * thetas['tau']**2))
    return k1, k2, k3
