"""Loading NYU-40 label and depth pngs, with the checks that make bad files fail
loudly where they are read (never as a silent wrong number later); the files
are read by ``jointdepthseg.fileio``."""
from __future__ import annotations

import numpy as np
from mmcv.transforms import BaseTransform

from mmseg.registry import TRANSFORMS

from ...fileio import (DEPTH_PNG_TO_METRES, check_same_size,
                       depth_png_to_metres, read_depth_png, read_labels)
from ..nyu_classes import IGNORE_INDEX, NUM_NYU40_CLASSES

#: ``depth_source`` -> the data-info key of the png it reads.
DEPTH_SOURCES = dict(inpainted='depth_map_path', raw='raw_depth_path')


def raw_depth_path_of(results: dict, wanted_by: str) -> str:
    """``results['raw_depth_path']``, or a one-line error saying it is missing.

    ``NYUv2Dataset`` lists ``raw_depth_path`` only for images whose
    ``DATA_ROOT/raw_depths/SPLIT/NAME.png`` exists.
    """
    path = results.get('raw_depth_path')
    if path is None:
        raise FileNotFoundError(
            f"{results.get('img_path', '<image>')}: no raw Kinect depth "
            f'(raw_depths/SPLIT/NAME.png) for this image, which {wanted_by} '
            'needs; write raw_depths (tools/convert_nyu.py and '
            'tools/make_synthetic.py do) or read the in-painted depths/')
    return path


@TRANSFORMS.register_module()
class LoadNYUAnnotations(BaseTransform):
    """Loads the 40-class label png and the 16-bit depth pngs, checked.

    Put it after ``LoadImageFromFile`` (it checks sizes against the image's
    ``ori_shape``). Adds ``gt_seg_map`` (H, W) uint8, ``gt_depth_map`` (H, W)
    float32 metres (0 = invalid) and, with ``with_measured_depth``,
    ``measured_depth_map`` (H, W) float32 metres (0 = Kinect hole), all
    registered in ``seg_fields`` so that crops and flips move them with the
    image.

    Which depth is the ground truth: ``depth_source='inpainted'`` reads
    ``depths/`` (NYU's in-painted maps, dense; what Eigen et al. and we
    evaluate on), ``'raw'`` reads ``raw_depths/`` (the Kinect's own
    readings, holes = 0, which the depth loss ignores: the paper's "only the
    valid depth values for training", Sec. 4.2).

    Args:
        with_seg: load ``seg_map_path``.
        with_depth: load the ground-truth depth ``gt_depth_map``.
        num_classes: labels must lie in 0..num_classes-1 or be ignore_index.
        ignore_index: the unlabeled value (255).
        depth_scale: png value to metres (1e-3: the pngs hold millimetres).
        depth_source: ``'inpainted'`` (``depth_map_path``) or ``'raw'``
            (``raw_depth_path``): the file ``gt_depth_map`` comes from.
        with_measured_depth: also load the raw Kinect depth as the input
            ``measured_depth_map`` (for a CRF that uses the measured depth,
            ``JointDepthSegmentor(crf_depth_source='measured')``), at train
            and test time; pack it with ``PackJointSegInputs``.

    Raises:
        FileNotFoundError / ValueError naming the file (the readers of
        ``jointdepthseg.fileio``): missing or truncated png, wrong dtype or
        channels, labels out of range, a size different from the image's,
        no raw depth where one is needed.
    """

    def __init__(self, with_seg: bool = True, with_depth: bool = True,
                 num_classes: int = NUM_NYU40_CLASSES,
                 ignore_index: int = IGNORE_INDEX,
                 depth_scale: float = DEPTH_PNG_TO_METRES,
                 depth_source: str = 'inpainted',
                 with_measured_depth: bool = False) -> None:
        super().__init__()
        if depth_source not in DEPTH_SOURCES:
            raise ValueError(f'LoadNYUAnnotations: depth_source must be one '
                             f'of {tuple(DEPTH_SOURCES)}, got '
                             f'{depth_source!r}')
        self.with_seg = with_seg
        self.with_depth = with_depth
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.depth_scale = depth_scale
        self.depth_source = depth_source
        self.with_measured_depth = with_measured_depth

    def _read_depth_m(self, path: str, expected_hw: tuple,
                      image_path: str) -> np.ndarray:
        """(H, W) float32 metres from a checked 16-bit millimetre png."""
        depth_png = read_depth_png(path)
        check_same_size(depth_png, expected_hw, path, image_path)
        return depth_png_to_metres(depth_png, np.float32, self.depth_scale)

    def transform(self, results: dict) -> dict:
        expected_hw = results['ori_shape'][:2]
        image_path = results.get('img_path', '<image>')
        seg_fields = results.setdefault('seg_fields', [])
        if self.with_seg:
            path = results['seg_map_path']
            labels = read_labels(path, self.num_classes, self.ignore_index)
            check_same_size(labels, expected_hw, path, image_path)
            results['gt_seg_map'] = labels
            seg_fields.append('gt_seg_map')
        if self.with_depth:
            if self.depth_source == 'raw':
                path = raw_depth_path_of(
                    results, "LoadNYUAnnotations(depth_source='raw')")
            else:
                path = results['depth_map_path']
            results['gt_depth_map'] = self._read_depth_m(
                path, expected_hw, image_path)
            results['depth_rescale_factor'] = self.depth_scale
            seg_fields.append('gt_depth_map')
        if self.with_measured_depth:
            path = raw_depth_path_of(
                results, 'LoadNYUAnnotations(with_measured_depth=True)')
            results['measured_depth_map'] = self._read_depth_m(
                path, expected_hw, image_path)
            seg_fields.append('measured_depth_map')
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(with_seg={self.with_seg}, '
                f'with_depth={self.with_depth}, '
                f'num_classes={self.num_classes}, '
                f'depth_source={self.depth_source!r}, '
                f'with_measured_depth={self.with_measured_depth})')
