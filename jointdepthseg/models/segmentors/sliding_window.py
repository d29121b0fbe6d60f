"""Sliding-window inference of several maps at once (mmseg's slide mode).

mmseg's ``EncoderDecoder.slide_inference`` stitches one map, the semantic
logits. A joint model predicts logits and depth from the same crops; this is
the same windowing (same grid, same averaging of overlaps) for any number of
maps, so that the CRF then runs once on the stitched result.
"""
from __future__ import annotations

from typing import Callable, Dict, Sequence

from torch import Tensor


def window_origins(length: int, crop: int, stride: int) -> list[int]:
    """Start of every window along one axis, as mmseg places them: every
    ``stride`` pixels, the last one moved back to end at ``length``."""
    grids = max(length - crop + stride - 1, 0) // stride + 1
    return [max(min(index * stride + crop, length) - crop, 0)
            for index in range(grids)]


def slide_window_maps(inputs: Tensor, crop_size: Sequence[int],
                      stride: Sequence[int],
                      predict_crop: Callable[[Tensor], Dict[str, Tensor]]
                      ) -> Dict[str, Tensor]:
    """Runs ``predict_crop`` on overlapping crops and averages the overlaps.

    Args:
        inputs: (B, 3, H, W) network inputs.
        crop_size: (h, w) of a window, pixels; a window larger than the
            input is clipped to it.
        stride: (h, w) step between windows, pixels.
        predict_crop: crop (B, 3, h', w') -> dict of (B, C_k, h', w') maps.

    Returns:
        dict: every map of ``predict_crop`` at (B, C_k, H, W), each pixel the
        mean over the windows that cover it.
    """
    (crop_h, crop_w), (stride_h, stride_w) = crop_size, stride
    if min(crop_h, crop_w, stride_h, stride_w) < 1:
        raise ValueError(f'slide inference: crop_size {tuple(crop_size)} and '
                         f'stride {tuple(stride)} must be >= 1 pixel')
    num, _, height, width = inputs.shape
    sums: Dict[str, Tensor] = {}
    count = inputs.new_zeros((num, 1, height, width))
    for top in window_origins(height, crop_h, stride_h):
        for left in window_origins(width, crop_w, stride_w):
            bottom = min(top + crop_h, height)
            right = min(left + crop_w, width)
            maps = predict_crop(inputs[:, :, top:bottom, left:right])
            for name, value in maps.items():
                if name not in sums:
                    sums[name] = value.new_zeros(
                        (num, value.shape[1], height, width))
                sums[name][:, :, top:bottom, left:right] += value
            count[:, :, top:bottom, left:right] += 1
    return {name: total / count.to(total) for name, total in sums.items()}
