# Stage 3 on the synthetic rooms with RGB-D input (not in the paper):
# as stage3_crf.py ("Sem-CRF+"), but the CRF's depth kernel reads the
# measured depth (raw_depths/: the exact depth with Kinect-like holes and
# noise) instead of the network's estimate; holes (0) are filled with the
# estimate (jointdepthseg/models/segmentors/crf_depth.py). The measured depth
# is an input, loaded at train and test time; the depth head still learns
# from and is evaluated on depths/, as in stage3_crf.py.
_base_ = ['./stage3_crf.py']
model = dict(crf_depth_source='measured')
meta_keys = ('img_path', 'seg_map_path', 'depth_map_path', 'raw_depth_path',
             'ori_shape', 'img_shape', 'pad_shape', 'scale_factor', 'flip',
             'flip_direction', 'reduce_zero_label')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadNYUAnnotations', with_measured_depth=True),
    # zooms divide the measured depth too (RandomZoomCrop's depth_keys)
    dict(type='RandomZoomCrop', zoom_range=(1.0, 1.3), prob=0.5),
    dict(type='RandomFlip', prob=0.5),
    dict(type='DepthTrainingTarget', max_depth=7.0, bin_size=0.14),
    dict(type='PackJointSegInputs', meta_keys=meta_keys),  # + measured depth
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadNYUAnnotations', with_measured_depth=True),
    dict(type='PackJointSegInputs', meta_keys=meta_keys),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
work_dir = 'work_dirs/synthetic/stage3_crf_rgbd'
