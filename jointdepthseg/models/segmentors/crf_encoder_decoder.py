"""The dense CRF on any mmseg model: one key in a stock config.

    model = dict(type='CRFEncoderDecoder',
                 refiner=dict(type='DenseCRF', num_classes=19, w_depth=None))

turns a stock ``EncoderDecoder`` config (DeepLabV3, FCN, SegFormer, ...) into
the same model with our ``DenseCRF`` after inference; its stock checkpoint
loads unchanged (only ``refiner.*`` is absent, said in one line).
``CRFCascadeEncoderDecoder`` does the same for ``CascadeEncoderDecoder``
(OCRNet, PointRend). What is refined where, training and TTA:
``crf_refiner_mixin.py``, ``crf_refinement.py``, ``crf_seg_tta_model.py`` and
docs/reuse.md, "The dense CRF on any mmseg model".
"""
from __future__ import annotations

from torch import Tensor

from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.segmentors import CascadeEncoderDecoder, EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import SampleList, add_prefix
from .crf_refiner_mixin import CRFRefinerMixin


@MODELS.register_module()
class CRFEncoderDecoder(CRFRefinerMixin, EncoderDecoder):
    """mmseg's ``EncoderDecoder`` with a CRF on its stitched predictions.

    Inference is mmseg's (``test_cfg.mode`` ``'whole'`` or ``'slide'``);
    the refiner then runs once per image on the stitched unaries, cut,
    un-flipped and resized to ``ori_shape``, with the RGB image (0-255)
    recovered from the inputs through the data preprocessor's mean, std and
    channel order, restored the same way (not re-read from ``img_path``).
    ``encode_decode`` and tensor mode (``_forward``) give the unrefined
    network output, as mmseg's do.

    Args:
        refiner: e.g. ``dict(type='DenseCRF', num_classes=19,
            w_depth=None)``; its ``num_classes`` must be the decode head's.
            Called as ``refiner(logits (B, C, H, W), image (B, 3, H, W) RGB
            0-255, depth (B, 1, H, W) metres or None)``.
        crf_depth_source: None (RGB: the refiner must have no depth kernel)
            or ``'measured'``: each sample's ``measured_depth_map`` (RGB-D
            data: ``LoadNYUAnnotations(with_measured_depth=True)``,
            ``PackJointSegInputs``, ``JointSegDataPreProcessor``), its holes
            filled from the nearest valid readings (``crf_depth.py``).
        crf_training: ``'end_to_end'`` (the stock losses plus the CRF's) or
            ``'refiner_only'`` (the network frozen: eval mode, no gradient,
            unaries under ``no_grad``; only ``refiner.*`` trains, on the
            CRF's loss alone).
        refiner_loss_weight: factor on the CRF's loss (``crf.loss_*``).
        **kwargs: everything mmseg's ``EncoderDecoder`` takes.
    """

    @property
    def _crf_head(self) -> BaseDecodeHead:
        return self.decode_head

    def _unary_logits_for_training(self, features) -> Tensor:
        return self.decode_head.forward(features)

    def _decode_losses_and_unaries(self, features,
                                   data_samples: SampleList) -> tuple:
        """The stock decode loss and the logits it scored (one forward of
        the head when it uses BaseDecodeHead's forward-then-loss)."""
        head = self.decode_head
        if type(head).loss is BaseDecodeHead.loss:
            unary = head.forward(features)
            self._check_unary(unary)
            losses = add_prefix(head.loss_by_feat(unary, data_samples),
                                'decode')
            return losses, unary
        return (self._decode_head_forward_train(features, data_samples),
                self._unary_logits_for_training(features))


@MODELS.register_module()
class CRFCascadeEncoderDecoder(CRFRefinerMixin, CascadeEncoderDecoder):
    """mmseg's ``CascadeEncoderDecoder`` with a CRF, as ``CRFEncoderDecoder``.

    The CRF refines the last stage's logits. Training it needs the last
    head's ``forward(x, previous)`` to give (B, C, h, w) logits (OCRNet's
    does; PointRend's point head does not: an error says so). The stock
    stage losses are computed as mmseg does; the unaries for the CRF come
    from one more forward through the stages.

    Args:
        refiner, crf_depth_source, crf_training, refiner_loss_weight: as
            ``CRFEncoderDecoder``.
        **kwargs: everything mmseg's ``CascadeEncoderDecoder`` takes.
    """

    @property
    def _crf_head(self) -> BaseDecodeHead:
        return self.decode_head[-1]

    def _unary_logits_for_training(self, features) -> Tensor:
        out = self.decode_head[0].forward(features)
        for stage in range(1, self.num_stages):
            out = self.decode_head[stage].forward(features, out)
        return out

    def _decode_losses_and_unaries(self, features,
                                   data_samples: SampleList) -> tuple:
        return (self._decode_head_forward_train(features, data_samples),
                self._unary_logits_for_training(features))
