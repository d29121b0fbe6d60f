"""Depth errors of Table 2 (Mousavian et al., 3DV 2016, Sec. 4.2).

The paper lists six measures (after Eigen et al., NIPS 2014) over the set T of
valid pixels, with ``d`` the estimate and ``d*`` the ground truth (metres):

1. ``delta_k``: fraction of pixels with ``max(d/d*, d*/d) < 1.25**k``, k=1,2,3;
2. ``abs_rel = 1/|T| sum |d - d*| / d*``;
3. ``sq_rel = 1/|T| sum |d - d*|**2 / d*``;
4. ``rmse = sqrt(1/|T| sum (d - d*)**2)``;
5. ``rmse_log = sqrt(1/|T| sum (log d - log d*)**2)``;
6. ``rmse_log_si``: RMSE (log) after equalising the mean log depth of the
   estimate and the ground truth, i.e. with ``g = log d - log d*`` of one
   image, ``sqrt(1/|T| sum (g - mean g)**2)``. This is the square root of
   Eigen et al.'s scale-invariant error D with lambda = 1; it is *not*
   mmseg's ``silog`` (lambda = 0.5, over the pixels of the whole set).

Each image is reduced to additive sufficient statistics
(:func:`depth_error_sums`), so a metric only keeps a few numbers per image and
can average them per image or pool them over all pixels
(:func:`depth_metrics_from_sums`).
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import torch

#: Names of the Table 2 rows, in the paper's order.
DEPTH_METRIC_NAMES = ('delta1', 'delta2', 'delta3', 'abs_rel', 'sq_rel',
                      'rmse', 'rmse_log', 'rmse_log_si')

#: Keys of the per-image sufficient statistics returned by
#: :func:`depth_error_sums`. ``sum_sq_log_centred`` is
#: ``sum (g - mean g)**2`` of one image (Eq. of row 6).
SUM_KEYS = ('num_pixels', 'count_delta1', 'count_delta2', 'count_delta3',
            'sum_abs_rel', 'sum_sq_rel', 'sum_sq', 'sum_sq_log',
            'sum_sq_log_centred')

#: Eigen et al.'s evaluation crop of a 480x640 NYUv2 frame: rows 45:471,
#: columns 41:601 (the region with valid Kinect depth after registration).
EIGEN_CROP = (45, 471, 41, 601)
EIGEN_CROP_FRAME = (480, 640)

DELTA_BASE = 1.25


def valid_depth_mask(gt_depth: torch.Tensor, min_depth: float,
                     max_depth: float, eigen_crop: bool = False
                     ) -> torch.Tensor:
    """Pixels that enter the evaluation.

    Args:
        gt_depth: (H, W) ground-truth depth, metres; 0 = invalid.
        min_depth: pixels with ``gt <= min_depth`` are ignored, metres.
        max_depth: pixels with ``gt >= max_depth`` are ignored, metres.
        eigen_crop: keep only rows 45:471 and columns 41:601; requires a
            480x640 ground truth.

    Returns:
        (H, W) bool mask: finite and ``min_depth < gt < max_depth`` (and
        inside the crop if requested).

    Raises:
        ValueError: ``eigen_crop`` is requested for a frame that is not
            480x640.
    """
    mask = torch.isfinite(gt_depth) & (gt_depth > min_depth) & (
        gt_depth < max_depth)
    if eigen_crop:
        if tuple(gt_depth.shape) != EIGEN_CROP_FRAME:
            raise ValueError(
                'eigen_crop=True needs 480x640 ground-truth depth (the crop '
                f'[45:471, 41:601] is defined on NYUv2 frames); got shape '
                f'{tuple(gt_depth.shape)}')
        top, bottom, left, right = EIGEN_CROP
        crop = torch.zeros_like(mask)
        crop[top:bottom, left:right] = True
        mask &= crop
    return mask


def depth_error_sums(pred_depth: torch.Tensor, gt_depth: torch.Tensor,
                     mask: torch.Tensor) -> dict[str, float]:
    """Additive statistics of one image for the eight rows of Table 2.

    Args:
        pred_depth: (H, W) estimated depth, metres, already clamped to a
            positive range (see :class:`DepthEstimationMetric`).
        gt_depth: (H, W) ground-truth depth, metres.
        mask: (H, W) bool, pixels to evaluate (see :func:`valid_depth_mask`).

    Returns:
        Dict with the keys of :data:`SUM_KEYS`; counts are ints, sums are
        float64 Python floats. All are 0 when the mask is empty.
    """
    pred = pred_depth[mask].double()
    gt = gt_depth[mask].double()
    num_pixels = int(pred.numel())
    if num_pixels == 0:
        return {key: 0 if key.startswith(('num', 'count')) else 0.0
                for key in SUM_KEYS}
    ratio = torch.maximum(pred / gt, gt / pred)
    diff = pred - gt
    log_diff = torch.log(pred) - torch.log(gt)
    centred = log_diff - log_diff.mean()
    sums = dict(num_pixels=num_pixels)
    for power in (1, 2, 3):
        sums[f'count_delta{power}'] = int(
            (ratio < DELTA_BASE**power).sum().item())
    sums.update(
        sum_abs_rel=(diff.abs() / gt).sum().item(),
        sum_sq_rel=(diff.square() / gt).sum().item(),
        sum_sq=diff.square().sum().item(),
        sum_sq_log=log_diff.square().sum().item(),
        sum_sq_log_centred=centred.square().sum().item())
    return sums


def _metrics_of(sums: Mapping[str, float]) -> dict[str, float]:
    """Table 2 rows from (per-image or pooled) sums with ``num_pixels > 0``."""
    num = sums['num_pixels']
    return dict(
        delta1=sums['count_delta1'] / num,
        delta2=sums['count_delta2'] / num,
        delta3=sums['count_delta3'] / num,
        abs_rel=sums['sum_abs_rel'] / num,
        sq_rel=sums['sum_sq_rel'] / num,
        rmse=math.sqrt(sums['sum_sq'] / num),
        rmse_log=math.sqrt(sums['sum_sq_log'] / num),
        rmse_log_si=math.sqrt(sums['sum_sq_log_centred'] / num))


def depth_metrics_from_sums(per_image_sums: Sequence[Mapping[str, float]],
                            average: str = 'image') -> dict[str, float]:
    """Table 2 rows from the per-image statistics of a whole test set.

    Args:
        per_image_sums: one :func:`depth_error_sums` dict per image.
        average: ``'image'``: each row is computed per image and the rows are
            averaged over images (an RMSE is the mean of per-image RMSEs);
            images without a valid pixel are left out. ``'pixel'``: the sums
            are pooled over all pixels of all images first. In both modes the
            log-mean equalisation of ``rmse_log_si`` is done per image.

    Returns:
        Dict keyed by :data:`DEPTH_METRIC_NAMES`: deltas and relative errors
        as fractions, RMSEs in metres (log ones in natural-log units). All are
        NaN if no image has a valid pixel.

    Raises:
        ValueError: unknown ``average``.
    """
    if average not in ('image', 'pixel'):
        raise ValueError(
            f"average must be 'image' or 'pixel', got {average!r}")
    non_empty = [sums for sums in per_image_sums if sums['num_pixels'] > 0]
    if not non_empty:
        return {name: math.nan for name in DEPTH_METRIC_NAMES}
    if average == 'pixel':
        pooled = {key: sum(sums[key] for sums in non_empty)
                  for key in SUM_KEYS}
        return _metrics_of(pooled)
    per_image = [_metrics_of(sums) for sums in non_empty]
    return {
        name: math.fsum(metrics[name] for metrics in per_image) /
        len(per_image)
        for name in DEPTH_METRIC_NAMES
    }
