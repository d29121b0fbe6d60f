# The stock SegFormer of segformer_mit-b0_rooms.py with our dense CRF after
# inference, at DenseCRF's default parameters (no training): the one-key
# change of docs/reuse.md. Tested with mmseg's tools/test.py on the stock
# checkpoint (STOCK.pth), which loads unchanged (one log line: no refiner.*
# weights):
#
#   python .venv/lib/python3.11/site-packages/mmseg/.mim/tools/test.py \
#       benchmarks/crf_on_stock_mmseg/segformer_mit-b0_rooms_crf.py STOCK.pth
#
# STOCK.pth is a model-zoo style file (weights and meta). The iter_N.pth
# that mmseg's tools/train.py writes also holds mmengine's message hub,
# which torch >= 2.6's safe loader refuses, in mmseg's own tools/test.py
# too (with or without the CRF); the benchmark therefore publishes it first
# (mmseg_steps.publish_checkpoint), as mmseg's tools/misc/publish_model.py
# would.
_base_ = ['./segformer_mit-b0_rooms.py']

# DenseCRF's defaults (5 mean-field iterations, w = 7 appearance and 3
# smoothness, 'row' normalisation, theta_beta = 3 RGB levels) with two
# departures: no depth kernel (w_depth=None: a stock RGB model has no depth),
# and the spatial widths, which are in pixels and meant for NYU's 480x640,
# scaled to these 120x160 images (a quarter in each direction) as
# configs/synthetic/stage3_crf.py does: theta_alpha 160 -> 40, theta_tau
# 3 -> 1 (0.75 rounded up to one pixel). Fixed before any reported seed ran.
crf = dict(type='DenseCRF', num_classes=40, w_depth=None,
           theta_alpha=160. / 4, theta_tau=1.)
model = dict(type='CRFEncoderDecoder', refiner=crf)

# The CRF's labels (sem/) and the stock network's own (unary/), in one run.
test_evaluator = [
    dict(type='SemanticSegMetric'),
    dict(type='SemanticSegMetric', pred_key='pred_sem_seg_unary',
         prefix='unary'),
]
tta_model = dict(type='CRFSegTTAModel')
