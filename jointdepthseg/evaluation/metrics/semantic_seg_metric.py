"""Table 3 segmentation metric (Mousavian et al., 3DV 2016, Sec. 4.3)."""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmseg.registry import METRICS
from prettytable import PrettyTable

from ..confusion import confusion_matrix, segmentation_scores
from .sample_fields import sample_map, sample_name


@METRICS.register_module()
class SemanticSegMetric(BaseMetric):
    """Mean IoU, mean accuracy and pixel accuracy of Table 3, plus per class.

    A (C, C) confusion matrix is accumulated over the test set (pixels whose
    ground truth is ``ignore_index`` are left out); the scores are computed
    once from the total, so they are per-pixel over the whole set, as in the
    paper and in mmseg's ``IoUMetric`` (with which they agree). Classes whose
    score is 0/0 are left out of the means: for IoU, classes absent from both
    ground truth and prediction; for accuracy, classes absent from the ground
    truth. The formulas live in :mod:`jointdepthseg.evaluation.confusion`.

    ``process`` keeps one (C, C) int64 matrix per image, so the metric is
    exact in distributed evaluation.

    Output keys (with mmengine's ``prefix/``; default prefix ``sem``):
    ``mIoU``, ``mAcc``, ``aAcc`` in percent, and ``per_class_iou``,
    ``per_class_acc``: dicts class name -> percent (NaN if undefined).
    To evaluate the CRF-less unaries of the same run next to the CRF output,
    add a second instance with ``pred_key='pred_sem_seg_unary',
    prefix='unary'``.

    Args:
        ignore_index: ground-truth label that is not evaluated.
        pred_key: data-sample field with the (1, H, W) predicted labels.
        gt_key: data-sample field with the (1, H, W) ground-truth labels.
        collect_device: ``'cpu'`` or ``'gpu'``, for distributed collection.
        prefix: key prefix; defaults to ``'sem'``.
        collect_dir: folder for cpu collection, see mmengine's BaseMetric.

    The class names come from ``dataset_meta['classes']``.
    """

    default_prefix: Optional[str] = 'sem'

    def __init__(self,
                 ignore_index: int = 255,
                 pred_key: str = 'pred_sem_seg',
                 gt_key: str = 'gt_sem_seg',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(
            collect_device=collect_device,
            prefix=prefix,
            collect_dir=collect_dir)
        self.ignore_index = ignore_index
        self.pred_key = pred_key
        self.gt_key = gt_key

    @property
    def class_names(self) -> tuple[str, ...]:
        """``dataset_meta['classes']``; raises if the meta is not set."""
        if not self.dataset_meta or 'classes' not in self.dataset_meta:
            raise RuntimeError(
                f'{type(self).__name__} needs dataset_meta with "classes" '
                '(the runner sets it from the test dataset)')
        return tuple(self.dataset_meta['classes'])

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Append each sample's (C, C) confusion matrix to ``results``.

        Raises:
            ValueError: shapes differ or labels are out of range (names the
                image).
        """
        name = type(self).__name__
        num_classes = len(self.class_names)
        for sample in data_samples:
            pred = sample_map(sample, self.pred_key, name)
            gt = sample_map(sample, self.gt_key, name).to(pred.device)
            try:
                confusion = confusion_matrix(pred, gt, num_classes,
                                             self.ignore_index)
            except ValueError as error:
                raise ValueError(f'{name} ({self.pred_key}) on '
                                 f'{sample_name(sample)}: {error}') from error
            self.results.append(confusion.cpu().numpy())

    def compute_metrics(self, results: list) -> dict:
        """Table 3 scores (percent) and per-class IoU / accuracy."""
        class_names = self.class_names
        num_classes = len(class_names)
        total = np.zeros((num_classes, num_classes), dtype=np.int64)
        for confusion in results:
            total += np.asarray(confusion, dtype=np.int64)
        scores = segmentation_scores(total)
        metrics: dict[str, Any] = {
            key: 100.0 * scores[key]
            for key in ('mIoU', 'mAcc', 'aAcc')
        }
        metrics['per_class_iou'] = {
            name: 100.0 * float(value)
            for name, value in zip(class_names, scores['iou'])
        }
        metrics['per_class_acc'] = {
            name: 100.0 * float(value)
            for name, value in zip(class_names, scores['acc'])
        }
        table = PrettyTable(['Class', 'IoU', 'Acc'])
        for name in class_names:
            table.add_row([
                name, f'{metrics["per_class_iou"][name]:.2f}',
                f'{metrics["per_class_acc"][name]:.2f}'
            ])
        print_log(f'{type(self).__name__} ({self.pred_key}) per class:\n'
                  f'{table.get_string()}', logger='current')
        return metrics
