# The embedded synthetic rooms (tools/make_synthetic.py), written at 120x160 in
# the same layout and with the same 40 classes as NYUDepth v2, so every
# component is exercised as on the real data; sized for 2 CPU cores.
dataset_type = 'NYUv2Dataset'
data_root = 'data/synthetic'
# Inference only (jointdepthseg.apis, tools/infer.py): photos are resized to
# the rooms' scale, (long edge, short edge), aspect ratio kept (as nyu_v2.py).
inference_scale = (160, 120)
meta_keys = ('img_path', 'seg_map_path', 'depth_map_path', 'raw_depth_path',
             'ori_shape', 'img_shape', 'pad_shape', 'scale_factor', 'flip',
             'flip_direction', 'reduce_zero_label')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    # Depth target: the exact rendered depth (depths/). Unlike NYU's
    # in-painted maps it invents nothing, so the rooms keep it; raw_depths/
    # (Kinect-like holes and noise) trains as NYU does with depth_source='raw'.
    dict(type='LoadNYUAnnotations', depth_source='inpainted'),
    # Sec. 4.1's augmentation online: zoom crops (depth / zoom) and mirrors
    dict(type='RandomZoomCrop', zoom_range=(1.0, 1.3), prob=0.5),
    dict(type='RandomFlip', prob=0.5),
    dict(type='DepthTrainingTarget', max_depth=7.0, bin_size=0.14),
    dict(type='PackSegInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadNYUAnnotations'),
    dict(type='PackSegInputs', meta_keys=meta_keys),
]
# Loading in the training process: a room costs 1.6 ms to read and augment,
# and on 2 CPU cores two worker processes (and moving their batches between
# processes) took that time from the training step instead: a stage-1 step
# inside the Runner 0.268 s with 2 workers, 0.236 s without
# (benchmarks/bench_demo_stage.py). With a GPU, raise num_workers.
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, split='train',
                 made_by='make_synthetic', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='test',
                 made_by='make_synthetic', pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='SemanticSegMetric'),
    dict(type='DepthEstimationMetric'),
]
test_evaluator = val_evaluator
