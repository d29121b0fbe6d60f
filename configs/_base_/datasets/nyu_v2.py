# NYUDepth v2, 40 classes, in the layout written by tools/convert_nyu.py
# (795 training and 654 test images of 480x640).
dataset_type = 'NYUv2Dataset'
data_root = 'data/nyu_v2'  # the test split
# Training reads the paper's offline augmentation (Sec. 4.1): every image, its
# mirror and 4 crops zoomed back to 480x640 with depth divided by the zoom,
# 795 -> 4770 images, written once by
#   python tools/augment_nyu.py --data-root data/nyu_v2 --out data/nyu_v2_aug
# (the online RandomZoomCrop draws new crops every epoch, which the paper did
# not; it stays available for other datasets).
train_data_root = 'data/nyu_v2_aug'
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
    # Sec. 4.2, "only the valid depth values for training": the depth target
    # is the Kinect's raw depth (raw_depths/), whose holes (0) the depth loss
    # ignores, not the in-painted depths/ (depth_source='inpainted' switches).
    dict(type='LoadNYUAnnotations', depth_source='raw'),
    # the 513x513 input (Sec. 4): a random 480x513 window, padded below. No
    # online flip: the mirrors are in the augmented set, as in the paper.
    dict(type='RandomCrop', crop_size=crop_size),
    # Sec. 4.2: clip at 7 m, round to multiples of l (training only)
    dict(type='DepthTrainingTarget', max_depth=7.0, bin_size=0.14),
    dict(type='PackSegInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    # ground truth stays intact and at the original size for evaluation: the
    # in-painted depths/, dense, as Eigen et al. evaluate (depth_source='raw'
    # evaluates on the Kinect's own readings instead)
    dict(type='LoadNYUAnnotations', depth_source='inpainted'),
    dict(type='PackSegInputs', meta_keys=meta_keys),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type, data_root=train_data_root, split='train',
        made_by='augment_nyu', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type, data_root=data_root, split='test',
        made_by='convert_nyu', pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='SemanticSegMetric'),       # Table 3
    dict(type='DepthEstimationMetric'),   # Table 2
]
test_evaluator = val_evaluator
