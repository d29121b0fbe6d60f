"""The depth the CRF's depth kernel k2 reads (Eq. 7): estimated or measured.

The paper feeds the CRF the network's estimate (Sec. 3.4). NYU users also
have the Kinect's measured depth at test time (RGB-D input); its holes
(0: no reading) are filled with the network's estimate:

* the estimate is the best depth we have for a pixel the sensor missed, in
  the same unit (metres), and it exists everywhere;
* valid readings are used unchanged, so where the sensor works the CRF sees
  the measurement, and a frame that is all holes gives exactly the paper's
  estimate-fed CRF;
* k2 keeps every pixel, so its normalised messages (CRF-RNN's kernel sum)
  stay defined at holes, which a "hole = far away" depth would leave with
  only their own message (their label would reinforce itself).

Its cost: at a hole's border the filled map can jump between the estimate
and the reading where the scene has no edge; Kinect holes mostly lie on
depth edges (projector shadows, mixed pixels), where k2 should cut anyway.

A model without a depth head (``CRFEncoderDecoder(crf_depth_source=
'measured')`` on any mmseg model) has no estimate: there each hole takes the
mean of the valid readings around it, from the finest 2^k x 2^k block of a
pyramid that holds any (``fill_depth_holes_from_neighbours``, a push-pull
fill). A hole inside a surface gets that surface's depth; a hole on a depth
edge gets a depth between the two sides, which k2 ties to both weakly, so
the appearance and smoothness kernels decide there. Valid readings are used
unchanged. A frame without any valid reading is refused: its depth kernel
would have nothing to read.
"""
from __future__ import annotations

from typing import Optional, Sequence

import torch
from torch import Tensor

#: ``JointDepthSegmentor(crf_depth_source=...)`` choices.
CRF_DEPTH_SOURCES = ('estimate', 'measured')
#: ``CRFEncoderDecoder(crf_depth_source=...)`` choices (no depth head).
CRF_DEPTH_SOURCES_WITHOUT_ESTIMATE = (None, 'measured')
#: The data-sample field that carries the measured depth.
MEASURED_DEPTH_FIELD = 'measured_depth_map'


def fill_depth_holes(measured_m: Tensor, fill_m: Tensor) -> Tensor:
    """The measured depth with its holes replaced by ``fill_m``.

    Args:
        measured_m: (B, 1, H, W) metres; <= 0 or non-finite = hole.
        fill_m: (B, 1, H, W) metres (the network's estimate).

    Returns:
        Tensor: (B, 1, H, W) metres, ``measured_m`` where it is valid, else
        ``fill_m``.
    """
    if measured_m.shape != fill_m.shape:
        raise ValueError(
            f'fill_depth_holes: measured depth {tuple(measured_m.shape)} '
            f'and fill {tuple(fill_m.shape)} differ in shape')
    return torch.where(valid_depth(measured_m), measured_m.to(fill_m.dtype),
                       fill_m)


def valid_depth(depth_m: Tensor) -> Tensor:
    """Where a depth map holds a reading: finite and > 0 (0 = hole)."""
    return torch.isfinite(depth_m) & (depth_m > 0)


def fill_depth_holes_from_neighbours(measured_m: Tensor) -> Tensor:
    """Each hole takes the mean of the nearest valid readings (push-pull).

    A pyramid of block sums: level k sums the valid readings and their count
    over 2^k x 2^k blocks (the last block of an odd size is smaller). A hole
    takes the mean of the valid readings in its block at the finest level
    where that block has any. O(H W) per image.

    Args:
        measured_m: (B, 1, H, W) metres; <= 0 or non-finite = hole.

    Returns:
        Tensor: (B, 1, H, W) metres, ``measured_m`` where it is valid.

    Raises:
        ValueError: an image without a single valid reading.
    """
    valid = valid_depth(measured_m)
    empty = ~valid.flatten(1).any(dim=1)
    if bool(empty.any()):
        raise ValueError(
            f'the measured depth of image(s) {empty.nonzero()[:, 0].tolist()}'
            ' of the batch has no valid reading (every pixel <= 0 or not '
            'finite): nothing to fill its holes from')
    weight = valid.to(measured_m.dtype)
    total = torch.where(valid, measured_m, torch.zeros_like(measured_m))
    return torch.where(valid, measured_m, _push_pull(total, weight))


def _push_pull(total: Tensor, weight: Tensor) -> Tensor:
    """Mean of the valid readings per pixel, coarser blocks where none."""
    height, width = total.shape[-2:]
    mean = total / weight.clamp_min(1)
    if bool((weight > 0).all()) or (height == 1 and width == 1):
        return mean
    pad = (0, width % 2, 0, height % 2)
    coarse_total = torch.nn.functional.pad(total, pad)
    coarse_weight = torch.nn.functional.pad(weight, pad)
    coarse = _push_pull(
        torch.nn.functional.avg_pool2d(coarse_total, 2) * 4,
        torch.nn.functional.avg_pool2d(coarse_weight, 2) * 4)
    coarse = coarse.repeat_interleave(2, dim=-2).repeat_interleave(2, dim=-1)
    return torch.where(weight > 0, mean, coarse[..., :height, :width])


def stack_measured_depth(data_samples: Optional[Sequence], num: int,
                         size: tuple[int, int], like: Tensor,
                         owner: str = 'JointDepthSegmentor') -> Tensor:
    """The samples' ``measured_depth_map`` as one (B, 1, H, W) tensor.

    Args:
        data_samples: the batch's ``SegDataSample``s (after the data
            preprocessor, which pads the measured depth like the image).
        num: B, the batch size of the inputs.
        size: (H, W) of the network input.
        like: a tensor whose device and float dtype the result takes.
        owner: the segmentor's class name, for the error messages.

    Raises:
        ValueError: no samples, a sample without the field, or a map whose
            size is not the input's.
    """
    how = ('load it with LoadNYUAnnotations(with_measured_depth=True) and '
           'pack it with PackJointSegInputs')
    if data_samples is None or len(data_samples) != num:
        raise ValueError(
            f"{owner}(crf_depth_source='measured') needs the "
            f'data samples with their {MEASURED_DEPTH_FIELD} ({how})')
    depths = []
    for index, sample in enumerate(data_samples):
        if MEASURED_DEPTH_FIELD not in sample:
            path = sample.metainfo.get('img_path', f'sample {index}')
            raise ValueError(
                f"{path}: no {MEASURED_DEPTH_FIELD}, which "
                f"{owner}(crf_depth_source='measured') feeds to "
                f'the CRF; {how}')
        depth = sample.get(MEASURED_DEPTH_FIELD).data
        if tuple(depth.shape) != (1, *size):
            raise ValueError(
                f'{MEASURED_DEPTH_FIELD} of sample {index} has shape '
                f'{tuple(depth.shape)}, expected (1, {size[0]}, {size[1]}) '
                'like the padded input (use JointSegDataPreProcessor)')
        depths.append(depth)
    return torch.stack(depths).to(device=like.device, dtype=like.dtype)
