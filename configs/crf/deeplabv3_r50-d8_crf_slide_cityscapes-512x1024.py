# Inference: mmseg's DeepLabV3 with our dense CRF, from its model-zoo checkpoint.
#
# This is mmseg's own config (ResNet-50-D8 + ASPP, Cityscapes, 19 classes)
# with one change: the segmentor type and a `refiner`. Nothing else moves:
# same preprocessing, same test pipeline, same checkpoint keys. The stock
# checkpoint loads as it is; the log says in one line that it has no
# refiner.* weights, so the CRF starts from the initial values below (not
# learned: see the two training configs next to this one to learn them).
#
# Test it (Cityscapes under data/cityscapes, as mmseg's configs expect):
#   wget https://download.openmmlab.com/mmsegmentation/v0.5/deeplabv3/deeplabv3_r50-d8_512x1024_40k_cityscapes/deeplabv3_r50-d8_512x1024_40k_cityscapes_20200605_022449-acadc2f8.pth
#   python tools/test.py configs/crf/deeplabv3_r50-d8_crf_slide_cityscapes-512x1024.py \
#       deeplabv3_r50-d8_512x1024_40k_cityscapes_20200605_022449-acadc2f8.pth
_base_ = ['mmseg::deeplabv3/deeplabv3_r50-d8_4xb2-40k_cityscapes-512x1024.py']

# Registers CRFEncoderDecoder, DenseCRF, CRFSegTTAModel, SemanticSegMetric.
custom_imports = dict(imports=['jointdepthseg'], allow_failed_imports=False)

model = dict(
    # mmseg's EncoderDecoder plus a CRF after inference: the network's
    # logits are stitched (slide) and cut back to the original image size
    # first, then the CRF refines each image once, with the RGB image
    # recovered from the inputs.
    type='CRFEncoderDecoder',
    # DenseCRF's default kernel widths and weights (the paper's, for NYU at
    # 480x640; not tuned for Cityscapes). No depth on Cityscapes: the depth
    # kernel is dropped (w_depth=None). num_classes must be the head's.
    refiner=dict(type='DenseCRF', num_classes=19, w_depth=None),
    # Sliding-window inference of the 1024x2048 images with 512x1024 crops
    # (the training crop), 2/3 stride; the CRF sees the stitched result.
    test_cfg=dict(mode='slide', crop_size=(512, 1024), stride=(341, 682)))

# Test-time augmentation (`--tta`): merge the views' probabilities as mmseg
# does, then refine once. mmseg's SegTTAModel would refine every view: our
# segmentor refuses that with an error naming this setting.
tta_model = dict(type='CRFSegTTAModel')

# Score the CRF's labels (pred_sem_seg) and the network's own labels
# (pred_sem_seg_unary) in one run.
test_evaluator = [
    dict(type='SemanticSegMetric'),
    dict(type='SemanticSegMetric', pred_key='pred_sem_seg_unary',
         prefix='unary'),
]
val_evaluator = test_evaluator
