"""A tiny scene where only depth separates one class pair (tests, benchmarks).

Three classes on a ``height x width`` image: a wall (class 0), a flat sofa
(class 1) at the wall's depth and a pillow (class 2) standing proud of the
sofa by ``depth_step_m``.  Sofa and pillow have the very same colour, so the
appearance kernel cannot tell them apart and only the depth kernel can;
wall and sofa differ only in colour, so there only the appearance kernel
can.  The unaries are the true labels
plus spatially smooth noise, so that their mistakes come in blobs that cross
object edges, which is what a CRF is for.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

WALL, SOFA, PILLOW = 0, 1, 2
NUM_CLASSES = 3


def depth_only_scene(height: int = 24, width: int = 32,
                     depth_step_m: float = 0.5, unary_gain: float = 1.5,
                     noise_std: float = 2.5,
                     generator: torch.Generator | None = None
                     ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """One random scene.

    Args:
        height, width (int): image size, pixels (>= 16 each).
        depth_step_m (float): how far the pillow stands in front of the sofa,
            metres.
        unary_gain (float): logit of the true class before noise.
        noise_std (float): std of the smooth logit noise.
        generator (torch.Generator, optional): randomness.

    Returns:
        tuple: ``image`` (1, 3, H, W) RGB 0-255, ``depth`` (1, 1, H, W)
        metres, ``unary`` (1, 3, H, W) logits, ``labels`` (1, H, W) int64.
    """
    def uniform(low: float, high: float) -> float:
        return float(low + (high - low) * torch.rand((), generator=generator))

    labels = torch.full((height, width), WALL, dtype=torch.long)
    depth = torch.full((height, width), 2.0)
    top, left = int(uniform(0.3, 0.45) * height), int(uniform(0.05, 0.2) * width)
    bottom, right = height, int(uniform(0.75, 0.95) * width)
    labels[top:bottom, left:right] = SOFA
    depth[top:bottom, left:right] = 2.0
    p_h, p_w = int(0.3 * height), int(0.25 * width)
    p_top = int(uniform(top + 1, bottom - p_h - 1))
    p_left = int(uniform(left + 1, right - p_w - 1))
    labels[p_top:p_top + p_h, p_left:p_left + p_w] = PILLOW
    depth[p_top:p_top + p_h, p_left:p_left + p_w] = 2.0 - depth_step_m
    colours = torch.tensor([[200., 200., 180.], [120., 60., 60.],
                            [120., 60., 60.]])  # sofa and pillow: one colour
    image = colours[labels].permute(2, 0, 1)
    image = image + 2.0 * torch.randn(image.shape, generator=generator)
    noise = torch.randn(1, NUM_CLASSES, height // 4, width // 4,
                        generator=generator)
    noise = F.interpolate(noise, size=(height, width), mode='bilinear',
                          align_corners=False)
    unary = (unary_gain * F.one_hot(labels, NUM_CLASSES).permute(2, 0, 1)[None]
             + noise_std * noise)
    return (image[None].clamp(0, 255), depth[None, None], unary.float(),
            labels[None])
