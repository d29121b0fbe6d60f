"""A CRF refiner for mmseg's EncoderDecoder family (the shared half).

``CRFEncoderDecoder`` and ``CRFCascadeEncoderDecoder`` (``crf_encoder_
decoder.py``) are mmseg's segmentors with this mixin in front: the network,
its checkpoint keys, its preprocessing and its whole / slide inference are
mmseg's, unchanged. The mixin adds:

* ``predict``: mmseg's inference (whole, or slide: stitched), then the CRF
  once per image at ``ori_shape`` on the recovered image
  (``crf_refinement.py``); the unaries stay as ``seg_logits_unary``;
* ``loss``: the cross entropy of the refined logits (the decode head's
  ``loss_by_feat``), with the stock losses (``crf_training='end_to_end'``)
  or alone on a frozen network (``'refiner_only'``);
* loading a stock checkpoint: the absent ``refiner.*`` keys keep the
  refiner's current (initial) values, said in one log line.
"""
from __future__ import annotations

import logging
from typing import List, Optional

import torch
from mmengine.logging import print_log
from torch import Tensor

from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import OptSampleList, SampleList, add_prefix
from ..utils import bilinear_resize
from .crf_depth import (CRF_DEPTH_SOURCES_WITHOUT_ESTIMATE,
                        fill_depth_holes_from_neighbours, stack_measured_depth)
from .crf_image import recover_image_rgb_0_255
from .crf_refinement import (CRFView, check_not_one_view_of_many, crf_views,
                             default_metas, refine_views, scale_losses,
                             set_crf_predictions)

#: ``crf_training`` choices: the stock losses plus the CRF's, or the CRF's
#: alone with the network frozen.
CRF_TRAINING_MODES = ('end_to_end', 'refiner_only')


def fill_missing_refiner_keys(module, state_dict: dict, prefix: str,
                              *args) -> None:
    """Load-state-dict pre-hook: a checkpoint without ``refiner.*`` keys.

    A stock checkpoint of the same mmseg model has every key but the
    refiner's. The refiner then keeps its current (initial) values, which
    are written into ``state_dict`` so that nothing is reported missing,
    and one warning line says so. A checkpoint with some refiner keys loads
    normally (a partial refiner is reported by the loader).
    """
    refiner_prefix = f'{prefix}refiner.'
    own = module.refiner.state_dict()
    if any(refiner_prefix + key in state_dict for key in own):
        return
    if not any(key.startswith(prefix) for key in state_dict):
        return
    for key, value in own.items():
        state_dict[refiner_prefix + key] = value.detach().clone()
    print_log(
        f'{type(module).__name__}: the checkpoint has no {refiner_prefix}* '
        f'weights (a checkpoint of the model without CRF); the refiner '
        f'keeps its initial values ({", ".join(own)})',
        logger='current', level=logging.WARNING)


def uses_depth_kernel(refiner) -> Optional[bool]:
    """Whether a refiner has a depth kernel (None: it does not say)."""
    weights = getattr(refiner, 'kernel_weights', None)
    return None if weights is None else 'depth' in weights()


class CRFRefinerMixin:
    """The CRF half of ``CRFEncoderDecoder``; put it before the mmseg class.

    Subclasses provide ``_crf_head`` (the head whose ``loss_by_feat`` scores
    the refined logits), ``_unary_logits_for_training(x)`` and
    ``_decode_losses_and_unaries(x, data_samples)``.
    """

    def __init__(self, refiner: Optional[dict] = None,
                 crf_depth_source: Optional[str] = None,
                 crf_training: str = 'end_to_end',
                 refiner_loss_weight: float = 1.0, **kwargs) -> None:
        """The mmseg segmentor's ``__init__(**kwargs)``, then the refiner
        (arguments as ``CRFEncoderDecoder`` documents them)."""
        super().__init__(**kwargs)
        self._init_refiner(refiner, crf_depth_source, crf_training,
                           refiner_loss_weight)

    def _init_refiner(self, refiner: Optional[dict],
                      crf_depth_source: Optional[str], crf_training: str,
                      refiner_loss_weight: float) -> None:
        """Builds and checks the refiner, after mmseg's ``__init__``."""
        name = type(self).__name__
        if refiner is None:
            raise ValueError(
                f"{name}: refiner is required, e.g. refiner=dict(type="
                f"'DenseCRF', num_classes={self.num_classes}, w_depth=None) "
                "(without a CRF use mmseg's own segmentor)")
        if self.out_channels != self.num_classes:
            raise ValueError(
                f'{name}: the decode head has out_channels='
                f'{self.out_channels} for num_classes={self.num_classes} (a '
                'sigmoid binary head); the CRF needs one logit per class')
        self.refiner = MODELS.build(refiner)
        classes = getattr(self.refiner, 'num_classes', self.num_classes)
        if classes != self.num_classes:
            raise ValueError(
                f'{name}: refiner.num_classes={classes} but the decode head '
                f'predicts num_classes={self.num_classes}; set refiner=dict('
                f'..., num_classes={self.num_classes})')
        if crf_depth_source not in CRF_DEPTH_SOURCES_WITHOUT_ESTIMATE:
            raise ValueError(
                f'{name}: crf_depth_source must be one of '
                f'{CRF_DEPTH_SOURCES_WITHOUT_ESTIMATE}, got '
                f'{crf_depth_source!r}')
        with_depth = uses_depth_kernel(self.refiner)
        if with_depth is not None and with_depth != (crf_depth_source
                                                     is not None):
            raise ValueError(
                f'{name}: the refiner ' + (
                    "has a depth kernel but crf_depth_source=None gives it "
                    "no depth; set w_depth=None (RGB) or crf_depth_source="
                    "'measured' (RGB-D data)" if with_depth else
                    "has no depth kernel (w_depth=None) to read "
                    "crf_depth_source='measured'; set w_depth"))
        if crf_training not in CRF_TRAINING_MODES:
            raise ValueError(f'{name}: crf_training must be one of '
                             f'{CRF_TRAINING_MODES}, got {crf_training!r}')
        if not float(refiner_loss_weight) > 0:
            raise ValueError(f'{name}: refiner_loss_weight must be > 0, got '
                             f'{refiner_loss_weight}')
        self.crf_depth_source = crf_depth_source
        self.crf_training = crf_training
        self.refiner_loss_weight = float(refiner_loss_weight)
        self._previous_views: Optional[tuple] = None
        if crf_training == 'refiner_only':
            for param_name, param in self.named_parameters():
                if not param_name.startswith('refiner.'):
                    param.requires_grad_(False)
        self.register_load_state_dict_pre_hook(fill_missing_refiner_keys)

    @property
    def with_refiner(self) -> bool:
        return True

    def train(self, mode: bool = True):
        """With ``crf_training='refiner_only'`` the network stays in eval
        mode (BN statistics and dropout of the frozen model); the refiner
        follows ``mode``."""
        super().train(mode)
        if self.crf_training == 'refiner_only':
            for child_name, child in self.named_children():
                if child_name != 'refiner':
                    child.train(False)
        return self

    # ---------------------------------------------------------- training

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """The stock losses (``end_to_end``) plus ``crf.*``: the decode
        head's loss of the refined logits, times ``refiner_loss_weight``.

        The refiner reads the unaries upsampled to the input (the training
        crop), the recovered RGB image and, with ``crf_depth_source=
        'measured'``, the measured depth with its holes filled.
        """
        if self.crf_training == 'refiner_only':
            with torch.no_grad():
                unary = self._unary_logits_for_training(
                    self.extract_feat(inputs))
            losses = dict()
        else:
            features = self.extract_feat(inputs)
            losses, unary = self._decode_losses_and_unaries(features,
                                                            data_samples)
            if self.with_auxiliary_head:
                losses.update(self._auxiliary_head_forward_train(
                    features, data_samples))
        self._check_unary(unary)
        size = tuple(inputs.shape[2:])
        if tuple(unary.shape[2:]) != size:
            unary = bilinear_resize(unary, size, self.align_corners)
        refined = self.refiner(unary, self._crf_image(inputs),
                               self._crf_depth(inputs, data_samples))
        crf = self._crf_head.loss_by_feat(refined, data_samples)
        losses.update(add_prefix(scale_losses(crf, self.refiner_loss_weight),
                                 'crf'))
        return losses

    def _check_unary(self, unary) -> None:
        if not (isinstance(unary, Tensor) and unary.dim() == 4
                and unary.shape[1] == self.num_classes):
            got = (tuple(unary.shape) if isinstance(unary, Tensor)
                   else type(unary).__name__)
            raise ValueError(
                f'{type(self).__name__}: the decode head\'s forward() gives '
                f'{got}, not (B, {self.num_classes}, h, w) logits, so the CRF '
                'cannot be trained on it (inference still works)')

    # --------------------------------------------------------- inference

    def _crf_image(self, inputs: Tensor) -> Tensor:
        return recover_image_rgb_0_255(inputs, self.data_preprocessor,
                                       type(self).__name__)

    def _crf_depth(self, inputs: Tensor,
                   data_samples: OptSampleList) -> Optional[Tensor]:
        """(B, 1, H, W) measured depth, holes filled, or None."""
        if self.crf_depth_source is None:
            return None
        measured = stack_measured_depth(
            data_samples, inputs.shape[0], tuple(inputs.shape[2:]),
            inputs.float(), type(self).__name__)
        return fill_depth_holes_from_neighbours(measured)

    def crf_inputs_at_original_size(
            self, inputs: Tensor,
            data_samples: OptSampleList = None) -> List[CRFView]:
        """mmseg's (whole or slide) inference, then per image the unaries,
        the RGB image and the CRF's depth at ``ori_shape``.

        Args:
            inputs: (B, 3, H, W) from the data preprocessor.
            data_samples: the batch's samples (metainfo; the measured depth
                with ``crf_depth_source='measured'``), or None.

        Returns:
            list[CRFView]: one per image.
        """
        metas = ([sample.metainfo for sample in data_samples]
                 if data_samples is not None else default_metas(inputs))
        # what the CRF reads is checked before the network runs
        image = self._crf_image(inputs)
        depth = self._crf_depth(inputs, data_samples)
        # slide_inference writes crop shapes into the metas it is given
        logits = self.inference(inputs, [dict(meta) for meta in metas])
        return crf_views(logits, image, metas, self.align_corners,
                         depth=depth)

    def predict(self, inputs: Tensor,
                data_samples: OptSampleList = None) -> SampleList:
        """Refined predictions at each image's original size.

        Returns:
            list[SegDataSample]: with ``seg_logits`` / ``pred_sem_seg`` (the
            CRF's) and ``seg_logits_unary`` / ``pred_sem_seg_unary`` (the
            network's), (C, H0, W0) / (1, H0, W0).
        """
        metas = ([sample.metainfo for sample in data_samples]
                 if data_samples is not None else default_metas(inputs))
        self._previous_views = check_not_one_view_of_many(
            self._previous_views, metas, type(self).__name__)
        views = self.crf_inputs_at_original_size(inputs, data_samples)
        refined = refine_views(self.refiner, [v.unary for v in views],
                               [v.image for v in views],
                               [v.depth for v in views])
        if data_samples is None:
            data_samples = [SegDataSample() for _ in views]
        for sample, view, logits in zip(data_samples, views, refined):
            set_crf_predictions(sample, logits, view.unary)
        return data_samples
