"""From a photo to the network's input: reading, and the config's test
pipeline brought to the scale the model was trained at.

A model trained on 480x640 NYU images (or 120x160 synthetic rooms) sees
objects at that scale. A photo from another camera is first resized, keeping
its aspect ratio, by mmcv's ``Resize(scale=..., keep_ratio=True)`` to the
config's ``inference_scale``, as mmseg's test pipelines do; the segmentor
then returns its predictions at the photo's original size (``ori_shape``).
"""
from __future__ import annotations

import os.path as osp
from pathlib import Path
from typing import Union

import mmcv
import numpy as np
from mmengine.config import Config
from mmengine.dataset import Compose

ImageInput = Union[str, Path, np.ndarray]

#: Transforms that read ground truth; inference has none, so they are dropped.
ANNOTATION_LOADERS = ('LoadAnnotations', 'LoadNYUAnnotations',
                      'LoadDepthAnnotation', 'LoadBiomedicalAnnotation')

#: mmcv / mmseg transforms with which a test pipeline sets the scale itself.
RESIZE_TRANSFORMS = ('Resize', 'RandomResize', 'RandomChoiceResize',
                     'ResizeShortestEdge')


def check_inference_scale(scale) -> tuple:
    """``(long, short)`` edge in pixels -> a tuple of two positive ints."""
    if (not isinstance(scale, (tuple, list)) or len(scale) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool)
                       and v > 0 for v in scale)):
        raise ValueError('inference_scale must be None or two positive '
                         f'integers (long edge, short edge), got {scale!r}')
    return tuple(scale)


def inference_pipeline(cfg: Config) -> Compose:
    """The config's test pipeline for an in-memory BGR image, without labels.

    The image loader becomes ``LoadImageFromNDArray`` (:func:`read_image_bgr`
    reads files) and every ground-truth loader is dropped. When the config
    sets ``inference_scale = (long, short)`` (our dataset base configs do:
    (640, 480) for NYU, (160, 120) for the synthetic rooms), a
    ``Resize(scale=inference_scale, keep_ratio=True)`` follows the loader: a
    photo's longer edge becomes at most ``long`` pixels and its shorter edge
    at most ``short``, whichever is reached first, upwards or downwards. A
    test pipeline that has its own resize step (mmseg style) is used as it
    is. Without either, the network runs at the photo's own size. A config
    without any test pipeline gets ``[LoadImageFromNDArray, PackSegInputs]``.

    Raises:
        ValueError: ``inference_scale`` is malformed, or is set while the test
            pipeline already resizes (two scales; keep one).
    """
    loader = cfg.get('test_dataloader') or {}
    steps = (loader.get('dataset') or {}).get('pipeline') or \
        cfg.get('test_pipeline') or [dict(type='PackSegInputs')]
    kept = [dict(step) for step in steps
            if step['type'] not in ANNOTATION_LOADERS
            and not str(step['type']).startswith('LoadImageFrom')]
    scale = cfg.get('inference_scale')
    if scale is not None:
        scale = check_inference_scale(scale)
        own = [step['type'] for step in kept
               if str(step['type']).split('.')[-1] in RESIZE_TRANSFORMS]
        if own:
            raise ValueError(
                f'the config sets inference_scale={scale} and its test '
                f'pipeline already resizes ({own[0]}); set inference_scale '
                '= None or remove that step')
        kept.insert(0, dict(type='Resize', scale=scale, keep_ratio=True))
    return Compose([dict(type='LoadImageFromNDArray')] + kept)


def read_image_bgr(image: ImageInput) -> np.ndarray:
    """A path (read in colour) or an (H, W, 3) uint8 RGB array -> BGR uint8.

    The BGR order is what mmseg's ``LoadImageFromFile`` gives the training
    pipeline; the data preprocessor turns it back into RGB.
    """
    if isinstance(image, (str, Path)):
        if not osp.isfile(image):
            raise FileNotFoundError(f'image file not found: {image}')
        bgr = mmcv.imread(str(image), flag='color', channel_order='bgr')
        if bgr is None:
            raise ValueError(f'cannot decode image file: {image}')
        return bgr
    if not isinstance(image, np.ndarray):
        raise TypeError('image must be a file path or an (H, W, 3) uint8 RGB '
                        f'array, got {type(image).__name__}')
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8 \
            or image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError('image array must be (H, W, 3) uint8 RGB, got shape '
                         f'{image.shape} and dtype {image.dtype}')
    return np.ascontiguousarray(image[..., ::-1])
