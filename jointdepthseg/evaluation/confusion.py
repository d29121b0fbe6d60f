"""Confusion matrix and Table 3 scores (Mousavian et al., 3DV 2016, Sec. 4.3).

Table 3 reports, over the 40 NYUv2 classes and the whole test set:

* Mean IoU: the mean over classes of ``TP / (TP + FP + FN)`` (Jaccard);
* Mean Accuracy: the mean over classes of ``TP / (TP + FN)``;
* Pixel Accuracy: ``sum TP / number of labelled pixels``.

All three come from one confusion matrix accumulated over the test set. A
class whose score is 0/0 is left out of the mean: for IoU that is a class
absent from both the ground truth and the prediction, for accuracy a class
absent from the ground truth. This is what mmseg's ``IoUMetric`` does with
``nanmean``.
"""
from __future__ import annotations

import numpy as np
import torch


def confusion_matrix(pred_labels: torch.Tensor, gt_labels: torch.Tensor,
                     num_classes: int, ignore_index: int = 255
                     ) -> torch.Tensor:
    """Pixel counts of (ground truth, prediction) pairs of one image.

    Args:
        pred_labels: (H, W) integer predicted labels in ``[0, num_classes)``.
        gt_labels: (H, W) integer ground-truth labels in
            ``[0, num_classes)`` or ``ignore_index``.
        num_classes: number of classes C.
        ignore_index: ground-truth label of pixels left out.

    Returns:
        (C, C) int64 tensor on the inputs' device; entry ``[i, j]`` counts
        pixels labelled ``i`` and predicted ``j``.

    Raises:
        ValueError: shapes differ, or a label lies outside its range.
    """
    if pred_labels.shape != gt_labels.shape:
        raise ValueError(
            f'predicted labels {tuple(pred_labels.shape)} and ground truth '
            f'{tuple(gt_labels.shape)} must have the same shape')
    keep = gt_labels != ignore_index
    gt = gt_labels[keep].long()
    pred = pred_labels[keep].long()
    for name, labels in (('ground-truth', gt), ('predicted', pred)):
        if labels.numel() and (labels.min() < 0
                               or labels.max() >= num_classes):
            raise ValueError(
                f'{name} labels must lie in [0, {num_classes}) (ground truth '
                f'may also be {ignore_index}); found '
                f'[{int(labels.min())}, {int(labels.max())}]')
    counts = torch.bincount(
        gt * num_classes + pred, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def segmentation_scores(confusion: np.ndarray) -> dict:
    """Table 3 scores from a confusion matrix.

    Args:
        confusion: (C, C) counts, rows = ground truth, columns = prediction.

    Returns:
        Dict with ``iou`` and ``acc``: (C,) float64 per-class fractions, NaN
        where undefined (0/0); ``mIoU``, ``mAcc``: their means over defined
        classes; ``aAcc``: pixel accuracy. Fractions in [0, 1]; the means are
        NaN when no class is defined.
    """
    confusion = np.asarray(confusion, dtype=np.float64)
    true_pos = np.diag(confusion)
    gt_count = confusion.sum(axis=1)
    pred_count = confusion.sum(axis=0)
    union = gt_count + pred_count - true_pos
    with np.errstate(invalid='ignore', divide='ignore'):
        iou = np.where(union > 0, true_pos / union, np.nan)
        acc = np.where(gt_count > 0, true_pos / gt_count, np.nan)
    total = gt_count.sum()
    return dict(
        iou=iou,
        acc=acc,
        mIoU=_nanmean(iou),
        mAcc=_nanmean(acc),
        aAcc=float(true_pos.sum() / total) if total > 0 else float('nan'))


def _nanmean(values: np.ndarray) -> float:
    """Mean of the non-NaN entries; NaN if there are none (no warning)."""
    defined = values[~np.isnan(values)]
    return float(defined.mean()) if defined.size else float('nan')
