"""SemanticSegMetric against brute force and against mmseg's IoUMetric."""
import math

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.structures import PixelData
from mmseg.evaluation import IoUMetric
from mmseg.registry import METRICS
from mmseg.structures import SegDataSample

from jointdepthseg.evaluation.confusion import (confusion_matrix,
                                                segmentation_scores)
from jointdepthseg.evaluation.metrics import SemanticSegMetric

CLASSES = ('wall', 'floor', 'chair', 'table', 'lamp', 'sofa')
META = dict(classes=CLASSES, palette=[[i, i, i] for i in range(6)])


def random_labels(seed, num=3, shape=(9, 11), num_classes=6):
    """Pairs of (pred, gt); class 5 never occurs, class 4 only predicted,
    about 20 % of the ground truth ignored."""
    rng = np.random.default_rng(seed)
    pairs = []
    for _ in range(num):
        gt = rng.integers(0, 4, shape)
        gt[rng.random(shape) < 0.2] = 255
        pred = np.where(rng.random(shape) < 0.6, gt, rng.integers(0, 5, shape))
        pred[pred == 255] = 4
        pairs.append((pred, gt))
    return pairs


def brute_force(pairs, num_classes=6):
    """Per-class IoU/accuracy and the means, by loops over pixels."""
    tp = [0] * num_classes
    fp = [0] * num_classes
    fn = [0] * num_classes
    for pred, gt in pairs:
        for p, g in zip(pred.ravel().tolist(), gt.ravel().tolist()):
            if g == 255:
                continue
            if p == g:
                tp[g] += 1
            else:
                fp[p] += 1
                fn[g] += 1
    iou = [tp[c] / (tp[c] + fp[c] + fn[c]) if tp[c] + fp[c] + fn[c] else None
           for c in range(num_classes)]
    acc = [tp[c] / (tp[c] + fn[c]) if tp[c] + fn[c] else None
           for c in range(num_classes)]
    defined_iou = [v for v in iou if v is not None]
    defined_acc = [v for v in acc if v is not None]
    return dict(iou=iou, acc=acc,
                mIoU=100 * sum(defined_iou) / len(defined_iou),
                mAcc=100 * sum(defined_acc) / len(defined_acc),
                aAcc=100 * sum(tp) / (sum(tp) + sum(fn)))


def as_sample(pred, gt, pred_key='pred_sem_seg'):
    """Evaluator-style dict sample."""
    return {pred_key: dict(data=torch.from_numpy(pred)[None]),
            'gt_sem_seg': dict(data=torch.from_numpy(gt)[None]),
            'img_path': 'x.png'}


def run_metric(pairs, **kwargs):
    """Process pairs one per batch and evaluate."""
    metric = SemanticSegMetric(**kwargs)
    metric.dataset_meta = META
    for pred, gt in pairs:
        metric.process({}, [as_sample(pred, gt, metric.pred_key)])
    return metric.evaluate(len(pairs))


def test_matches_brute_force_with_absent_classes():
    pairs = random_labels(0)
    metrics = run_metric(pairs)
    expected = brute_force(pairs)
    for key in ('mIoU', 'mAcc', 'aAcc'):
        assert metrics[f'sem/{key}'] == pytest.approx(expected[key],
                                                      rel=1e-12)
    for index, name in enumerate(CLASSES):
        for kind in ('iou', 'acc'):
            value = metrics[f'sem/per_class_{kind}'][name]
            if expected[kind][index] is None:
                assert math.isnan(value)
            else:
                assert value == pytest.approx(100 * expected[kind][index])
    # 'lamp' (4) is only predicted: IoU 0 counted, accuracy undefined;
    # 'sofa' (5) never occurs: left out of both means.
    assert metrics['sem/per_class_iou']['lamp'] == 0.0
    assert math.isnan(metrics['sem/per_class_acc']['lamp'])
    assert math.isnan(metrics['sem/per_class_iou']['sofa'])


def test_agrees_with_mmseg_iou_metric():
    pairs = random_labels(1, num=4, shape=(17, 13))
    ours = run_metric(pairs)
    mmseg_metric = IoUMetric(iou_metrics=['mIoU'])
    mmseg_metric.dataset_meta = META
    for pred, gt in pairs:
        mmseg_metric.process({}, [as_sample(pred, gt)])
    results = list(mmseg_metric.results)
    theirs = mmseg_metric.evaluate(len(pairs))
    for key in ('mIoU', 'mAcc', 'aAcc'):  # mmseg rounds to 2 decimals
        assert ours[f'sem/{key}'] == pytest.approx(theirs[key], abs=0.0051)
    # Unrounded per-class values from mmseg's own formulas.
    totals = [sum(column) for column in zip(*results)]
    per_class = IoUMetric.total_area_to_metrics(*totals, ['mIoU'])
    ours_iou = np.array([ours['sem/per_class_iou'][n] for n in CLASSES])
    np.testing.assert_allclose(ours_iou / 100, per_class['IoU'], rtol=1e-6)
    ours_acc = np.array([ours['sem/per_class_acc'][n] for n in CLASSES])
    np.testing.assert_allclose(ours_acc / 100, per_class['Acc'], rtol=1e-6)


def test_unary_instance_in_one_evaluator_with_registry_names():
    """Two instances (CRF output and unaries) and the depth metric share one
    mmengine Evaluator without key collisions; built by registry name."""
    pairs = random_labels(2, num=2)
    evaluator = Evaluator([
        METRICS.build(dict(type='SemanticSegMetric')),
        METRICS.build(dict(type='SemanticSegMetric',
                           pred_key='pred_sem_seg_unary', prefix='unary')),
        METRICS.build(dict(type='DepthEstimationMetric')),
    ])
    evaluator.dataset_meta = META
    rng = np.random.default_rng(5)
    samples = []
    for pred, gt in pairs:
        sample = SegDataSample(metainfo=dict(img_path='a.png'))
        sample.pred_sem_seg = PixelData(data=torch.from_numpy(pred)[None])
        sample.pred_sem_seg_unary = PixelData(
            data=torch.from_numpy(gt.clip(0, 3))[None])
        sample.gt_sem_seg = PixelData(data=torch.from_numpy(gt)[None])
        depth = torch.from_numpy(rng.uniform(1, 5, gt.shape))[None].float()
        sample.gt_depth_map = PixelData(data=depth)
        sample.pred_depth_map = PixelData(data=depth * 1.1)
        samples.append(sample)
    evaluator.process(samples)
    metrics = evaluator.evaluate(len(samples))
    assert metrics['sem/mIoU'] == pytest.approx(brute_force(pairs)['mIoU'])
    unary_pairs = [(gt.clip(0, 3), gt) for _, gt in pairs]
    assert metrics['unary/mIoU'] == pytest.approx(
        brute_force(unary_pairs)['mIoU'])
    assert metrics['unary/aAcc'] == pytest.approx(100.0)
    assert metrics['depth/abs_rel'] == pytest.approx(0.1, rel=1e-5)


def test_confusion_matrix_and_scores_edge_cases():
    gt = torch.tensor([[0, 1], [255, 1]])
    pred = torch.tensor([[0, 0], [2, 1]])
    confusion = confusion_matrix(pred, gt, 3)
    assert confusion.tolist() == [[1, 0, 0], [1, 1, 0], [0, 0, 0]]
    scores = segmentation_scores(confusion.numpy())
    assert scores['iou'][0] == pytest.approx(0.5)
    assert math.isnan(scores['iou'][2])
    assert scores['aAcc'] == pytest.approx(2 / 3)
    empty = segmentation_scores(np.zeros((3, 3), np.int64))
    assert math.isnan(empty['mIoU']) and math.isnan(empty['aAcc'])


def test_invalid_inputs_raise_clear_errors():
    metric = SemanticSegMetric()
    gt = np.zeros((3, 3), np.int64)
    with pytest.raises(RuntimeError, match='dataset_meta'):
        metric.process({}, [as_sample(gt, gt)])
    metric.dataset_meta = META
    with pytest.raises(ValueError, match=r'x\.png.*\[0, 6\)'):
        metric.process({}, [as_sample(gt + 6, gt)])
    with pytest.raises(ValueError, match='same shape'):
        metric.process({}, [as_sample(np.zeros((3, 4), np.int64), gt)])
    unary = SemanticSegMetric(pred_key='pred_sem_seg_unary', prefix='unary')
    unary.dataset_meta = META
    with pytest.raises(KeyError, match='pred_sem_seg_unary'):
        unary.process({}, [as_sample(gt, gt)])
