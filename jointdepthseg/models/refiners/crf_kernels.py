"""The three Gaussian kernels of the CRF (Eq. 7) as scaled feature vectors.

Eq. 7 (with the minus signs the paper's typesetting lost), for pixels ``i``,
``j`` with position ``p`` (pixels), colour ``I`` (RGB, 0-255) and estimated
depth ``d`` (metres):

    k1 = exp(-|pi - pj|^2 / 2 theta_alpha^2 - |Ii - Ij|^2 / 2 theta_beta^2)
    k2 = exp(-|pi - pj|^2 / 2 theta_gamma^2 - |di - dj|^2 / 2 theta_zeta^2)
    k3 = exp(-|pi - pj|^2 / 2 theta_tau^2)

Each kernel is ``exp(-|f_i - f_j|^2 / 2)`` of a feature vector ``f`` whose
parts are divided by their theta; the functions below build those vectors,
(B, H * W, d), pixels in row-major order.
"""
from __future__ import annotations

import torch
from torch import Tensor


def pixel_positions(height: int, width: int, like: Tensor) -> Tensor:
    """(H * W, 2) ``(row, column)`` of every pixel, in pixels."""
    rows = torch.arange(height, dtype=like.dtype, device=like.device)
    cols = torch.arange(width, dtype=like.dtype, device=like.device)
    grid = torch.stack(torch.meshgrid(rows, cols, indexing='ij'), -1)
    return grid.reshape(height * width, 2)


def _per_pixel(values: Tensor) -> Tensor:
    """(B, K, H, W) -> (B, H * W, K)."""
    return values.flatten(2).transpose(1, 2)


def appearance_features(image: Tensor, theta_alpha: float,
                        theta_beta: float) -> Tensor:
    """Features of k1: ``(p / theta_alpha, I / theta_beta)``.

    Args:
        image (Tensor): (B, 3, H, W) RGB, 0-255.
        theta_alpha (float): position width, pixels.
        theta_beta (float): colour width, RGB levels.

    Returns:
        Tensor: (B, H * W, 5).
    """
    num, _, height, width = image.shape
    pos = pixel_positions(height, width, image) / theta_alpha
    return torch.cat([pos.expand(num, -1, -1),
                      _per_pixel(image) / theta_beta], 2)


def depth_features(depth: Tensor, theta_gamma: float,
                   theta_zeta: float) -> Tensor:
    """Features of k2: ``(p / theta_gamma, d / theta_zeta)``.

    Args:
        depth (Tensor): (B, 1, H, W) estimated depth, metres.
        theta_gamma (float): position width, pixels.
        theta_zeta (float): depth width, metres.

    Returns:
        Tensor: (B, H * W, 3).
    """
    num, _, height, width = depth.shape
    pos = pixel_positions(height, width, depth) / theta_gamma
    return torch.cat([pos.expand(num, -1, -1),
                      _per_pixel(depth) / theta_zeta], 2)


def smoothness_features(num: int, height: int, width: int, theta_tau: float,
                        like: Tensor) -> Tensor:
    """Features of k3: ``p / theta_tau``, (B, H * W, 2)."""
    pos = pixel_positions(height, width, like) / theta_tau
    return pos.expand(num, -1, -1)
