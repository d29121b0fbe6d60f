"""Per-branch 1x1 classifiers whose upsampled outputs are summed (Fig. 1, Table 1).

Both heads of the paper have this shape: branch k's feature goes through its own
1x1 convolution (``convk-seg`` / ``convk-depth`` in Table 1), is upsampled to the
input size (branch 1 already is) and the five maps are summed.
"""
from __future__ import annotations

from typing import Optional, Sequence

from torch import Tensor, nn

from ..utils import bilinear_resize


class BranchClassifiers(nn.Module):
    """1x1 conv per branch, bilinear upsampling to branch 1's size, sum.

    The upsampling is ``bilinear_resize`` (F.interpolate's result as two
    matrix products, whose backward is fast on CPUs).

    Args:
        in_channels: channels of each branch feature.
        out_channels: channels of every branch's output map.
        dropout_ratio: Dropout2d before each 1x1 conv (0 = none).
        align_corners: passed to the bilinear upsampling.

    Forward:
        features: sequence of (B, in_channels[k], H_k, W_k); the first is at
            the output size (stride 1).
        Returns (B, out_channels, H_0, W_0).
    """

    def __init__(self, in_channels: Sequence[int], out_channels: int,
                 dropout_ratio: float = 0.0, align_corners: bool = False):
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv2d(channels, out_channels, kernel_size=1)
            for channels in in_channels)
        self.dropout: Optional[nn.Module] = (
            nn.Dropout2d(dropout_ratio) if dropout_ratio > 0 else None)
        self.align_corners = align_corners

    def forward(self, features: Sequence[Tensor]) -> Tensor:
        if len(features) != len(self.convs):
            raise ValueError(f'expected {len(self.convs)} branch features, '
                             f'got {len(features)}')
        out_size = features[0].shape[2:]
        total = None
        for feature, conv in zip(features, self.convs):
            if self.dropout is not None:
                feature = self.dropout(feature)
            scores = conv(feature)
            if scores.shape[2:] != out_size:
                scores = bilinear_resize(scores, out_size,
                                         self.align_corners)
            total = scores if total is None else total + scores
        return total
