"""Tiny CRF segmentors and batches for the CRFEncoderDecoder tests.

``_TestPixelBackbone`` makes logits that depend on each pixel alone (a 1x1
convolution at stride 1), so whole and sliding-window inference agree
exactly; ``_TestRecordingRefiner`` records what a CRF would be given.
"""
from __future__ import annotations

import copy
import logging

import torch
from mmengine.config import ConfigDict
from mmengine.logging import MMLogger
from mmengine.structures import PixelData
from torch import nn

import jointdepthseg  # noqa: F401  (registers the components)
from mmseg.models.decode_heads.cascade_decode_head import \
    BaseCascadeDecodeHead
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

NUM_CLASSES = 4
MEAN = [123.675, 116.28, 103.53]
STD = [58.395, 57.12, 57.375]


@MODELS.register_module(name='_TestPixelBackbone', force=True)
class _TestPixelBackbone(nn.Module):
    """One 1x1 convolution, stride 1: every output pixel reads one pixel."""

    def __init__(self, channels: int = 6, in_channels: int = 3):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, channels, 1)

    def forward(self, inputs):
        return [torch.tanh(self.conv(inputs))]


@MODELS.register_module(name='_TestContextBackbone', force=True)
class _TestContextBackbone(nn.Module):
    """Two 3x3 convolutions, zero padding: crop borders change the output."""

    def __init__(self, channels: int = 6):
        super().__init__()
        self.convs = nn.Sequential(nn.Conv2d(3, channels, 3, padding=1),
                                   nn.Tanh(),
                                   nn.Conv2d(channels, channels, 3, padding=1))

    def forward(self, inputs):
        return [self.convs(inputs)]


@MODELS.register_module(name='_TestPixelCascadeHead', force=True)
class _TestPixelCascadeHead(BaseCascadeDecodeHead):
    """A second cascade stage that stays pixelwise: previous logits plus a
    1x1 classifier of the features."""

    def forward(self, inputs, prev_output):
        return self.cls_seg(self._transform_inputs(inputs)) + prev_output


@MODELS.register_module(name='_TestRecordingRefiner', force=True)
class _TestRecordingRefiner(nn.Module):
    """Stand-in CRF: ``logits * scale + image's red channel / 100``."""

    def __init__(self, num_classes: int = NUM_CLASSES):
        super().__init__()
        self.num_classes = num_classes
        self.scale = nn.Parameter(torch.tensor(2.0))
        self.register_buffer('offset', torch.zeros(()))
        self.calls = []

    def forward(self, logits, image, depth=None):
        self.calls.append(dict(logits=logits.detach().clone(),
                               image=image.detach().clone(),
                               depth=None if depth is None else
                               depth.detach().clone()))
        return logits * self.scale + image[:, :1] / 100 + self.offset


def stock_cfg(backbone=None, num_classes=NUM_CLASSES, mode='whole',
              bgr_to_rgb=True, pad_to=None, **head):
    """A stock mmseg EncoderDecoder config (pixelwise by default)."""
    head_cfg = dict(type='FCNHead', in_channels=6, channels=6, num_convs=0,
                    concat_input=False, dropout_ratio=0.,
                    num_classes=num_classes, norm_cfg=None)
    head_cfg.update(head)
    preprocessor = dict(type='SegDataPreProcessor', mean=MEAN, std=STD,
                        bgr_to_rgb=bgr_to_rgb, pad_val=0, seg_pad_val=255)
    if pad_to is not None:
        preprocessor.update(size=pad_to, test_cfg=dict(size=pad_to))
    else:  # training batches need a size rule; tests are not padded
        preprocessor.update(size_divisor=1)
    test_cfg = dict(mode=mode)
    if mode == 'slide':
        test_cfg.update(crop_size=(8, 10), stride=(5, 6))
    # mmseg reads test_cfg.mode as an attribute, as configs give it
    return copy.deepcopy(dict(
        type='EncoderDecoder', data_preprocessor=preprocessor,
        backbone=backbone or dict(type='_TestPixelBackbone'),
        decode_head=head_cfg, test_cfg=ConfigDict(test_cfg)))


SEGMENTOR_ARGS = ('crf_training', 'crf_depth_source', 'refiner_loss_weight')


def crf_cfg(refiner=None, **kwargs):
    """The stock config with the one-key change (and a refiner);
    ``SEGMENTOR_ARGS`` go to the segmentor, the rest to ``stock_cfg``."""
    own = {key: kwargs.pop(key) for key in SEGMENTOR_ARGS if key in kwargs}
    cfg = stock_cfg(**kwargs)
    cfg.update(type='CRFEncoderDecoder',
               refiner=refiner or dict(type='_TestRecordingRefiner'), **own)
    return cfg


def tiny_crf(num_classes=NUM_CLASSES, **kwargs):
    """A real DenseCRF with widths for tiny images."""
    cfg = dict(type='DenseCRF', num_classes=num_classes, num_iters=3,
               theta_alpha=6., theta_beta=30., theta_tau=2., w_depth=None)
    cfg.update(kwargs)
    return cfg


def make_images(batch=2, size=(14, 18), seed=0):
    """(3, H, W) uint8 BGR images, as mmcv loads them."""
    generator = torch.Generator().manual_seed(seed)
    return [torch.randint(0, 256, (3, *size), generator=generator,
                          dtype=torch.uint8) for _ in range(batch)]


def make_batch(batch=2, size=(14, 18), seed=0, labels=True, **meta):
    """A data-preprocessor batch; ``meta`` joins every sample's metainfo."""
    images = make_images(batch, size, seed)
    samples = []
    generator = torch.Generator().manual_seed(seed + 1)
    for index in range(batch):
        info = dict(img_shape=size, ori_shape=size,
                    img_path=f'img{index}.png')
        info.update(meta)
        sample = SegDataSample(metainfo=info)
        if labels:
            sample.gt_sem_seg = PixelData(data=torch.randint(
                0, NUM_CLASSES, (1, *size), generator=generator))
        samples.append(sample)
    return dict(inputs=images, data_samples=samples)


class LogLines(logging.Handler):
    """Collects the lines mmengine's current logger writes."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.extend(self.format(record).splitlines())

    def __enter__(self):
        self.logger = MMLogger.get_current_instance()
        self.logger.addHandler(self)
        return self

    def __exit__(self, *exc):
        self.logger.removeHandler(self)
