# A control for the ablation, not in the paper: stage 2's schedule from stage
# 1's weights, but without the depth head. Stage 2 minus this row is what depth
# adds, rather than what more training adds.
_base_ = ['./stage2_joint.py']
model = dict(depth_head=None, sem_loss_weight=1.0)  # L = L_sem
val_evaluator = [dict(type='SemanticSegMetric')]
test_evaluator = val_evaluator
work_dir = 'work_dirs/synthetic/stage2_sem_control'
