# Fine-tune DeepLabV3 and the CRF end to end from the model-zoo checkpoint.
#
# The loss is mmseg's (ASPP head + auxiliary FCN head) plus the cross
# entropy of the CRF's output (crf.loss_ce), so the network learns to give
# the CRF unaries it can refine and the CRF learns mu and w. 4 GPUs x 2
# crops, 4k iterations (a tenth of mmseg's schedule: a fine-tune).
#
#   bash tools/dist_train.sh configs/crf/deeplabv3_r50-d8_crf-e2e_4xb2-4k_cityscapes-512x1024.py 4
#   python tools/train.py configs/crf/deeplabv3_r50-d8_crf-e2e_4xb2-4k_cityscapes-512x1024.py  # one GPU
#
# Not run on Cityscapes here (no data on our machines).
_base_ = ['mmseg::deeplabv3/deeplabv3_r50-d8_4xb2-40k_cityscapes-512x1024.py']

custom_imports = dict(imports=['jointdepthseg'], allow_failed_imports=False)

# Start from the trained stock model; the CRF starts from its initial values
# (one log line says refiner.* is not in the checkpoint).
load_from = (
    'https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3/'
    'deeplabv3_r50-d8_512x1024_40k_cityscapes/'
    'deeplabv3_r50-d8_512x1024_40k_cityscapes_20200605_022449-acadc2f8.pth')

model = dict(
    # load_from replaces every weight: skip the ImageNet download mmseg's
    # config would make for the backbone first.
    pretrained=None,
    type='CRFEncoderDecoder',
    refiner=dict(type='DenseCRF', num_classes=19, w_depth=None),
    # mmseg's losses plus the CRF's (the default).
    crf_training='end_to_end',
    refiner_loss_weight=1.0,  # weight of crf.loss_ce against decode.loss_ce
    test_cfg=dict(mode='slide', crop_size=(512, 1024), stride=(341, 682)))

# One optimizer for both: AdamW, the network at a fine-tuning rate, the CRF
# at 1e-3 (lr_mult) without weight decay (as configs/nyu/stage3_crf.py:
# SGD's step is too small for the CRF's tiny gradients, and decay would pull
# mu and w towards "no CRF").
max_iters = 4000
network_lr = 6e-5
crf_lr = 1e-3
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='AdamW', lr=network_lr,
                   weight_decay=0.01),
    paramwise_cfg=dict(custom_keys={
        'refiner': dict(lr_mult=crf_lr / network_lr, decay_mult=0.)}))
param_scheduler = [
    dict(type='PolyLR', eta_min=0., power=0.9, begin=0, end=max_iters,
         by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters // 2)
default_hooks = dict(checkpoint=dict(interval=max_iters // 2))

# The CRF's labels and the network's own, scored in one run.
val_evaluator = [
    dict(type='SemanticSegMetric'),
    dict(type='SemanticSegMetric', pred_key='pred_sem_seg_unary',
         prefix='unary'),
]
test_evaluator = val_evaluator
tta_model = dict(type='CRFSegTTAModel')
