"""Semantic head of the paper (Sec. 3.2): per-branch 1x1 convs to C classes, summed.

Trained with the per-pixel multinomial logistic loss of Eq. 2 (mmseg's
``CrossEntropyLoss``; ignore index 255), averaged over labelled pixels.
"""
from __future__ import annotations

from typing import Sequence

from torch import Tensor, nn

from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.losses import accuracy
from mmseg.registry import MODELS
from mmseg.utils import SampleList

from .branch_classifiers import BranchClassifiers

_DEFAULT_INIT = dict(type='Normal', std=0.01, layer='Conv2d')


@MODELS.register_module()
class MultiScaleSegHead(BaseDecodeHead):
    """Sums the five branches' 1x1 class scores at input resolution.

    Args:
        in_channels: channels of the backbone's five branch features.
        num_classes: number of semantic classes (40 for NYU-40).
        in_index: which backbone outputs to use (default all five).
        dropout_ratio: Dropout2d before each 1x1 conv.
        loss_decode: Eq. 2 by default (cross entropy over labelled pixels).
        ignore_index: label to ignore (255 = unlabeled).

    Forward:
        inputs: the backbone's tuple of features.
        Returns logits (B, num_classes, H, W) at branch 1's (= input) size.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 num_classes: int = 40,
                 in_index: Sequence[int] = (0, 1, 2, 3, 4),
                 dropout_ratio: float = 0.0,
                 loss_decode: dict = dict(
                     type='CrossEntropyLoss', use_sigmoid=False,
                     loss_weight=1.0, avg_non_ignore=True),
                 ignore_index: int = 255,
                 align_corners: bool = False,
                 init_cfg: dict = _DEFAULT_INIT):
        super().__init__(
            in_channels=list(in_channels),
            channels=in_channels[0],
            num_classes=num_classes,
            in_index=list(in_index),
            input_transform='multiple_select',
            dropout_ratio=0.0,
            loss_decode=loss_decode,
            ignore_index=ignore_index,
            align_corners=align_corners,
            init_cfg=init_cfg)
        # BaseDecodeHead builds a single-input classifier (conv_seg); this
        # head classifies every branch instead, so that layer is not used.
        del self.conv_seg
        self.classifiers = BranchClassifiers(
            self.in_channels, self.out_channels, dropout_ratio, align_corners)

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        return self.classifiers(self._transform_inputs(inputs))

    def loss_by_feat(self, seg_logits: Tensor,
                     batch_data_samples: SampleList) -> dict:
        """mmseg's ``BaseDecodeHead.loss_by_feat``, without its resize when
        the logits already have the labels' size.

        This head's logits are at the input size, which in training is the
        labels' size; mmseg interpolates them to that same size anyway, an
        exact copy (bilinear at scale 1) whose forward and backward took
        14 % of a stage-1 training step of the demo (torch.profiler).
        Logits of another size, or a pixel sampler, take mmseg's path.

        Args:
            seg_logits: (B, C, H, W) logits.
            batch_data_samples: samples with ``gt_sem_seg`` (1, H', W').

        Returns:
            ``{loss name: loss, 'acc_seg': accuracy (%)}``, as mmseg's.
        """
        seg_label = self._stack_batch_gt(batch_data_samples)
        if seg_logits.shape[2:] != seg_label.shape[2:] or \
                self.sampler is not None:
            return super().loss_by_feat(seg_logits, batch_data_samples)
        seg_label = seg_label.squeeze(1)
        losses_decode = (self.loss_decode if isinstance(
            self.loss_decode, nn.ModuleList) else [self.loss_decode])
        loss: dict = dict()
        for loss_decode in losses_decode:
            value = loss_decode(seg_logits, seg_label, weight=None,
                                ignore_index=self.ignore_index)
            name = loss_decode.loss_name
            loss[name] = value if name not in loss else loss[name] + value
        loss['acc_seg'] = accuracy(seg_logits, seg_label,
                                   ignore_index=self.ignore_index)
        return loss
