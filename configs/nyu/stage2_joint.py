# Stage 2 (Sec. 4.1): the depth layers are added and the whole network is
# trained on Eq. 1, lambda * L_sem + L_depth, for 10k iterations, starting
# from stage 1's weights (the depth head starts fresh: load_from is not
# strict, missing depth-head weights are initialised).
_base_ = [
    '../_base_/models/joint_multiscale.py',
    '../_base_/datasets/nyu_v2.py',
    '../_base_/schedules/sgd_poly.py',
    '../_base_/default_runtime.py',
]
max_iters = 10000
train_cfg = dict(max_iters=max_iters, val_interval=max_iters // 5)
param_scheduler = [
    dict(type='PolyLR', eta_min=1e-6, power=0.9, begin=0, end=max_iters,
         by_epoch=False)
]
default_hooks = dict(checkpoint=dict(interval=2000))
# stage 1 from the converted VGG-16 weights, as the paper starts from DeepLab's
# (docs/pretrained_weights.md); from scratch: work_dirs/nyu/stage1_sem/...
load_from = 'work_dirs/nyu/stage1_sem_vgg16/iter_160000.pth'
work_dir = 'work_dirs/nyu/stage2_joint'
