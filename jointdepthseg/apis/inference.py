"""Inference with a trained model: labels, depth in metres and probabilities.

    from jointdepthseg.apis import inference, init_model

    model = init_model('configs/nyu/stage3_crf.py',
                       'work_dirs/nyu/stage3_crf/iter_10000.pth', device='cpu')
    result = inference(model, 'room.png')   # or an (H, W, 3) uint8 RGB array
    result.labels   # (H, W) int64 class indices (NYU-40: 0..39)
    result.depth    # (H, W) float32 metres, None for a model without depth

Works with any mmseg segmentor (``JointDepthSegmentor``, mmseg's
``EncoderDecoder``, ...) on photos of any size and from any camera: the photo
is resized (aspect ratio kept) to the scale the model was trained at, the
config's ``inference_scale`` (see :mod:`jointdepthseg.apis.pipeline`), and the
predictions come back at the photo's original size, so the depth in metres of
a scene does not depend on the photo's resolution.
"""
from __future__ import annotations

import os.path as osp
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from torch import nn

from mmseg.registry import MODELS

from ..datasets.nyu_classes import NYU40_CLASSES, NYU40_PALETTE
from ..engine import checkpoint_safe_globals
from .pipeline import ImageInput, inference_pipeline, read_image_bgr

#: Longest list of mismatched weight names shown in an error.
MAX_MESSAGE_CHARS = 600


@dataclass
class JointPrediction:
    """The predictions for one image, at the image's original size (H, W).

    Attributes:
        labels: (H, W) int64 class indices of the final (CRF-refined when the
            model has a refiner) segmentation.
        depth: (H, W) float32 depth in metres, or None when the model has no
            depth head.
        probabilities: (C, H, W) float32 softmax of the final logits, only
            when asked for (``return_probabilities=True``).
    """
    labels: np.ndarray
    depth: Optional[np.ndarray] = None
    probabilities: Optional[np.ndarray] = None


def load_config(config: Union[str, Path, Config],
                cfg_options: Optional[dict] = None) -> Config:
    """A Config from a path or a Config (copied), with overrides merged."""
    if isinstance(config, (str, Path)):
        if not osp.isfile(config):
            raise FileNotFoundError(f'config file not found: {config}')
        config = Config.fromfile(str(config))
    elif isinstance(config, Config):
        config = config.copy()
    else:
        raise TypeError('config must be a file path or an mmengine Config, '
                        f'got {type(config).__name__}')
    if cfg_options:
        config.merge_from_dict(cfg_options)
    return config


def default_dataset_meta(num_classes: int) -> dict:
    """NYU-40 names and palette for a 40-class model, else generic ones."""
    if num_classes == len(NYU40_CLASSES):
        return dict(classes=NYU40_CLASSES, palette=NYU40_PALETTE)
    return dict(classes=tuple(f'class_{k}' for k in range(num_classes)),
                palette=[NYU40_PALETTE[k % len(NYU40_PALETTE)]
                         for k in range(num_classes)])


def init_model(config: Union[str, Path, Config],
               checkpoint: Optional[str] = None,
               device: str = 'cpu',
               cfg_options: Optional[dict] = None) -> nn.Module:
    """Builds the config's model and loads its weights, for :func:`inference`.

    Args:
        config: config file path or ``Config``.
        checkpoint: checkpoint file; None keeps the freshly built weights
            (for tests). Loaded with torch's safe (``weights_only``) loader
            and strictly: every weight of the model must be in the file.
        device: e.g. ``'cpu'`` or ``'cuda:0'``.
        cfg_options: config overrides, e.g. ``{'model.refiner': None}``.

    Returns:
        The model in eval mode on ``device``, with ``model.cfg`` (the config)
        and ``model.dataset_meta`` (``classes`` and ``palette``, from the
        checkpoint's meta, else NYU-40's for a 40-class model).

    Raises:
        FileNotFoundError: naming the missing config or checkpoint file.
        RuntimeError: the checkpoint's weights do not fit the config's model.
    """
    cfg = load_config(config, cfg_options)
    if checkpoint is not None and not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint file not found: {checkpoint}')
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model_cfg = cfg.model.copy()
    model_cfg.train_cfg = None  # inference builds no training-only parts
    model = MODELS.build(model_cfg)
    meta = {}
    if checkpoint is not None:
        with checkpoint_safe_globals():
            try:
                loaded = load_checkpoint(model, checkpoint,
                                         map_location='cpu', strict=True)
            except RuntimeError as error:  # mmengine lists the keys
                details = '; '.join(line.strip() for line in
                                    str(error).splitlines()[1:] if line)
                if len(details) > MAX_MESSAGE_CHARS:
                    details = details[:MAX_MESSAGE_CHARS] + ' ...'
                raise RuntimeError(
                    f'checkpoint {checkpoint} does not fit the model of the '
                    f'config: {details}') from None
        meta = loaded.get('meta', {}) if isinstance(loaded, dict) else {}
    model.dataset_meta = meta.get('dataset_meta') or default_dataset_meta(
        model.decode_head.num_classes)
    model.cfg = cfg
    model.to(device)
    model.eval()
    return model


def inference(model: nn.Module,
              image: Union[ImageInput, Sequence[ImageInput]],
              return_probabilities: bool = False,
              batch_size: int = 1
              ) -> Union[JointPrediction, List[JointPrediction]]:
    """Predicts labels and depth for one image or a list of images.

    Args:
        model: from :func:`init_model` (needs ``model.cfg``).
        image: a file path or an (H, W, 3) uint8 RGB array of any size, or a
            list of them. It is resized to the config's ``inference_scale``
            (keeping its aspect ratio) before the network, when one is set.
        return_probabilities: also return the (C, H, W) softmax of the final
            (refined, with a CRF) logits.
        batch_size: images per forward pass for a list; images whose
            network inputs differ in size run in separate passes.

    Returns:
        A :class:`JointPrediction` for one image, a list (in input order) for
        a list; labels, depth and probabilities at each image's original
        (H, W), resized back bilinearly (logits and metres) by the segmentor.
    """
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    single = not isinstance(image, (list, tuple))
    images = [image] if single else list(image)
    pipeline = inference_pipeline(model.cfg)
    results: List[JointPrediction] = []
    for start in range(0, len(images), batch_size):
        packed = [pipeline(dict(img=read_image_bgr(item)))
                  for item in images[start:start + batch_size]]
        results.extend(_predict_packed(model, packed, return_probabilities))
    return results[0] if single else results


def _predict_packed(model: nn.Module, packed: List[dict],
                    return_probabilities: bool) -> List[JointPrediction]:
    """Runs the model on packed samples, grouping equal input sizes."""
    outputs: List[Optional[JointPrediction]] = [None] * len(packed)
    groups: dict = {}
    for index, sample in enumerate(packed):
        groups.setdefault(tuple(sample['inputs'].shape), []).append(index)
    for indices in groups.values():
        data = dict(inputs=[packed[i]['inputs'] for i in indices],
                    data_samples=[packed[i]['data_samples'] for i in indices])
        with torch.no_grad():
            samples = model.test_step(data)
        for index, sample in zip(indices, samples):
            outputs[index] = _to_prediction(sample, return_probabilities)
    return outputs


def _to_prediction(sample, return_probabilities: bool) -> JointPrediction:
    """A predicted ``SegDataSample`` -> numpy arrays at the original size."""
    labels = sample.pred_sem_seg.data[0].cpu().numpy().astype(np.int64)
    depth = None
    if 'pred_depth_map' in sample:
        depth = sample.pred_depth_map.data[0].float().cpu().numpy()
    probabilities = None
    if return_probabilities:
        logits = sample.seg_logits.data.float()
        probabilities = (logits.softmax(dim=0) if logits.shape[0] > 1
                         else logits.sigmoid()).cpu().numpy()
    return JointPrediction(labels=labels, depth=depth,
                           probabilities=probabilities)
