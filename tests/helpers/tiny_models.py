"""Tiny model configs for tests (MultiScaleNet at 1/16 width)."""
import copy

TINY_CHANNELS = [4, 8, 8, 8, 64]  # Table 1 widths x 1/16 (at least 4)


def tiny_segmentor_cfg(num_classes=6, with_depth=True, refiner=None,
                       size=(32, 32)):
    cfg = dict(
        type='JointDepthSegmentor',
        data_preprocessor=dict(
            type='JointSegDataPreProcessor', mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375], bgr_to_rgb=True, size=size),
        backbone=dict(type='MultiScaleNet', width_mult=1 / 16),
        decode_head=dict(type='MultiScaleSegHead', in_channels=TINY_CHANNELS,
                         num_classes=num_classes),
        depth_head=dict(type='DepthBinHead', in_channels=TINY_CHANNELS,
                        num_bins=50, bin_size=0.14) if with_depth else None,
        refiner=refiner,
        sem_loss_weight=0.5,
        test_cfg=dict(mode='whole'))
    return copy.deepcopy(cfg)
