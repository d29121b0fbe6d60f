"""Training depth targets of Sec. 4.2: clipped at 7 m, rounded to the bin size."""
from __future__ import annotations

import numpy as np
from mmcv.transforms import BaseTransform

from mmseg.registry import TRANSFORMS


def make_depth_training_target(depth_m: np.ndarray, max_depth_m: float,
                               bin_size_m: float) -> np.ndarray:
    """Sec. 4.2: clip valid depths to [l, max_depth] and round to a multiple of l.

    Args:
        depth_m: (H, W) metres, <= 0 = invalid.
        max_depth_m: clipping depth (7 m in the paper).
        bin_size_m: l (0.14 m); valid depths never round to 0, the smallest
            target is l, the first bin centre of Eq. 3.

    Returns:
        (H, W) float32 metres; invalid pixels stay 0.
    """
    valid = depth_m > 0
    clipped = np.clip(depth_m, bin_size_m, max_depth_m)
    rounded = np.round(clipped / bin_size_m) * bin_size_m
    return np.where(valid, rounded, 0.0).astype(np.float32)


@TRANSFORMS.register_module()
class DepthTrainingTarget(BaseTransform):
    """Turns ``gt_depth_map`` into the paper's training target (Sec. 4.2).

    For training pipelines only: evaluation uses the intact ground truth.

    Args:
        max_depth: clip depth in metres (7.0).
        bin_size: round to multiples of this many metres (0.14).
    """

    def __init__(self, max_depth: float = 7.0, bin_size: float = 0.14):
        super().__init__()
        if not 0 < bin_size <= max_depth:
            raise ValueError(f'need 0 < bin_size <= max_depth, got '
                             f'bin_size={bin_size}, max_depth={max_depth}')
        self.max_depth = max_depth
        self.bin_size = bin_size

    def transform(self, results: dict) -> dict:
        if 'gt_depth_map' not in results:
            raise KeyError('DepthTrainingTarget needs gt_depth_map: put '
                           'LoadNYUAnnotations before it')
        results['gt_depth_map'] = make_depth_training_target(
            results['gt_depth_map'], self.max_depth, self.bin_size)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(max_depth={self.max_depth}, '
                f'bin_size={self.bin_size})')
