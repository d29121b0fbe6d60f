# Stage 3 without the depth kernel: the paper's "Ours-Sem-CRF" row of Table 3
# (the CRF sees the semantic unaries and the RGB image only). Identical to
# stage3_crf.py except w_depth=None, which drops the depth kernel k2 and its
# weight matrix w(2). It inherits stage 2 directly (not stage3_crf.py) to keep
# configs at most two _base_ levels deep; keep the two files in step.
_base_ = ['./stage2_joint.py']

model = dict(
    refiner=dict(
        type='DenseCRF',
        num_classes=40,
        num_iters=5,
        theta_alpha=160.,
        theta_beta=3.,
        theta_tau=3.,
        w_appearance=7.,
        w_depth=None,   # no depth kernel ("Sem-CRF")
        w_smooth=3.,
        normalize=True,
        learnable=True))

# Learning rates: see stage3_crf.py (CRF 2.5e-3, network 2.5e-6).
max_iters = 10000
optim_wrapper = dict(
    optimizer=dict(lr=2.5e-6),
    paramwise_cfg=dict(
        custom_keys={'refiner': dict(lr_mult=1000., decay_mult=0.)}))
param_scheduler = [
    dict(type='PolyLR', eta_min=1e-9, power=0.9, begin=0, end=max_iters,
         by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters // 5)
default_hooks = dict(checkpoint=dict(interval=2000))
load_from = 'work_dirs/nyu/stage2_joint/iter_10000.pth'
work_dir = 'work_dirs/nyu/stage3_crf_nodepth'
