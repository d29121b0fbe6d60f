# Reuse (1): mmseg's own DeepLabv3 parts with our depth head and CRF.
#
# mmseg's stock ResNetV1c backbone and ASPPHead (built from mmseg's registry,
# exactly as in mmseg's configs/_base_/models/deeplabv3_r50-d8.py) become the
# shared features and the semantic head of our JointDepthSegmentor; our
# DepthBinHead (Eq. 2-4) reads the same ResNet stages, and our DenseCRF
# (Eq. 5-7) refines the ASPP unaries with the image and the estimated depth.
# Everything is trained together with Eq. 1 (there are no stages here; split
# it like configs/nyu/stage{1,2,3}*.py if you want the paper's schedule).
#
#   python tools/train.py configs/reuse/resnet_aspp_joint_crf.py
_base_ = [
    '../_base_/datasets/nyu_v2.py',      # NYUv2Dataset, 513x513 crops
    '../_base_/schedules/sgd_poly.py',   # SGD + poly decay, 160k iterations
    '../_base_/default_runtime.py',      # SafeResumeRunner, hooks, logging
]
# `import jointdepthseg` registers JointDepthSegmentor, DepthBinHead,
# DenseCRF, NYUv2Dataset, ...; mmseg's own names stay available beside them.
custom_imports = dict(imports=['jointdepthseg'], allow_failed_imports=False)

num_classes = 40
crop_size = (513, 513)
# Plain BN: SyncBN (mmseg's choice) fails outside a distributed launch. Under
# torchrun, add `sync_bn = 'torch'` to convert every BN to SyncBatchNorm.
norm_cfg = dict(type='BN', requires_grad=True)

model = dict(
    type='JointDepthSegmentor',
    # Our preprocessor: mmseg's, but pads depth with 0 (invalid), not 255.
    data_preprocessor=dict(
        type='JointSegDataPreProcessor',
        mean=[123.675, 116.28, 103.53],  # ImageNet RGB statistics (0-255)
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_val=0,
        seg_pad_val=255,
        depth_pad_val=0,
        size=crop_size),
    # mmseg's dilated ResNet-50 (output stride 8). No ImageNet download:
    # init_cfg=None and pretrained=None keep ResNet's own Kaiming
    # initialisation; to start from pre-trained weights, point init_cfg at a
    # local file, e.g.
    # init_cfg=dict(type='Pretrained', checkpoint='resnet50_v1c.pth').
    backbone=dict(
        type='ResNetV1c',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),   # all four stages: the depth head sums them
        dilations=(1, 1, 2, 4),
        strides=(1, 2, 1, 1),
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        contract_dilation=True,
        pretrained=None,
        init_cfg=None),
    # mmseg's ASPP on the last stage (2048 channels), as in DeepLabv3.
    decode_head=dict(
        type='ASPPHead',
        in_channels=2048,
        in_index=3,
        channels=512,
        dilations=(1, 12, 24, 36),
        dropout_ratio=0.1,
        num_classes=num_classes,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            # Eq. 2, averaged over labelled pixels (as configs/_base_)
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
            avg_non_ignore=True)),
    # Our depth head: a 1x1 conv per ResNet stage (256, 512, 1024, 2048
    # channels, strides 4, 8, 8, 8), upsampled to the first and summed, then
    # depth as the expectation over 50 bins of 0.14 m (Eq. 3).
    depth_head=dict(
        type='DepthBinHead',
        in_channels=[256, 512, 1024, 2048],
        in_index=(0, 1, 2, 3),
        num_bins=50,
        bin_size=0.14,
        loss_decode=dict(type='ScaleInvariantLoss', lam=1.0,
                         loss_weight=2.0)),  # Eq. 4
    # Our CRF (Eq. 5-7) with the paper's initial parameters (Sec. 4.1: the
    # DenseCRF defaults), fed the estimated depth as its third modality.
    refiner=dict(type='DenseCRF', num_classes=num_classes, num_iters=5),
    # lambda of Eq. 1 for mean-reduced losses (see configs/_base_/models/).
    sem_loss_weight=0.26,
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))

work_dir = 'work_dirs/reuse/resnet_aspp_joint_crf'
