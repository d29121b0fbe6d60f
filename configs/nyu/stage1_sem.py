# Stage 1 (Sec. 4.1): the multi-scale network trained for semantics only
# (L_sem, Eq. 2), 160k iterations. The paper starts from DeepLab [4] weights
# pre-trained on MS-COCO and PASCAL VOC; no such weights ship here, so the
# backbone starts from Kaiming initialisation unless you point init_cfg at a
# local checkpoint, e.g.
#   model = dict(backbone=dict(init_cfg=dict(type='Pretrained',
#                                            checkpoint='path/to/file.pth')))
_base_ = [
    '../_base_/models/joint_multiscale.py',
    '../_base_/datasets/nyu_v2.py',
    '../_base_/schedules/sgd_poly.py',
    '../_base_/default_runtime.py',
]
model = dict(depth_head=None, sem_loss_weight=1.0)  # L = L_sem
val_evaluator = [dict(type='SemanticSegMetric')]
test_evaluator = val_evaluator
work_dir = 'work_dirs/nyu/stage1_sem'
