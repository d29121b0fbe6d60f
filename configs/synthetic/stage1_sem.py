# Stage 1 on the synthetic rooms: semantics only (L_sem), a 1/8-width
# MultiScaleNet so that the whole demo trains on 2 CPU cores in minutes.
_base_ = [
    '../_base_/models/joint_multiscale.py',
    '../_base_/datasets/synthetic_rooms.py',
    '../_base_/schedules/sgd_poly.py',
    '../_base_/default_runtime.py',
]
branch_channels = [8, 16, 16, 16, 128]  # Table 1 widths x 1/8
model = dict(
    data_preprocessor=dict(size=(120, 160)),
    backbone=dict(width_mult=0.125),
    decode_head=dict(in_channels=branch_channels),
    depth_head=None,          # L = L_sem
    sem_loss_weight=1.0)
max_iters = 600
# Adam instead of the paper's SGD: from scratch and this short, SGD at a
# stable rate leaves the tiny net far from converged.
optim_wrapper = dict(optimizer=dict(_delete_=True, type='AdamW', lr=3e-3,
                                    weight_decay=1e-4))
param_scheduler = [dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=0,
                        end=max_iters, by_epoch=False)]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters + 1)
default_hooks = dict(logger=dict(interval=20),
                     checkpoint=dict(interval=max_iters, max_keep_ckpts=1))
val_evaluator = [dict(type='SemanticSegMetric')]
test_evaluator = val_evaluator
work_dir = 'work_dirs/synthetic/stage1_sem'
