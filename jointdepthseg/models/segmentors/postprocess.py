"""Maps a network output back to the original image, as mmseg's segmentors do."""
from __future__ import annotations

from torch import Tensor

from mmseg.models.utils import resize


def restore_original_size(maps: Tensor, img_meta: dict,
                          align_corners: bool = False) -> Tensor:
    """Removes padding, undoes a test-time flip and resizes to ``ori_shape``.

    Args:
        maps: (C, H, W) output at the padded network input size (logits or
            depth in metres; both are resized bilinearly).
        img_meta: the sample's metainfo (``padding_size`` or
            ``img_padding_size``, ``flip``, ``flip_direction``, ``ori_shape``).

    Returns:
        (C, H0, W0) at ``img_meta['ori_shape']``.
    """
    height, width = maps.shape[1:]
    padding = img_meta.get('img_padding_size',
                           img_meta.get('padding_size', (0, 0, 0, 0)))
    left, right, top, bottom = padding
    maps = maps[:, top:height - bottom, left:width - right]
    if img_meta.get('flip', False):
        direction = img_meta.get('flip_direction', 'horizontal')
        if direction not in ('horizontal', 'vertical'):
            raise ValueError(f'unknown flip_direction {direction!r}')
        maps = maps.flip(dims=(2,) if direction == 'horizontal' else (1,))
    ori_shape = tuple(img_meta.get('ori_shape', maps.shape[1:]))[:2]
    if tuple(maps.shape[1:]) != ori_shape:
        maps = resize(maps.unsqueeze(0), size=ori_shape, mode='bilinear',
                      align_corners=align_corners, warning=False).squeeze(0)
    return maps
