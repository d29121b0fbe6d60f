"""Test-time hook writing the Fig. 2 and Fig. 3 panels of every test image."""
from __future__ import annotations

import os.path as osp
from typing import Any, Optional, Sequence

import numpy as np
from mmengine.hooks import Hook
from mmseg.registry import HOOKS

from jointdepthseg.fileio import atomic_write_png, read_depth_m, read_image
from .figures import fig2_joint_prediction, fig3_crf_comparison


@HOOKS.register_module()
class JointVisualizationHook(Hook):
    """Write ``OUT_DIR/fig2/NAME.png`` (and ``fig3/NAME.png``) while testing.

    Fig. 2 (input, ground-truth labels, predicted labels, raw depth with
    holes, estimated depth) is written for every test image, Fig. 3 (labels
    with / without the CRF) for images whose data sample carries
    ``pred_sem_seg_unary`` (models with a CRF refiner). The input is read
    from metainfo ``img_path``, the raw depth from ``raw_depth_path`` (a
    16-bit millimetre png; the panel says "n/a" when the key is absent). The
    palette comes from the test dataset's ``metainfo['palette']``.
    ``NAME`` is the input file name without extension.

    Args:
        out_dir: folder for the figures.
        max_images: write only the first N images (per process in
            distributed testing); None = all.
        scale: panel pixels per input pixel.
        depth_range_m: fixed depth colour-bar limits in metres; None = 0 to
            the largest depth shown in each figure.
        ignore_index: unlabeled ground-truth value, drawn black.
    """

    def __init__(self,
                 out_dir: str,
                 max_images: Optional[int] = None,
                 scale: float = 0.5,
                 depth_range_m: Optional[Sequence[float]] = None,
                 ignore_index: int = 255) -> None:
        if max_images is not None and max_images < 0:
            raise ValueError(f'max_images must be >= 0, got {max_images}')
        self.out_dir = out_dir
        self.max_images = max_images
        self.scale = scale
        self.depth_range_m = (None if depth_range_m is None else
                              tuple(float(d) for d in depth_range_m))
        self.ignore_index = ignore_index
        self.palette: Optional[list] = None
        self.num_written = 0

    def before_test_epoch(self, runner) -> None:
        """Take the palette from the test dataset and reset the count."""
        metainfo = runner.test_dataloader.dataset.metainfo
        if 'palette' not in metainfo:
            raise KeyError('JointVisualizationHook needs the test dataset '
                           "metainfo to hold a 'palette'")
        self.palette = metainfo['palette']
        self.num_written = 0

    def after_test_iter(self,
                        runner,
                        batch_idx: int,
                        data_batch: Any = None,
                        outputs: Optional[Sequence[Any]] = None) -> None:
        """Draw the figures of this batch's samples (up to ``max_images``)."""
        for sample in outputs or ():
            if (self.max_images is not None
                    and self.num_written >= self.max_images):
                return
            self.draw_sample(sample)
            self.num_written += 1

    def draw_sample(self, sample: Any) -> list[str]:
        """Write the figures of one ``SegDataSample``; return their paths."""
        if self.palette is None:
            raise RuntimeError('JointVisualizationHook.before_test_epoch has '
                               'not run: no palette')
        img_path = sample.metainfo.get('img_path')
        if img_path is None:
            raise KeyError('JointVisualizationHook needs metainfo img_path')
        image = read_image(img_path)
        raw_path = sample.metainfo.get('raw_depth_path')
        raw_depth = None if raw_path is None else read_depth_m(raw_path)
        gt_labels = _labels(sample, 'gt_sem_seg')
        name = osp.splitext(osp.basename(img_path))[0]
        fig2 = fig2_joint_prediction(
            image, gt_labels, _labels(sample, 'pred_sem_seg'),
            _map(sample, 'pred_depth_map')
            if 'pred_depth_map' in sample else None,  # stage 1: no depth
            raw_depth, self.palette,
            self.ignore_index, self.depth_range_m, self.scale)
        paths = [osp.join(self.out_dir, 'fig2', name + '.png')]
        atomic_write_png(paths[0], fig2, rgb=True)
        if 'pred_sem_seg_unary' in sample:
            fig3 = fig3_crf_comparison(
                image, gt_labels, _labels(sample, 'pred_sem_seg'),
                _labels(sample, 'pred_sem_seg_unary'), self.palette,
                self.ignore_index, self.scale)
            paths.append(osp.join(self.out_dir, 'fig3', name + '.png'))
            atomic_write_png(paths[1], fig3, rgb=True)
        return paths


def _map(sample: Any, key: str) -> np.ndarray:
    """(H, W) numpy array of the pixel data ``key`` of a data sample."""
    if key not in sample:
        raise KeyError(f'JointVisualizationHook needs {key!r} in the data '
                       'samples (see docs/architecture.md)')
    data = getattr(sample, key).data
    return data.detach().cpu().numpy().reshape(data.shape[-2:])


def _labels(sample: Any, key: str) -> np.ndarray:
    """(H, W) int64 labels of a data sample."""
    return _map(sample, key).astype(np.int64)
