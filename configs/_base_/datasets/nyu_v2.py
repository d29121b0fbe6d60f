# NYUDepth v2, 40 classes, in the layout written by tools/convert_nyu.py
# (795 training and 654 test images of 480x640).
dataset_type = 'NYUv2Dataset'
data_root = 'data/nyu_v2'
crop_size = (513, 513)  # Sec. 4; taller than 480, the preprocessor pads it
# Inference only (jointdepthseg.apis, tools/infer.py): a photo of another size
# is resized to the scale the model learned, (long edge, short edge) in pixels,
# aspect ratio kept (mmcv's Resize, keep_ratio=True); predictions come back at
# the photo's size. Evaluation reads the 480x640 test images as they are.
inference_scale = (640, 480)
# raw_depth_path lets the figures show the Kinect holes.
meta_keys = ('img_path', 'seg_map_path', 'depth_map_path', 'raw_depth_path',
             'ori_shape', 'img_shape', 'pad_shape', 'scale_factor', 'flip',
             'flip_direction', 'reduce_zero_label')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadNYUAnnotations'),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    # Sec. 4.2: clip at 7 m, round to multiples of l (training only)
    dict(type='DepthTrainingTarget', max_depth=7.0, bin_size=0.14),
    dict(type='PackSegInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    # ground truth stays intact and at the original size for evaluation
    dict(type='LoadNYUAnnotations'),
    dict(type='PackSegInputs', meta_keys=meta_keys),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type, data_root=data_root, split='train',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type, data_root=data_root, split='test',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='SemanticSegMetric'),       # Table 3
    dict(type='DepthEstimationMetric'),   # Table 2
]
test_evaluator = val_evaluator
