"""The joint network of Fig. 1: shared features, a semantic and a depth head, and an
optional CRF refiner, trained with ``lambda * L_sem + L_depth`` (Eq. 1).

Stage 1 of the paper is this segmentor without ``depth_head`` (L_sem only);
stage 2 adds the depth head; stage 3 adds ``refiner=dict(type='DenseCRF', ...)``,
which refines the semantic logits with the image and the (detached) estimated
depth, and whose output's cross entropy joins the loss. With
``crf_depth_source='measured'`` the CRF reads the measured (Kinect) depth
instead, its holes filled with the estimate (``crf_depth.py``): RGB-D input.

In training the CRF refines the network's maps at the input size (the
training crop). In ``predict`` it refines once per image after whole or
sliding-window inference, at the original size (``crf_refinement.py``), as
``CRFEncoderDecoder`` does for mmseg's models.
"""
from __future__ import annotations

from typing import List, Optional

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
from .crf_image import recover_image_rgb_0_255
from .crf_refinement import (CRFView, check_not_one_view_of_many, crf_views,
                             refine_views, scale_losses, set_crf_predictions)
from .postprocess import restore_original_size
from .sliding_window import slide_window_maps

#: ``test_cfg.mode`` choices (mmseg's).
TEST_MODES = ('whole', 'slide')


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
        train_cfg: as mmseg's.
        test_cfg: as mmseg's: ``mode='whole'`` (default) or ``mode='slide'``
            with ``crop_size`` and ``stride`` (h, w) in pixels: the semantic
            logits and the depth are stitched from the windows, then the CRF
            refines the stitched result once.
        data_preprocessor: e.g. ``dict(type='JointSegDataPreProcessor', ...)``.
        pretrained: accepted for mmseg's ``init_model``, which sets it to
            None; weights come from ``init_cfg`` or a checkpoint.
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
                 pretrained: Optional[str] = None,
                 init_cfg: OptMultiConfig = None):
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        if pretrained is not None:
            raise ValueError(
                'JointDepthSegmentor: pretrained must be None; load weights '
                "with backbone init_cfg=dict(type='Pretrained', ...) or a "
                'checkpoint')
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
        if mode not in TEST_MODES:
            raise ValueError(f'JointDepthSegmentor: test_cfg.mode must be '
                             f'one of {TEST_MODES}, got {mode!r}')
        if mode == 'slide' and not {'crop_size', 'stride'} <= set(test_cfg):
            raise ValueError(
                "JointDepthSegmentor: test_cfg.mode='slide' needs crop_size "
                'and stride, (h, w) in pixels')
        self._previous_views: Optional[tuple] = None

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
        """Undoes the data preprocessor's normalisation and channel order:
        (B, 3, H, W) RGB, 0-255 (``crf_image.py``)."""
        return recover_image_rgb_0_255(inputs, self.data_preprocessor,
                                       'JointDepthSegmentor')

    def _network_maps(self, inputs: Tensor) -> dict:
        """The heads' maps at the input size (B, ., H, W), no refiner.

        Returns a dict with ``seg_logits`` (unaries), and ``bin_logits`` and
        ``depth`` (metres) when there is a depth head.
        """
        features = self.extract_feat(inputs)
        size = inputs.shape[2:]
        outputs = dict(seg_logits=self._to_size(self.decode_head(features),
                                                size))
        if self.with_depth_head:
            bin_logits = self._to_size(self.depth_head(features), size)
            outputs.update(bin_logits=bin_logits,
                           depth=self.depth_head.logits_to_depth(bin_logits))
        return outputs

    def _crf_depth(self, inputs: Tensor, depth: Optional[Tensor],
                   data_samples: Optional[SampleList]) -> Optional[Tensor]:
        """The depth the refiner reads at the input size, metres, or None.

        The CRF takes the depth as a given modality: no gradient flows into
        the depth head through it (Sec. 3.4).
        """
        crf_depth = None if depth is None else depth.detach()
        if self.crf_depth_source == 'measured':
            measured = stack_measured_depth(data_samples, inputs.shape[0],
                                            tuple(inputs.shape[2:]), crf_depth)
            crf_depth = fill_depth_holes(measured, crf_depth)
        return crf_depth

    def _forward_heads(self, inputs: Tensor,
                       data_samples: Optional[SampleList] = None) -> dict:
        """Runs the network and the refiner at the input size (training).

        ``data_samples`` are needed only with ``crf_depth_source='measured'``
        (their ``measured_depth_map``).

        Returns ``_network_maps``'s dict, plus ``refined_logits`` and
        ``crf_depth`` (metres, what the refiner read, or None) when there is
        a refiner.
        """
        outputs = self._network_maps(inputs)
        if self.with_refiner:
            crf_depth = self._crf_depth(inputs, outputs.get('depth'),
                                        data_samples)
            outputs['crf_depth'] = crf_depth
            outputs['refined_logits'] = self.refiner(
                outputs['seg_logits'], self.image_rgb_0_255(inputs),
                crf_depth)
        return outputs

    def _to_size(self, maps: Tensor, size) -> Tensor:
        if maps.shape[2:] == size:
            return maps
        return bilinear_resize(maps, size, self.align_corners)

    def inference_maps(self, inputs: Tensor) -> dict:
        """Whole or sliding-window (``test_cfg.mode``) inference, no CRF.

        Returns:
            dict: ``seg_logits`` (B, C, H, W) and, with a depth head,
            ``depth`` (B, 1, H, W) metres, at the input size; in slide mode
            each stitched from the windows (overlaps averaged).
        """
        test_cfg = self.test_cfg or {}
        if test_cfg.get('mode', 'whole') == 'whole':
            maps = self._network_maps(inputs)
        else:
            maps = slide_window_maps(inputs, test_cfg['crop_size'],
                                     test_cfg['stride'], self._network_maps)
        return {name: maps[name] for name in ('seg_logits', 'depth')
                if name in maps}

    def encode_decode(self, inputs: Tensor, batch_img_metas: list) -> Tensor:
        """The semantic unaries at the input size, (B, C, H, W); the CRF
        runs in ``predict``, after stitching."""
        return self._network_maps(inputs)['seg_logits']

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

    def crf_inputs_at_original_size(
            self, inputs: Tensor,
            data_samples: Optional[SampleList] = None) -> List[CRFView]:
        """Whole or slide inference, then per image the unaries, the RGB
        image, the CRF's depth and the estimated depth at ``ori_shape``."""
        if data_samples is None:
            data_samples = self._default_samples(inputs)
        maps = self.inference_maps(inputs)
        depth = maps.get('depth')
        crf_depth = (self._crf_depth(inputs, depth, data_samples)
                     if self.with_refiner else None)
        return crf_views(maps['seg_logits'], self.image_rgb_0_255(inputs),
                         [sample.metainfo for sample in data_samples],
                         self.align_corners, depth=crf_depth,
                         depth_estimate=depth)

    @staticmethod
    def _default_samples(inputs: Tensor) -> SampleList:
        return [SegDataSample(metainfo=dict(img_shape=inputs.shape[2:],
                                            ori_shape=inputs.shape[2:]))
                for _ in range(inputs.shape[0])]

    def predict(self, inputs: Tensor,
                data_samples: Optional[SampleList] = None) -> SampleList:
        """Predictions at each image's original size.

        Whole or slide inference; with a refiner, the CRF then refines each
        image's stitched logits once, at its original size, with its image
        and depth restored the same way. Sets ``seg_logits`` and
        ``pred_sem_seg`` (refined when there is a refiner),
        ``pred_depth_map`` (metres) when there is a depth head, and
        ``seg_logits_unary`` / ``pred_sem_seg_unary`` when there is a refiner.
        """
        if data_samples is None:
            data_samples = self._default_samples(inputs)
        if not self.with_refiner:
            maps = self.inference_maps(inputs)
            for index, sample in enumerate(data_samples):
                meta = sample.metainfo
                logits = restore_original_size(maps['seg_logits'][index],
                                               meta, self.align_corners)
                fields = dict(seg_logits=logits, pred_sem_seg=logits.argmax(
                    dim=0, keepdim=True))
                if self.with_depth_head:
                    fields['pred_depth_map'] = restore_original_size(
                        maps['depth'][index], meta, self.align_corners)
                sample.set_data({name: PixelData(data=value)
                                 for name, value in fields.items()})
            return data_samples
        self._previous_views = check_not_one_view_of_many(
            self._previous_views, [s.metainfo for s in data_samples],
            'JointDepthSegmentor')
        views = self.crf_inputs_at_original_size(inputs, data_samples)
        refined = refine_views(self.refiner, [v.unary for v in views],
                               [v.image for v in views],
                               [v.depth for v in views])
        for sample, view, logits in zip(data_samples, views, refined):
            set_crf_predictions(sample, logits, view.unary,
                                view.depth_estimate)
        return data_samples

    def _forward(self, inputs: Tensor,
                 data_samples: Optional[SampleList] = None) -> tuple:
        """Tensor mode: (final seg logits, depth in metres or None), input
        size, refined at the input size as in training."""
        outputs = self._forward_heads(inputs, data_samples)
        return (outputs.get('refined_logits', outputs['seg_logits']),
                outputs.get('depth'))
