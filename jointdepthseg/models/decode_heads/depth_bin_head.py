"""Depth head of the paper (Sec. 3.3): depth as the expectation over bins (Eq. 3).

Each branch's 1x1 conv scores ``num_bins`` depth bins of ``bin_size`` metres; the
summed scores r go through a softmax over bins, p(b|x) = softmax_b(r), and the
depth is ``d = sum_{b=1..Nd} b * l * p(b|x)``: a value in [l, Nd * l] metres
(0.14 m to 7 m with the paper's 50 bins of 0.14 m). Trained with the
scale-invariant loss (Eq. 4) over valid ground-truth pixels.
"""
from __future__ import annotations

from typing import List, Sequence

import torch
from torch import Tensor

from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from mmseg.utils import SampleList

from ..utils import bilinear_resize
from .branch_classifiers import BranchClassifiers

_DEFAULT_INIT = dict(type='Normal', std=0.01, layer='Conv2d')


def bin_logits_to_depth(bin_logits: Tensor, bin_size: float) -> Tensor:
    """Eq. 3: depth as the expectation over bins.

    Args:
        bin_logits: (B, Nd, H, W) unnormalised bin scores r.
        bin_size: bin length l in metres.

    Returns:
        (B, 1, H, W) depth in metres, ``sum_b b * l * softmax_b(r)``, b = 1..Nd.
    """
    num_bins = bin_logits.shape[1]
    centres = torch.arange(1, num_bins + 1, dtype=bin_logits.dtype,
                           device=bin_logits.device) * bin_size
    probabilities = bin_logits.softmax(dim=1)
    batch, _, height, width = bin_logits.shape
    # (Nd,) @ (B, Nd, H*W): a product over the bins as the maps lie in
    # memory (einsum first copied them to (B, H, W, Nd): 2x the time of
    # forward + backward at the demo's sizes)
    return (centres @ probabilities.flatten(2)).view(batch, 1, height, width)


@MODELS.register_module()
class DepthBinHead(BaseDecodeHead):
    """Sums the five branches' 1x1 bin scores; depth by Eq. 3.

    Args:
        in_channels: channels of the backbone's five branch features.
        num_bins: Nd, number of depth bins (50 in the paper).
        bin_size: l, bin length in metres (0.14 in the paper).
        in_index: which backbone outputs to use (default all five).
        loss_decode: the depth loss; Eq. 4 is
            ``dict(type='ScaleInvariantLoss', lam=1.0, loss_weight=2.0)``.

    Forward:
        inputs: the backbone's tuple of features.
        Returns bin logits (B, num_bins, H, W) at the input size; use
        :meth:`logits_to_depth` for metres.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 num_bins: int = 50,
                 bin_size: float = 0.14,
                 in_index: Sequence[int] = (0, 1, 2, 3, 4),
                 dropout_ratio: float = 0.0,
                 loss_decode: dict = dict(
                     type='ScaleInvariantLoss', lam=1.0, loss_weight=2.0),
                 align_corners: bool = False,
                 init_cfg: dict = _DEFAULT_INIT):
        if num_bins < 2:
            raise ValueError(f'num_bins must be >= 2, got {num_bins}')
        if bin_size <= 0:
            raise ValueError(f'bin_size must be > 0 metres, got {bin_size}')
        super().__init__(
            in_channels=list(in_channels),
            channels=in_channels[0],
            num_classes=num_bins,
            in_index=list(in_index),
            input_transform='multiple_select',
            dropout_ratio=0.0,
            loss_decode=loss_decode,
            ignore_index=None,
            align_corners=align_corners,
            init_cfg=init_cfg)
        # BaseDecodeHead's single-input classifier is replaced by one 1x1
        # conv per branch.
        del self.conv_seg
        self.num_bins = num_bins
        self.bin_size = bin_size
        self.classifiers = BranchClassifiers(
            self.in_channels, num_bins, dropout_ratio, align_corners)

    @property
    def max_depth(self) -> float:
        """The largest depth the head can output, Nd * l metres."""
        return self.num_bins * self.bin_size

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        return self.classifiers(self._transform_inputs(inputs))

    def logits_to_depth(self, bin_logits: Tensor) -> Tensor:
        """(B, Nd, H, W) bin logits -> (B, 1, H, W) metres (Eq. 3)."""
        return bin_logits_to_depth(bin_logits, self.bin_size)

    def _stack_batch_gt(self, batch_data_samples: SampleList) -> Tensor:
        if any('gt_depth_map' not in sample for sample in batch_data_samples):
            raise KeyError('DepthBinHead needs gt_depth_map in every data '
                           'sample: load it with LoadNYUAnnotations')
        return torch.stack(
            [sample.gt_depth_map.data for sample in batch_data_samples])

    def loss_by_feat(self, bin_logits: Tensor,
                     batch_data_samples: SampleList) -> dict:
        """Depth loss of (B, Nd, H, W) logits against gt_depth_map (metres)."""
        target = self._stack_batch_gt(batch_data_samples).to(bin_logits.dtype)
        depth = self.logits_to_depth(bin_logits)
        if depth.shape[2:] != target.shape[2:]:
            depth = bilinear_resize(depth, target.shape[2:],
                                    self.align_corners)
        losses = dict()
        loss_modules = (self.loss_decode if isinstance(
            self.loss_decode, torch.nn.ModuleList) else [self.loss_decode])
        for loss_module in loss_modules:
            value = loss_module(depth, target)
            name = loss_module.loss_name
            losses[name] = losses[name] + value if name in losses else value
        return losses

    def predict_by_feat(self, bin_logits: Tensor,
                        batch_img_metas: List[dict]) -> Tensor:
        """(B, Nd, H, W) logits -> (B, 1, H, W) metres, at the network input
        size (the logits already are); the segmentor maps it back to each
        image's original size."""
        return self.logits_to_depth(bin_logits)
