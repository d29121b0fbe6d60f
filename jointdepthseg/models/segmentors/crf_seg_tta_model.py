"""Test-time augmentation with a CRF: merge the views, then refine once.

mmseg's ``SegTTAModel`` runs the whole ``predict`` of every view (scales,
flips) and averages the views' softmax. With a CRF inside ``predict`` that
would refine each view and average refined probabilities; the CRF belongs
on the merged probabilities, at the original size, once. Our segmentors
therefore refuse to be called view after view by the stock model (one
clear error naming this class), and ``CRFSegTTAModel`` does:

1. per view, the segmentor's unaries, image and CRF depth at ``ori_shape``
   (``crf_inputs_at_original_size``: whole or slide inference, padding cut,
   flip undone, resized), no refinement;
2. per image, the mean of the views' softmax, as ``SegTTAModel`` merges;
3. one refiner call on ``log(mean probabilities)`` (whose softmax is the
   merged distribution) with the image of the reference view, the view
   whose network input was closest to the original size (unflipped first);
   the depth kernel reads that view's measured depth, or the mean of the
   views' estimated depths (``JointDepthSegmentor``).

``seg_logits`` / ``pred_sem_seg`` are the refined result;
``seg_logits_unary`` / ``pred_sem_seg_unary`` the merged unaries (the
labels the stock ``SegTTAModel`` would give); ``pred_depth_map`` the mean of
the views' estimated depth when the segmentor has a depth head.
"""
from __future__ import annotations

import math
from typing import List, Sequence

import torch
from torch import Tensor

from mmseg.models.segmentors import SegTTAModel
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from .crf_refinement import CRFView, refine_views, set_crf_predictions


def reference_view(views: Sequence[CRFView]) -> int:
    """Index of the view whose input size was closest to ``ori_shape``.

    Distance: |log(h / h0)| + |log(w / w0)| of the network input before
    padding (``img_shape``); ties go to an unflipped view, then the first.
    """
    def distance(item):
        index, view = item
        meta = view.meta or {}
        ori = tuple(meta.get('ori_shape', view.unary.shape[1:]))[:2]
        img = tuple(meta.get('img_shape', ori))[:2]
        gap = sum(abs(math.log(a / b)) for a, b in zip(img, ori))
        return (round(gap, 9), bool(meta.get('flip', False)), index)
    return min(enumerate(views), key=distance)[0]


def merged_unary(views: Sequence[CRFView]) -> Tensor:
    """log of the mean of the views' softmax, (C, H0, W0); its softmax is
    the merged distribution (probabilities floored at the dtype's tiny)."""
    probs = torch.stack([v.unary.softmax(dim=0) for v in views]).mean(0)
    return probs.clamp_min(torch.finfo(probs.dtype).tiny).log()


@MODELS.register_module()
class CRFSegTTAModel(SegTTAModel):
    """``SegTTAModel`` that refines the merged probabilities once.

    Wraps a segmentor with a refiner and ``crf_inputs_at_original_size``:
    ``CRFEncoderDecoder``, ``CRFCascadeEncoderDecoder`` or a
    ``JointDepthSegmentor`` with a refiner. Set in a config as
    ``tta_model = dict(type='CRFSegTTAModel')``; mmseg's
    ``tools/test.py --tta`` then uses it unchanged.
    """

    def __init__(self, module, data_preprocessor=None):
        super().__init__(module=module, data_preprocessor=data_preprocessor)
        if not (hasattr(self.module, 'crf_inputs_at_original_size')
                and getattr(self.module, 'refiner', None) is not None):
            raise TypeError(
                f'CRFSegTTAModel wraps a segmentor with a CRF refiner '
                '(CRFEncoderDecoder, CRFCascadeEncoderDecoder, '
                f'JointDepthSegmentor with refiner), got '
                f'{type(self.module).__name__}; use SegTTAModel')

    def test_step(self, data) -> List[SegDataSample]:
        """Predicts every view unrefined, merges, refines once per image.

        Args:
            data: mmcv's ``TestTimeAug`` batch: ``inputs`` and
                ``data_samples``, each a list over views of lists over
                images (or the tuple/list form ``BaseTTAModel`` accepts).

        Returns:
            list[SegDataSample]: one per image, the first view's sample with
            the merged and refined predictions.
        """
        if isinstance(data, dict):
            num_views = len(data[next(iter(data))])
            view_batches = [{key: value[index] for key, value in data.items()}
                            for index in range(num_views)]
        elif isinstance(data, (tuple, list)):
            view_batches = [[item[index] for item in data]
                            for index in range(len(data[0]))]
        else:
            raise TypeError('CRFSegTTAModel: data must be a dict, tuple or '
                            f'list, got {type(data).__name__}')
        per_view, samples_per_view = [], []
        for batch in view_batches:
            batch = self.module.data_preprocessor(batch, False)
            if isinstance(batch, dict):
                inputs, samples = batch['inputs'], batch['data_samples']
            else:
                inputs, samples = batch
            per_view.append(self.module.crf_inputs_at_original_size(
                inputs, samples))
            samples_per_view.append(samples)
        return self.merge_and_refine(list(zip(*per_view)),
                                     samples_per_view[0])

    def merge_and_refine(self, views_per_image: Sequence[Sequence[CRFView]],
                         samples: Sequence[SegDataSample]
                         ) -> List[SegDataSample]:
        """Merges each image's views and refines them in one refiner call
        per group of equally sized images."""
        source = getattr(self.module, 'crf_depth_source', None)
        unaries, images, depths, estimates = [], [], [], []
        for views in views_per_image:
            ref = views[reference_view(views)]
            unaries.append(merged_unary(views))
            images.append(ref.image)
            if ref.depth is not None and source == 'estimate':
                depths.append(torch.stack([v.depth for v in views]).mean(0))
            else:  # measured (one view's), or no depth
                depths.append(ref.depth)
            estimates.append(
                None if views[0].depth_estimate is None else torch.stack(
                    [v.depth_estimate for v in views]).mean(0))
        refined = refine_views(self.module.refiner, unaries, images, depths)
        for sample, logits, unary, estimate in zip(samples, refined,
                                                   unaries, estimates):
            set_crf_predictions(sample, logits, unary, estimate)
        return list(samples)
