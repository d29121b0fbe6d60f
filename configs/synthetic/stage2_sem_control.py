# A control for the ablation, not in the paper: stage 1 trained for as many
# more iterations as stage 2, without the depth head. Stage 2 minus this row
# is what depth adds, rather than what more training adds.
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
    depth_head=None,
    sem_loss_weight=1.0)
max_iters = 300
optim_wrapper = dict(optimizer=dict(_delete_=True, type='AdamW', lr=1e-3,
                                    weight_decay=1e-4))
param_scheduler = [dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=0,
                        end=max_iters, by_epoch=False)]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters + 1)
default_hooks = dict(logger=dict(interval=20),
                     checkpoint=dict(interval=max_iters, max_keep_ckpts=1))
val_evaluator = [dict(type='SemanticSegMetric')]
test_evaluator = val_evaluator
load_from = 'work_dirs/synthetic/stage1_sem/iter_600.pth'
work_dir = 'work_dirs/synthetic/stage2_sem_control'
