# Runtime shared by every experiment.
custom_imports = dict(imports=['jointdepthseg'], allow_failed_imports=False)
default_scope = 'mmseg'
# Keeps torch's safe (weights_only) checkpoint loading on, so --resume works
# on torch >= 2.6 (see jointdepthseg/engine/safe_resume_runner.py).
runner_type = 'SafeResumeRunner'
checkpoint_interval = 16000
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False,
                    interval=checkpoint_interval, max_keep_ckpts=3,
                    save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'))
env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))
vis_backends = [dict(type='LocalVisBackend')]
# no `name`: the Runner names it after its experiment, so that runs in one
# process (tools/demo.py) each get their own visualizer and log folder
visualizer = dict(type='SegLocalVisualizer', vis_backends=vis_backends)
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
