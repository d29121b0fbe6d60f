# Train the CRF alone on top of a frozen model-zoo DeepLabV3.
#
# The network (backbone, ASPP head, auxiliary head) is mmseg's trained
# model and stays as it is: eval mode (BN statistics and dropout as in
# testing), no gradient. Only the CRF's compatibility mu and kernel weights
# w (refiner.*) learn, from the cross entropy of the CRF's output on
# Cityscapes' training crops. A few hundred iterations on one GPU.
#
#   python tools/train.py configs/crf/deeplabv3_r50-d8_crf-frozen_1xb2-400it_cityscapes-512x1024.py
#
# (Cityscapes under data/cityscapes; the zoo checkpoint is downloaded.)
# Not run on Cityscapes here (no data on our machines): the schedule and
# learning rate follow our NYU stage 3 (configs/nyu/stage3_crf.py).
_base_ = ['mmseg::deeplabv3/deeplabv3_r50-d8_4xb2-40k_cityscapes-512x1024.py']

custom_imports = dict(imports=['jointdepthseg'], allow_failed_imports=False)

# The trained stock model (mmseg's model zoo). It has no refiner.* weights:
# one log line says so and the CRF starts from its initial values.
load_from = (
    'https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3/'
    'deeplabv3_r50-d8_512x1024_40k_cityscapes/'
    'deeplabv3_r50-d8_512x1024_40k_cityscapes_20200605_022449-acadc2f8.pth')

model = dict(
    # load_from replaces every weight: skip the ImageNet download mmseg's
    # config would make for the backbone first.
    pretrained=None,
    type='CRFEncoderDecoder',
    # No depth on Cityscapes; widths as DenseCRF's defaults (not tuned).
    refiner=dict(type='DenseCRF', num_classes=19, w_depth=None),
    # Freeze everything but refiner.*; the loss is the CRF's alone.
    crf_training='refiner_only',
    test_cfg=dict(mode='slide', crop_size=(512, 1024), stride=(341, 682)))

# Only the CRF trains, with AdamW: its gradients are tiny (~1e-4 per entry
# on NYU), too small for SGD's step; AdamW's step does not depend on their
# size. 5e-2 as our own CRF stage (configs/synthetic/stage3_crf.py): on a
# stock SegFormer, CRF alone, 200 iterations (benchmarks/crf_on_stock_mmseg,
# development seed) 1e-3 hardly moved mu and w (43.67 mIoU against 45.44
# at 5e-2). No weight decay: it would pull mu and w towards "no CRF".
max_iters = 400
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='AdamW', lr=5e-2, weight_decay=0.))
param_scheduler = [
    dict(type='PolyLR', eta_min=0., power=0.9, begin=0, end=max_iters,
         by_epoch=False)
]
# One GPU with 2 crops (mmseg's config: 4 GPUs x 2).
train_dataloader = dict(batch_size=2)
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))

# The CRF's labels and the frozen network's, scored in one run.
val_evaluator = [
    dict(type='SemanticSegMetric'),
    dict(type='SemanticSegMetric', pred_key='pred_sem_seg_unary',
         prefix='unary'),
]
test_evaluator = val_evaluator
tta_model = dict(type='CRFSegTTAModel')
