"""The shared multi-scale network of Table 1 (Mousavian et al., 3DV 2016, Sec. 3.1, 4).

Five branches read the image at five scales. Branches 1 and 2 read the RGB image;
branches 3, 4 and 5 read the pooled output of the branch before them (pool2, pool3,
pool4). The last convolution of each branch is the shared feature that both the
semantic and the depth head turn into their per-branch maps.

Every pool is 3x3 with padding 1; pool2, pool3 and pool5 have stride 2 and pool4 has
stride 1, so the five branch outputs have strides 1, 2, 4, 4, 8 and Table 1's
upsample factors (none, x2, x4, x4, x8) bring each back to the input size.

The table below is Table 1 read row by row: ``conv(out_channels, kernel)`` and
``pool(stride, name)``. Every convolution is followed by a ReLU.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence, Union

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmseg.registry import MODELS


@dataclass(frozen=True)
class Conv:
    """A 'same'-padded convolution with ``out_channels`` and a square kernel."""
    out_channels: int
    kernel: int


@dataclass(frozen=True)
class Pool:
    """A 3x3 max pool (padding 1) whose output other branches may read by name."""
    stride: int
    name: str


@dataclass(frozen=True)
class BranchSpec:
    """One row of Table 1: where the branch reads from and its layers."""
    name: str
    source: str  # 'rgb' or the name of an earlier Pool
    layers: tuple


TABLE1 = (
    BranchSpec('branch1', 'rgb', (Conv(64, 3), Conv(64, 3))),
    BranchSpec('branch2', 'rgb', (Conv(64, 3), Conv(64, 3), Pool(2, 'pool2'),
                                  Conv(128, 3))),
    BranchSpec('branch3', 'pool2', (Conv(128, 3), Conv(128, 3),
                                    Pool(2, 'pool3'), Conv(128, 3),
                                    Conv(128, 3))),
    BranchSpec('branch4', 'pool3', (Conv(256, 3), Conv(256, 3),
                                    Pool(1, 'pool4'), Conv(128, 3),
                                    Conv(128, 3))),
    BranchSpec('branch5', 'pool4', (Conv(512, 3), Conv(512, 3),
                                    Pool(2, 'pool5'), Conv(1024, 3),
                                    Conv(1024, 1))),
)

#: Output stride of each branch relative to the input image.
TABLE1_STRIDES = (1, 2, 4, 4, 8)


def scale_width(channels: int, width_mult: float) -> int:
    """Channels of a layer in a net ``width_mult`` times as wide (at least 4)."""
    return max(4, int(round(channels * width_mult)))


class Branch(nn.Module):
    """The layers of one branch, split at its pool.

    ``before_pool`` runs up to and including the pool (its output is the tap
    other branches read); ``after_pool`` runs the rest. A branch without a pool
    has only ``after_pool``. ``dilation_after_pool`` dilates the 3x3
    convolutions after the pool (DeepLab's atrous fc6 for branch 5).
    """

    def __init__(self, spec: BranchSpec, in_channels: int, width_mult: float,
                 dilation_after_pool: int = 1):
        super().__init__()
        self.pool_name = None
        self.tap_channels = None
        before, after = [], []
        current = before
        channels = in_channels
        for layer in spec.layers:
            if isinstance(layer, Pool):
                current.append(nn.MaxPool2d(3, stride=layer.stride, padding=1))
                self.pool_name = layer.name
                self.tap_channels = channels
                current = after
                continue
            out_channels = scale_width(layer.out_channels, width_mult)
            dilation = dilation_after_pool if current is after else 1
            current.append(
                nn.Conv2d(channels, out_channels, layer.kernel,
                          padding=dilation * (layer.kernel // 2),
                          dilation=dilation))
            current.append(nn.ReLU(inplace=True))
            channels = out_channels
        if self.pool_name is None:
            before, after = [], before
        self.before_pool = nn.Sequential(*before)
        self.after_pool = nn.Sequential(*after)
        self.out_channels = channels

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Returns (tap after the pool, branch feature)."""
        tap = self.before_pool(x)
        return tap, self.after_pool(tap)


@MODELS.register_module()
class MultiScaleNet(BaseModule):
    """Table 1's five-branch network; returns the five branch features.

    Args:
        in_channels: channels of the input image (3 for RGB).
        width_mult: multiplies every convolution's width; 1.0 is Table 1
            exactly, smaller values give a net that trains on a CPU.
        branch5_dilation: dilation of conv5-3 (the paper builds on DeepLab [4],
            whose fc6 is atrous; Table 1 does not give it, so 1 by default).
        init_cfg: mmengine init config, e.g.
            ``dict(type='Pretrained', checkpoint='local/file.pth')``.

    Forward:
        x (Tensor): (B, in_channels, H, W) normalised image.
        Returns a tuple of five tensors (B, out_channels[k], H/s_k, W/s_k)
        with strides s = (1, 2, 4, 4, 8) (rounded up for odd sizes).
    """

    def __init__(self,
                 in_channels: int = 3,
                 width_mult: float = 1.0,
                 branch5_dilation: int = 1,
                 init_cfg: Union[dict, list, None] = None):
        if init_cfg is None:
            init_cfg = [dict(type='Kaiming', layer='Conv2d',
                             nonlinearity='relu')]
        super().__init__(init_cfg=init_cfg)
        if width_mult <= 0:
            raise ValueError(f'width_mult must be > 0, got {width_mult}')
        self.width_mult = width_mult
        self.strides = TABLE1_STRIDES
        tap_channels = {'rgb': in_channels}
        self.branches = nn.ModuleList()
        for spec in TABLE1:
            if spec.source not in tap_channels:
                raise ValueError(f'{spec.name} reads {spec.source!r}, which no '
                                 'earlier branch produces')
            dilation = branch5_dilation if spec.name == 'branch5' else 1
            branch = Branch(spec, tap_channels[spec.source], width_mult,
                            dilation)
            if branch.pool_name is not None:
                tap_channels[branch.pool_name] = branch.tap_channels
            self.branches.append(branch)
        self.sources = tuple(spec.source for spec in TABLE1)
        self.out_channels = tuple(b.out_channels for b in self.branches)

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        if x.dim() != 4:
            raise ValueError(f'MultiScaleNet expects (B, C, H, W), got shape '
                             f'{tuple(x.shape)}')
        taps = {'rgb': x}
        features = []
        for source, branch in zip(self.sources, self.branches):
            tap, feature = branch(taps[source])
            if branch.pool_name is not None:
                taps[branch.pool_name] = tap
            features.append(feature)
        return tuple(features)
