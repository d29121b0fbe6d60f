"""Batches images, labels and depth; pads depth with 0 (invalid), not 255.

mmseg's ``stack_batch`` pads ``gt_depth_map`` with the segmentation pad value
(255), which would turn padding into 255 m of valid depth, and leaves the
measured depth ``measured_depth_map`` unpadded. This preprocessor pads both
with ``depth_pad_val`` (0 = invalid / a Kinect hole) exactly as the image.
"""
from __future__ import annotations

import torch.nn.functional as F
from mmengine.structures import PixelData

from mmseg.models.data_preprocessor import SegDataPreProcessor
from mmseg.registry import MODELS

#: Data-sample fields holding depth in metres, (1, H, W), 0 = invalid.
DEPTH_FIELDS = ('gt_depth_map', 'measured_depth_map')


@MODELS.register_module()
class JointSegDataPreProcessor(SegDataPreProcessor):
    """mmseg's ``SegDataPreProcessor`` with depth padded by ``depth_pad_val``.

    ``gt_depth_map`` (ground truth) and ``measured_depth_map`` (the measured
    depth a CRF may read, an input at train and test time) get the same
    right/bottom padding as the image, filled with ``depth_pad_val``.

    Args:
        depth_pad_val: value for padded depth pixels (0 = invalid, metres).
        **kwargs: everything ``SegDataPreProcessor`` takes (mean, std,
            bgr_to_rgb, size or size_divisor, pad_val, seg_pad_val, ...).
    """

    def __init__(self, depth_pad_val: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.depth_pad_val = depth_pad_val

    def forward(self, data: dict, training: bool = False) -> dict:
        unpadded = [{
            field: sample.get(field).data
            for field in DEPTH_FIELDS if field in sample
        } for sample in data.get('data_samples') or []]
        # stack_batch pads depth with seg_pad_val (and ignores the measured
        # depth); the output samples are copies (cast_data), so we overwrite
        # their depth with our padding.
        data = super().forward(data, training)
        inputs = data['inputs']
        for sample, depths in zip(data.get('data_samples') or [], unpadded):
            for field, depth in depths.items():
                depth = depth.to(inputs.device)
                # The ground truth is padded for the loss only: evaluation
                # reads it unpadded. The measured depth is an input: it must
                # match the (padded) image in training and testing.
                if training or field != 'gt_depth_map':
                    depth = self.pad_like_inputs(depth, inputs)
                setattr(sample, field, PixelData(data=depth))
        return data

    def pad_like_inputs(self, depth, inputs):
        """(1, h, w) depth padded right/bottom with ``depth_pad_val`` to the
        inputs' (H, W), as ``stack_batch`` pads the image."""
        height, width = inputs.shape[-2:]
        pad_h, pad_w = height - depth.shape[-2], width - depth.shape[-1]
        if pad_h < 0 or pad_w < 0:
            raise ValueError(
                f'JointSegDataPreProcessor: a depth map of size '
                f'{tuple(depth.shape[-2:])} is larger than its batch '
                f'({height}, {width}); it must be the image\'s size')
        if pad_h == 0 and pad_w == 0:
            return depth
        return F.pad(depth, (0, pad_w, 0, pad_h), value=self.depth_pad_val)
