"""Table 2 depth-estimation metric (Mousavian et al., 3DV 2016, Sec. 4.2)."""
from __future__ import annotations

from typing import Any, Optional, Sequence

import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmseg.registry import METRICS

from ..depth_errors import (depth_error_sums, depth_metrics_from_sums,
                            valid_depth_mask)
from .sample_fields import sample_map, sample_name


@METRICS.register_module()
class DepthEstimationMetric(BaseMetric):
    """The eight rows of Table 2 over the valid ground-truth pixels.

    Valid pixels: finite ground truth with ``min_depth < gt < max_depth``,
    optionally inside Eigen's crop ``[45:471, 41:601]`` of a 480x640 frame.
    Predictions are clamped to ``[min_depth, max_depth]`` first. The formulas
    live in :mod:`jointdepthseg.evaluation.depth_errors`.

    Averaging: ``average='image'`` (default) computes each row per image and
    averages over the images that have at least one valid pixel;
    ``average='pixel'`` pools all valid pixels of the test set. The
    scale-invariant RMSE equalises the mean log depth per image in both modes.

    ``process`` keeps only nine numbers per image (counts and sums), so the
    metric is exact in distributed evaluation, where mmengine gathers them.

    Output keys (with mmengine's ``prefix/``; default prefix ``depth``):
    ``delta1``, ``delta2``, ``delta3``, ``abs_rel``, ``sq_rel`` (fractions),
    ``rmse`` (metres), ``rmse_log``, ``rmse_log_si`` (natural-log units),
    and ``conventions``: a dict with ``average``, ``eigen_crop``,
    ``min_depth_m``, ``max_depth_m``, ``num_images`` (images evaluated),
    ``num_images_without_valid_depth`` and ``num_pixels``.

    Args:
        min_depth: lower bound of valid ground truth and of predictions,
            metres.
        max_depth: upper bound of valid ground truth and of predictions,
            metres.
        eigen_crop: evaluate inside Eigen's crop only (480x640 frames only).
        average: ``'image'`` or ``'pixel'``, see above.
        pred_key: data-sample field with the (1, H, W) predicted depth.
        gt_key: data-sample field with the (1, H, W) ground truth, 0 =
            invalid.
        collect_device: ``'cpu'`` or ``'gpu'``, for distributed collection.
        prefix: key prefix; defaults to ``'depth'``.
        collect_dir: folder for cpu collection, see mmengine's BaseMetric.
    """

    default_prefix: Optional[str] = 'depth'

    def __init__(self,
                 min_depth: float = 1e-3,
                 max_depth: float = 10.0,
                 eigen_crop: bool = False,
                 average: str = 'image',
                 pred_key: str = 'pred_depth_map',
                 gt_key: str = 'gt_depth_map',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(
            collect_device=collect_device,
            prefix=prefix,
            collect_dir=collect_dir)
        if not 0 < min_depth < max_depth:
            raise ValueError('DepthEstimationMetric needs 0 < min_depth < '
                             f'max_depth, got {min_depth} and {max_depth}')
        if average not in ('image', 'pixel'):
            raise ValueError("DepthEstimationMetric: average must be 'image' "
                             f"or 'pixel', got {average!r}")
        self.min_depth = float(min_depth)
        self.max_depth = float(max_depth)
        self.eigen_crop = bool(eigen_crop)
        self.average = average
        self.pred_key = pred_key
        self.gt_key = gt_key

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Append the per-image error sums of each sample to ``results``.

        Args:
            data_batch: unused.
            data_samples: samples with ``pred_key`` and ``gt_key`` maps of
                equal (H, W), metres.

        Raises:
            ValueError: shapes differ, or the prediction is NaN at a valid
                pixel (names the image).
        """
        name = type(self).__name__
        for sample in data_samples:
            # float64 so that the range tests and the clamp use the exact
            # bounds (1e-3 is not representable in float32).
            pred = sample_map(sample, self.pred_key, name).double()
            gt = sample_map(sample, self.gt_key, name).to(pred)
            if pred.shape != gt.shape:
                raise ValueError(
                    f'{name}: {self.pred_key} {tuple(pred.shape)} and '
                    f'{self.gt_key} {tuple(gt.shape)} differ for '
                    f'{sample_name(sample)}')
            mask = valid_depth_mask(gt, self.min_depth, self.max_depth,
                                    self.eigen_crop)
            if torch.isnan(pred[mask]).any():
                raise ValueError(f'{name}: the predicted depth of '
                                 f'{sample_name(sample)} contains NaN')
            pred = pred.clamp(self.min_depth, self.max_depth)
            self.results.append(depth_error_sums(pred, gt, mask))

    def compute_metrics(self, results: list) -> dict:
        """Table 2 rows and the conventions used, from all images' sums."""
        metrics: dict[str, Any] = depth_metrics_from_sums(
            results, self.average)
        num_images = sum(1 for sums in results if sums['num_pixels'] > 0)
        metrics['conventions'] = dict(
            average=self.average,
            eigen_crop=self.eigen_crop,
            min_depth_m=self.min_depth,
            max_depth_m=self.max_depth,
            num_images=num_images,
            num_images_without_valid_depth=len(results) - num_images,
            num_pixels=int(sum(sums['num_pixels'] for sums in results)))
        if num_images < len(results):
            print_log(
                f'{type(self).__name__}: {len(results) - num_images} of '
                f'{len(results)} images have no valid ground-truth depth '
                'and are left out', logger='current')
        return metrics
