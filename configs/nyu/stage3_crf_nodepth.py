# Stage 3 without the CRF's depth kernel, the paper's "Sem-CRF" row: the CRF
# sees RGB and position only; everything else as stage3_crf.py.
_base_ = ['./stage3_crf.py']
model = dict(refiner=dict(w_depth=None))  # drops the depth kernel
work_dir = 'work_dirs/nyu/stage3_crf_nodepth'
