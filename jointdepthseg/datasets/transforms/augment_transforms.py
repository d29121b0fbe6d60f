"""Online version of the paper's zoom-crop augmentation (section 4.1).

Mirroring needs no new transform: mmseg's ``RandomFlip`` flips ``img`` and
every key in ``results['seg_fields']``, which ``LoadNYUAnnotations`` fills
with ``gt_seg_map`` and ``gt_depth_map`` (depth is unchanged by a mirror).
"""
from __future__ import annotations

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmseg.registry import TRANSFORMS

from ..augmentation import (CropBox, crop_size_for_zoom, depth_after_zoom,
                            resize_crop_linear, resize_crop_nearest,
                            zoom_factor)


@TRANSFORMS.register_module()
class RandomZoomCrop(BaseTransform):
    """Crop a random window and resize it back: a zoom by ``s``, depth / ``s``.

    With probability ``prob``, draws ``s`` uniformly from ``zoom_range``,
    crops a window of ``round(H / s) x round(W / s)`` at a uniform position
    and resizes it back to (H, W): ``img`` bilinearly, every key of
    ``seg_fields`` (and ``depth_keys``) nearest-neighbour, and divides the
    ``depth_keys`` by the exact zoom of the rounded window (0 = invalid stays
    0). Why depth / s: see ``jointdepthseg/datasets/augmentation.py``.

    Required keys: ``img``, ``seg_fields`` and the keys it names.
    Modified keys: ``img``, the ``seg_fields`` keys, ``depth_keys``.
    Added keys: ``zoom_crop`` = dict(box=(top, left, height, width),
    zoom=s), or None when no crop was drawn.

    Args:
        zoom_range: (min, max) magnification, 1 <= min <= max.
        prob: probability of zooming at all.
        depth_keys: keys holding depth in metres, (H, W) float: the ground
            truth and the measured depth a CRF may read.
    """

    def __init__(
        self,
        zoom_range: tuple[float, float] = (1.0, 1.5),
        prob: float = 1.0,
        depth_keys: tuple[str, ...] = ('gt_depth_map', 'measured_depth_map')
    ) -> None:
        super().__init__()
        low, high = zoom_range
        if not 1.0 <= low <= high:
            raise ValueError(f'RandomZoomCrop: zoom_range must satisfy '
                             f'1 <= min <= max, got {zoom_range}')
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f'RandomZoomCrop: prob must be in [0, 1], '
                             f'got {prob}')
        self.zoom_range = (float(low), float(high))
        self.prob = prob
        self.depth_keys = tuple(depth_keys)

    @cache_randomness
    def _random_box(self, height: int, width: int) -> CropBox | None:
        if np.random.rand() >= self.prob:
            return None
        zoom = np.random.uniform(*self.zoom_range)
        crop_h, crop_w = crop_size_for_zoom(height, width, zoom)
        return CropBox(
            np.random.randint(0, height - crop_h + 1),
            np.random.randint(0, width - crop_w + 1), crop_h, crop_w)

    def transform(self, results: dict) -> dict:
        height, width = results['img'].shape[:2]
        box = self._random_box(height, width)
        if box is None:
            results['zoom_crop'] = None
            return results
        zoom = zoom_factor(box, height, width)
        results['img'] = resize_crop_linear(results['img'], box, height, width)
        # each key once, even if listed twice: zooming twice would be wrong
        keys = dict.fromkeys(results.get('seg_fields', []))
        keys.update(dict.fromkeys(k for k in self.depth_keys if k in results))
        for key in keys:
            value = results[key]
            if value.shape[:2] != (height, width):
                raise ValueError(
                    f"RandomZoomCrop: results['{key}'] has shape "
                    f'{value.shape}, expected ({height}, {width}) '
                    'like img')
            value = resize_crop_nearest(value, box, height, width)
            if key in self.depth_keys:
                value = depth_after_zoom(value, zoom).astype(value.dtype)
            results[key] = value
        results['zoom_crop'] = dict(
            box=(box.top, box.left, box.height, box.width), zoom=zoom)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(zoom_range={self.zoom_range}, '
                f'prob={self.prob}, depth_keys={self.depth_keys})')
