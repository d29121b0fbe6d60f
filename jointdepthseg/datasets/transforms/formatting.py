"""Packing the measured (raw Kinect) depth with mmseg's inputs."""
from __future__ import annotations

import numpy as np
from mmcv.transforms import to_tensor
from mmengine.structures import PixelData

from mmseg.datasets.transforms import PackSegInputs
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackJointSegInputs(PackSegInputs):
    """mmseg's ``PackSegInputs``, plus ``measured_depth_map`` when loaded.

    ``results['measured_depth_map']`` ((H, W) float metres, 0 = hole, from
    ``LoadNYUAnnotations(with_measured_depth=True)``) becomes the data
    sample's ``measured_depth_map``: ``PixelData`` of (1, H, W) float32
    metres. It is an input (the CRF's depth for
    ``JointDepthSegmentor(crf_depth_source='measured')``), present at train
    and test time; ``JointSegDataPreProcessor`` pads it with 0 (a hole).
    Everything else is packed exactly as by ``PackSegInputs``.

    Args:
        meta_keys: as ``PackSegInputs``.
    """

    def transform(self, results: dict) -> dict:
        packed = super().transform(results)
        depth = results.get('measured_depth_map')
        if depth is not None:
            if depth.ndim != 2:
                raise ValueError(
                    f"{results.get('img_path', '<image>')}: "
                    'measured_depth_map must be (H, W) metres, got shape '
                    f'{depth.shape}')
            depth = np.ascontiguousarray(depth[None], dtype=np.float32)
            packed['data_samples'].measured_depth_map = PixelData(
                data=to_tensor(depth))
        return packed
