# Reuse (2): our Table 1 network as the backbone of mmseg's stock
# EncoderDecoder, with a stock mmseg head; semantics only (no depth, no CRF).
#
# Shows that MultiScaleNet is a plain mmseg backbone: it returns the five
# branch features (strides 1, 2, 4, 4, 8) and any mmseg decode head can read
# them. Here mmseg's FCNHead fuses all five.
#
#   python tools/train.py configs/reuse/multiscale_net_encoder_decoder.py
_base_ = [
    '../_base_/datasets/nyu_v2.py',      # NYUv2Dataset, 513x513 crops
    '../_base_/schedules/sgd_poly.py',   # SGD + poly decay, 160k iterations
    '../_base_/default_runtime.py',      # SafeResumeRunner, hooks, logging
]
# `import jointdepthseg` registers MultiScaleNet and NYUv2Dataset.
custom_imports = dict(imports=['jointdepthseg'], allow_failed_imports=False)

num_classes = 40
crop_size = (513, 513)
norm_cfg = dict(type='BN', requires_grad=True)  # SyncBN needs a dist launch

model = dict(
    type='EncoderDecoder',  # mmseg's stock segmentor
    # mmseg's stock preprocessor. It would pad depth with 255 (= 255 m), but
    # this config loads no depth (see the pipelines below), so that is moot.
    data_preprocessor=dict(
        type='SegDataPreProcessor',
        mean=[123.675, 116.28, 103.53],  # ImageNet RGB statistics (0-255)
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_val=0,
        seg_pad_val=255,
        size=crop_size),
    pretrained=None,
    # Table 1 exactly; branch outputs have 64, 128, 128, 128, 1024 channels.
    backbone=dict(type='MultiScaleNet', width_mult=1.0),
    # mmseg's FCNHead over all five branches (resize_concat). It resizes every
    # input to the grid of the *first* one in in_index, so we list branch 3
    # (stride 4) first: fusing at stride 1 would hold 1472 channels at full
    # resolution (1.5 GB per 513x513 image). Branches 1 and 2 are bilinearly
    # downsampled to stride 4, branch 5 upsampled.
    decode_head=dict(
        type='FCNHead',
        in_channels=[128, 64, 128, 128, 1024],  # in in_index order, sum 1472
        in_index=[2, 0, 1, 3, 4],
        input_transform='resize_concat',
        channels=256,
        num_convs=1,
        # 1x1: the branches already see large contexts, and a 3x3 over 1472
        # channels would cost about as much as the whole backbone.
        kernel_size=1,
        concat_input=False,
        dropout_ratio=0.1,
        num_classes=num_classes,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            # Eq. 2, averaged over labelled pixels (as configs/_base_)
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
            avg_non_ignore=True)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))

# Semantics only: load the checked NYU-40 labels but no depth.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadNYUAnnotations', with_depth=False),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadNYUAnnotations', with_depth=False),
    dict(type='PackSegInputs'),
]
# The base's loaders hold its own pipelines, so we replace them there.
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = [dict(type='SemanticSegMetric')]  # Table 3 only: no depth
test_evaluator = val_evaluator

work_dir = 'work_dirs/reuse/multiscale_net_encoder_decoder'
