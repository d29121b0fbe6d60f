# The joint network of Fig. 1 / Table 1: MultiScaleNet features, a 40-class
# semantic head (Eq. 2) and a 50-bin depth head (Eq. 3, 4). Leaf configs set
# `depth_head=None` for stage 1 and add `refiner=dict(type='DenseCRF', ...)`
# for stage 3.
width_mult = 1.0  # Table 1 exactly; CPU configs use e.g. 0.125
num_classes = 40
data_preprocessor = dict(
    type='JointSegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],  # ImageNet RGB statistics (0-255)
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,   # padded label pixels are ignored
    depth_pad_val=0,   # padded depth pixels are invalid (0 m)
    size=(513, 513))   # the paper's input resolution (Sec. 4)
model = dict(
    type='JointDepthSegmentor',
    data_preprocessor=data_preprocessor,
    backbone=dict(type='MultiScaleNet', width_mult=width_mult),
    decode_head=dict(
        type='MultiScaleSegHead',
        in_channels=[64, 128, 128, 128, 1024],  # Table 1 branch outputs
        num_classes=num_classes,
        loss_decode=dict(
            # Eq. 2, averaged over labelled pixels instead of summed
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
            avg_non_ignore=True)),
    depth_head=dict(
        type='DepthBinHead',
        in_channels=[64, 128, 128, 128, 1024],
        num_bins=50,    # Nd (Sec. 4.2)
        bin_size=0.14,  # l in metres: depths from 0.14 m to 7 m
        loss_decode=dict(type='ScaleInvariantLoss', lam=1.0,
                         loss_weight=2.0)),  # exactly Eq. 4
    # refiner: none here; stage 3 adds refiner=dict(type='DenseCRF', ...)
    # lambda of Eq. 1. The paper's 1e-6 multiplies a cross entropy summed
    # over the N labelled pixels of a crop; ours is a mean over them, so the
    # same balance is 1e-6 * N. The 0.26 used before assumed N = 513 * 513 =
    # 263,169, padding included; a 513x513 crop of a 480x640 frame holds at
    # most 480 * 513 = 246,240 labelled pixels (fewer: NYU leaves some
    # unlabelled; jointdepthseg/engine/caffe_lr.py measures it), so
    # lambda = 1e-6 * 246240 = 0.246, the same N as the learning rate
    # (the schedule, ../schedules/sgd_poly.py).
    sem_loss_weight=0.246,
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
