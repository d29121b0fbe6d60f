# The stock model: mmseg's SegFormer MiT-B0 (its ADE20K config), changed only
# where the synthetic rooms or a 2-core CPU need it. Trained with mmseg's own
# tools/train.py by benchmarks/crf_on_stock_mmseg.py, which sets the data
# root (train_dataloader.dataset.data_root, test_dataloader's), the seed
# (randomness.seed) and the work dir per run; by hand, on rooms in
# data/synthetic (python tools/make_synthetic.py --out data/synthetic
# --num-train 240 --num-test 60 --size 120x160):
#
#   python .venv/lib/python3.11/site-packages/mmseg/.mim/tools/train.py \
#       benchmarks/crf_on_stock_mmseg/segformer_mit-b0_rooms.py
#
# What differs from mmseg's config, and why:
# - the data: our synthetic rooms (NYUv2Dataset, NYU-40 classes, 120x160
#   images, tools/make_synthetic.py) instead of ADE20K; the pipelines are
#   mmseg's ADE20K ones at this size (see below);
# - num_classes=40, BN instead of SyncBN (one process, no launcher);
# - no pretrained MiT-B0 download (init_cfg=None): the encoder starts from
#   its own initialisation, so the learning rate is raised (schedule below);
# - a schedule that fits a 2-core CPU (minutes, not 160k iterations on 8
#   GPUs), no validation during training (the benchmark tests once at the
#   end with mmseg's tools/test.py), one checkpoint at the end.
_base_ = ['mmseg::segformer/segformer_mit-b0_8xb2-160k_ade20k-512x512.py']

# Registers NYUv2Dataset and LoadNYUAnnotations (and, for the CRF configs
# next to this one, CRFEncoderDecoder and DenseCRF).
custom_imports = dict(imports=['jointdepthseg'], allow_failed_imports=False)

crop_size = (120, 160)  # the rooms' image size, (H, W)
data_root = 'data/synthetic'  # one generated dataset per seed (the script)
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(init_cfg=None),
    decode_head=dict(num_classes=40, norm_cfg=norm_cfg))

# mmseg's ADE20K pipelines with the sizes scaled to the rooms: ADE20K's
# short side 512 (long side at most 2048) and 512x512 crops become a short
# side of 120 (long side at most 640) and 120x160 crops, so the random
# resize ranges 0.5-2 around the image's own size, as it does on ADE20K.
# LoadNYUAnnotations reads the NYU-40 label pngs (0 = unlabelled -> 255).
resize_scale = (640, 120)  # (long side at most, short side): ADE's (2048, 512)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadNYUAnnotations', with_depth=False),
    dict(type='RandomResize', scale=resize_scale, ratio_range=(0.5, 2.0),
         keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    # the identity on the rooms (already 120 pixels high), kept as mmseg's
    dict(type='Resize', scale=resize_scale, keep_ratio=True),
    dict(type='LoadNYUAnnotations', with_depth=False),
    dict(type='PackSegInputs'),
]
# One process with the demo's 8 images per batch (mmseg: 8 GPUs x 2).
train_dataloader = dict(
    batch_size=8, num_workers=2,
    dataset=dict(_delete_=True, type='NYUv2Dataset', data_root=data_root,
                 split='train', pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=4, num_workers=2,
    dataset=dict(_delete_=True, type='NYUv2Dataset', data_root=data_root,
                 split='test', pipeline=test_pipeline))
# mmseg's IoUMetric, as its config has; only the test run evaluates.
test_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
val_dataloader = None
val_evaluator = None
val_cfg = None

# Schedule. mmseg's: AdamW at 6e-5 (the decode head x10), a 1500-iteration
# linear warm-up, then linear decay over 160k iterations, for fine-tuning an
# ImageNet-pretrained encoder. Here 600 iterations of 8 images (20 epochs
# of the 240 rooms, minutes on one CPU thread) from scratch, a 50-iteration
# warm-up (not tuned), and the rate raised tenfold: on development seed 7
# (never reported) the stock model reached 17.69 mIoU at mmseg's 6e-5,
# 36.25 at 6e-4 and 36.05 at 2e-3.
max_iters = 600
warmup_iters = 50
optim_wrapper = dict(optimizer=dict(lr=6e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0,
         end=warmup_iters),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=warmup_iters,
         end=max_iters, by_epoch=False),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=max_iters, max_keep_ckpts=1))
randomness = dict(seed=0)  # the benchmark sets the run's seed
