"""Batches images, labels and depth; pads depth with 0 (invalid), not 255.

mmseg's ``stack_batch`` pads ``gt_depth_map`` with the segmentation pad value
(255), which would turn padding into 255 m of valid depth. This preprocessor
pads the depth with ``depth_pad_val`` (0 = invalid) instead.
"""
from __future__ import annotations

import torch.nn.functional as F
from mmengine.structures import PixelData

from mmseg.models.data_preprocessor import SegDataPreProcessor
from mmseg.registry import MODELS


@MODELS.register_module()
class JointSegDataPreProcessor(SegDataPreProcessor):
    """mmseg's ``SegDataPreProcessor`` with depth padded by ``depth_pad_val``.

    Args:
        depth_pad_val: value for padded depth pixels (0 = invalid, metres).
        **kwargs: everything ``SegDataPreProcessor`` takes (mean, std,
            bgr_to_rgb, size or size_divisor, pad_val, seg_pad_val, ...).
    """

    def __init__(self, depth_pad_val: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.depth_pad_val = depth_pad_val

    def forward(self, data: dict, training: bool = False) -> dict:
        unpadded_depths = [
            sample.gt_depth_map.data if 'gt_depth_map' in sample else None
            for sample in data.get('data_samples') or []]
        # stack_batch pads depth with seg_pad_val; the output samples are
        # copies (cast_data), so we overwrite their depth with our padding.
        data = super().forward(data, training)
        for sample, depth in zip(data.get('data_samples') or [],
                                 unpadded_depths):
            if depth is None:
                continue
            depth = depth.to(data['inputs'].device)
            if training:
                # the same right/bottom padding stack_batch gave the image
                depth = F.pad(depth, sample.metainfo['padding_size'],
                              value=self.depth_pad_val)
            sample.gt_depth_map = PixelData(data=depth)
        return data
