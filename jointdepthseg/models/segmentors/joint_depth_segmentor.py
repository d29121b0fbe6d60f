"""The joint network of Fig. 1: shared features, a semantic and a depth head, and an
optional CRF refiner, trained with ``lambda * L_sem + L_depth`` (Eq. 1).

Stage 1 of the paper is this segmentor without ``depth_head`` (L_sem only);
stage 2 adds the depth head; stage 3 adds ``refiner=dict(type='DenseCRF', ...)``,
which refines the semantic logits with the image and the (detached) estimated
depth, and whose output's cross entropy joins the loss. With
``crf_depth_source='measured'`` the CRF reads the measured (Kinect) depth
instead, its holes filled with the estimate (``crf_depth.py``): RGB-D input.
"""
from __future__ import annotations

from typing import Optional

import torch
from mmengine.structures import PixelData
from torch import Tensor

from mmseg.models.segmentors.base import BaseSegmentor
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import (ConfigType, OptConfigType, OptMultiConfig,
                         SampleList, add_prefix)

from ..utils import bilinear_resize
from .crf_depth import (CRF_DEPTH_SOURCES, fill_depth_holes,
                        stack_measured_depth)
from .postprocess import restore_original_size


def scale_losses(losses: dict, weight: float) -> dict:
    """Multiplies every ``loss*`` entry by ``weight``; logs (e.g. accuracy) stay."""
    return {name: value * weight if name.startswith('loss') else value
            for name, value in losses.items()}


@MODELS.register_module()
class JointDepthSegmentor(BaseSegmentor):
    """Semantic segmentation and depth from one shared network (Eq. 1).

    Args:
        backbone: e.g. ``dict(type='MultiScaleNet')``.
        decode_head: the semantic head, e.g. ``dict(type='MultiScaleSegHead')``;
            any mmseg decode head works (its logits are upsampled to the input).
        depth_head: ``dict(type='DepthBinHead', ...)`` or None (stage 1:
            semantics only).
        refiner: ``dict(type='DenseCRF', ...)`` or None. Called as
            ``refiner(seg_logits, image_rgb_0_255, depth_m_detached)``.
        crf_depth_source: the depth the refiner reads, (B, 1, H, W) metres:
            ``'estimate'`` (the paper: the depth head's output) or
            ``'measured'`` (each data sample's ``measured_depth_map``, the
            Kinect depth padded like the image, with its holes (0) filled by
            the estimate; needs a refiner and a depth head).
        neck: optional mmseg neck between backbone and heads.
        sem_loss_weight: lambda of Eq. 1, multiplies the semantic losses (the
            unary one and the CRF one).
        refiner_loss_weight: extra factor on the CRF output's cross entropy.
        train_cfg, test_cfg: as mmseg; only ``test_cfg.mode='whole'`` is
            supported.
        data_preprocessor: e.g. ``dict(type='JointSegDataPreProcessor', ...)``.
    """

    def __init__(self,
                 backbone: ConfigType,
                 decode_head: ConfigType,
                 depth_head: OptConfigType = None,
                 refiner: OptConfigType = None,
                 neck: OptConfigType = None,
                 sem_loss_weight: float = 1.0,
                 refiner_loss_weight: float = 1.0,
                 crf_depth_source: str = 'estimate',
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None):
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        if neck is not None:
            self.neck = MODELS.build(neck)
        self.decode_head = MODELS.build(decode_head)
        self.depth_head = MODELS.build(depth_head) if depth_head else None
        self.refiner = MODELS.build(refiner) if refiner else None
        self.align_corners = self.decode_head.align_corners
        self.num_classes = self.decode_head.num_classes
        self.out_channels = self.decode_head.out_channels
        self.sem_loss_weight = sem_loss_weight
        self.refiner_loss_weight = refiner_loss_weight
        if crf_depth_source not in CRF_DEPTH_SOURCES:
            raise ValueError(f'JointDepthSegmentor: crf_depth_source must be '
                             f'one of {CRF_DEPTH_SOURCES}, got '
                             f'{crf_depth_source!r}')
        if crf_depth_source == 'measured' and not (self.with_refiner and
                                                   self.with_depth_head):
            raise ValueError(
                "JointDepthSegmentor: crf_depth_source='measured' feeds the "
                "refiner's depth kernel and fills the Kinect holes with the "
                'estimated depth, so it needs both a refiner and a '
                'depth_head')
        self.crf_depth_source = crf_depth_source
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        mode = (test_cfg or {}).get('mode', 'whole')
        if mode != 'whole':
            raise ValueError(f"JointDepthSegmentor supports test_cfg.mode="
                             f"'whole' only, got {mode!r}")

    @property
    def with_depth_head(self) -> bool:
        return self.depth_head is not None

    @property
    def with_refiner(self) -> bool:
        return self.refiner is not None

    def extract_feat(self, inputs: Tensor) -> tuple:
        features = self.backbone(inputs)
        if self.with_neck:
            features = self.neck(features)
        return features

    def image_rgb_0_255(self, inputs: Tensor) -> Tensor:
        """Undoes the data preprocessor's normalisation: (B, 3, H, W), 0-255.

        The channel order is the preprocessor's output (RGB with
        ``bgr_to_rgb=True``, as our configs set).
        """
        preprocessor = self.data_preprocessor
        if getattr(preprocessor, '_enable_normalize', False):
            return inputs * preprocessor.std + preprocessor.mean
        return inputs

    def _forward_heads(self, inputs: Tensor,
                       data_samples: Optional[SampleList] = None) -> dict:
        """Runs the network. Every map is at the input size (B, ., H, W).

        ``data_samples`` are needed only with ``crf_depth_source='measured'``
        (their ``measured_depth_map``).

        Returns a dict with ``seg_logits`` (unaries), ``bin_logits`` and
        ``depth`` (metres) when there is a depth head, and ``refined_logits``
        and ``crf_depth`` (metres, what the refiner read, or None) when there
        is a refiner.
        """
        features = self.extract_feat(inputs)
        size = inputs.shape[2:]
        outputs = dict(seg_logits=self._to_size(self.decode_head(features),
                                                size))
        depth = None
        if self.with_depth_head:
            bin_logits = self._to_size(self.depth_head(features), size)
            depth = self.depth_head.logits_to_depth(bin_logits)
            outputs.update(bin_logits=bin_logits, depth=depth)
        if self.with_refiner:
            # The CRF takes the depth as a given modality: no gradient flows
            # into the depth head through it (Sec. 3.4).
            crf_depth = None if depth is None else depth.detach()
            if self.crf_depth_source == 'measured':
                measured = stack_measured_depth(data_samples, inputs.shape[0],
                                                tuple(size), crf_depth)
                crf_depth = fill_depth_holes(measured, crf_depth)
            outputs['crf_depth'] = crf_depth
            outputs['refined_logits'] = self.refiner(
                outputs['seg_logits'], self.image_rgb_0_255(inputs),
                crf_depth)
        return outputs

    def _to_size(self, maps: Tensor, size) -> Tensor:
        if maps.shape[2:] == size:
            return maps
        return bilinear_resize(maps, size, self.align_corners)

    def encode_decode(self, inputs: Tensor, batch_img_metas: list) -> Tensor:
        """Final semantic logits (refined if there is a refiner), input size.

        Not for ``crf_depth_source='measured'``, whose depth comes with the
        data samples: use ``predict``.
        """
        outputs = self._forward_heads(inputs)
        return outputs.get('refined_logits', outputs['seg_logits'])

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Eq. 1: ``lambda * L_sem (+ lambda * w * L_crf) + L_depth``."""
        outputs = self._forward_heads(inputs, data_samples)
        losses = dict()
        sem = self.decode_head.loss_by_feat(outputs['seg_logits'], data_samples)
        losses.update(add_prefix(scale_losses(sem, self.sem_loss_weight),
                                 'decode'))
        if self.with_depth_head:
            losses.update(add_prefix(
                self.depth_head.loss_by_feat(outputs['bin_logits'],
                                             data_samples), 'depth'))
        if self.with_refiner:
            crf = self.decode_head.loss_by_feat(outputs['refined_logits'],
                                                data_samples)
            weight = self.sem_loss_weight * self.refiner_loss_weight
            losses.update(add_prefix(scale_losses(crf, weight), 'crf'))
        return losses

    def predict(self, inputs: Tensor,
                data_samples: Optional[SampleList] = None) -> SampleList:
        """Predictions at each image's original size.

        Sets ``seg_logits`` and ``pred_sem_seg`` (refined when there is a
        refiner), ``pred_depth_map`` (metres) when there is a depth head, and
        ``seg_logits_unary`` / ``pred_sem_seg_unary`` when there is a refiner.
        """
        if data_samples is None:
            data_samples = [
                SegDataSample(metainfo=dict(
                    img_shape=inputs.shape[2:], ori_shape=inputs.shape[2:]))
                for _ in range(inputs.shape[0])]
        outputs = self._forward_heads(inputs, data_samples)
        final_logits = outputs.get('refined_logits', outputs['seg_logits'])
        for index, sample in enumerate(data_samples):
            meta = sample.metainfo
            logits = restore_original_size(final_logits[index], meta,
                                           self.align_corners)
            fields = dict(seg_logits=logits,
                          pred_sem_seg=logits.argmax(dim=0, keepdim=True))
            if self.with_refiner:
                unary = restore_original_size(outputs['seg_logits'][index],
                                              meta, self.align_corners)
                fields.update(seg_logits_unary=unary,
                              pred_sem_seg_unary=unary.argmax(
                                  dim=0, keepdim=True))
            if self.with_depth_head:
                fields['pred_depth_map'] = restore_original_size(
                    outputs['depth'][index], meta, self.align_corners)
            sample.set_data(
                {name: PixelData(data=value) for name, value in fields.items()})
        return data_samples

    def _forward(self, inputs: Tensor,
                 data_samples: Optional[SampleList] = None) -> tuple:
        """Tensor mode: (final seg logits, depth in metres or None), input size."""
        outputs = self._forward_heads(inputs, data_samples)
        return (outputs.get('refined_logits', outputs['seg_logits']),
                outputs.get('depth'))
