"""DepthEstimationMetric and depth_errors against brute-force computations."""
import math

import numpy as np
import pytest
import torch

from jointdepthseg.evaluation.depth_errors import (DEPTH_METRIC_NAMES,
                                                   depth_error_sums,
                                                   depth_metrics_from_sums,
                                                   valid_depth_mask)
from jointdepthseg.evaluation.metrics import DepthEstimationMetric


def brute_force_image(pred, gt, min_depth=1e-3, max_depth=10.0):
    """Table 2 rows of one image, by Python loops over pixels.

    Returns (metrics dict, list of (d, d*) pairs used).
    """
    pairs = []
    for d, g in zip(pred.ravel().tolist(), gt.ravel().tolist()):
        if min_depth < g < max_depth:
            pairs.append((min(max(d, min_depth), max_depth), g))
    if not pairs:
        return None, pairs
    n = len(pairs)
    ratios = [max(d / g, g / d) for d, g in pairs]
    logs = [math.log(d) - math.log(g) for d, g in pairs]
    # Eigen et al.'s scale-invariant error with lambda = 1, written as
    # D = 1/n sum g^2 - 1/n^2 (sum g)^2 (their Eq. 1), independent of the
    # centring used in the code.
    eigen_d = sum(v * v for v in logs) / n - (sum(logs) / n)**2
    metrics = dict(
        delta1=sum(r < 1.25 for r in ratios) / n,
        delta2=sum(r < 1.25**2 for r in ratios) / n,
        delta3=sum(r < 1.25**3 for r in ratios) / n,
        abs_rel=sum(abs(d - g) / g for d, g in pairs) / n,
        sq_rel=sum((d - g)**2 / g for d, g in pairs) / n,
        rmse=math.sqrt(sum((d - g)**2 for d, g in pairs) / n),
        rmse_log=math.sqrt(sum(v * v for v in logs) / n),
        rmse_log_si=math.sqrt(max(eigen_d, 0.0)))
    return metrics, pairs


def brute_force_pixel_pooled(preds, gts):
    """Rows pooled over all pixels of all images (log centring per image)."""
    pairs, centred = [], []
    for pred, gt in zip(preds, gts):
        _, image_pairs = brute_force_image(pred, gt)
        logs = [math.log(d) - math.log(g) for d, g in image_pairs]
        mean = sum(logs) / len(logs) if logs else 0.0
        centred += [(v - mean)**2 for v in logs]
        pairs += image_pairs
    n = len(pairs)
    ratios = [max(d / g, g / d) for d, g in pairs]
    return dict(
        delta1=sum(r < 1.25 for r in ratios) / n,
        delta2=sum(r < 1.25**2 for r in ratios) / n,
        delta3=sum(r < 1.25**3 for r in ratios) / n,
        abs_rel=sum(abs(d - g) / g for d, g in pairs) / n,
        sq_rel=sum((d - g)**2 / g for d, g in pairs) / n,
        rmse=math.sqrt(sum((d - g)**2 for d, g in pairs) / n),
        rmse_log=math.sqrt(
            sum((math.log(d) - math.log(g))**2 for d, g in pairs) / n),
        rmse_log_si=math.sqrt(sum(centred) / n))


def random_images(seed, num=4, shape=(6, 7)):
    """Random predictions/ground truths with holes, far pixels, and
    predictions outside the clamp range."""
    rng = np.random.default_rng(seed)
    preds, gts = [], []
    for _ in range(num):
        gt = rng.uniform(0.5, 12.0, shape).astype(np.float32)  # some >= 10
        gt[rng.random(shape) < 0.25] = 0.0  # holes
        pred = (gt + rng.normal(0, 1.0, shape)).astype(np.float32)
        pred[0, 0], pred[0, 1] = -3.0, 25.0  # clamped to [1e-3, 10]
        preds.append(pred)
        gts.append(gt)
    return preds, gts


def sample(pred, gt):
    """A data sample as mmengine's Evaluator hands it to process()."""
    return dict(pred_depth_map=dict(data=torch.from_numpy(pred)[None]),
                gt_depth_map=dict(data=torch.from_numpy(gt)[None]),
                img_path=f'img_{id(pred)}.png')


def run_metric(preds, gts, **kwargs):
    """Feed the images two per batch and evaluate (non-distributed)."""
    metric = DepthEstimationMetric(**kwargs)
    samples = [sample(p, g) for p, g in zip(preds, gts)]
    for start in range(0, len(samples), 2):
        metric.process({}, samples[start:start + 2])
    return metric.evaluate(len(samples))


def test_per_image_average_matches_brute_force():
    preds, gts = random_images(0)
    metrics = run_metric(preds, gts)
    per_image = [brute_force_image(p, g)[0] for p, g in zip(preds, gts)]
    for name in DEPTH_METRIC_NAMES:
        expected = np.mean([m[name] for m in per_image])
        assert metrics[f'depth/{name}'] == pytest.approx(expected, rel=1e-9)
    conventions = metrics['depth/conventions']
    assert conventions['average'] == 'image'
    assert conventions['num_images'] == 4
    assert conventions['num_pixels'] == sum(
        len(brute_force_image(p, g)[1]) for p, g in zip(preds, gts))


def test_pixel_average_matches_brute_force():
    preds, gts = random_images(1)
    metrics = run_metric(preds, gts, average='pixel', prefix='px')
    expected = brute_force_pixel_pooled(preds, gts)
    for name in DEPTH_METRIC_NAMES:
        assert metrics[f'px/{name}'] == pytest.approx(expected[name],
                                                      rel=1e-9)
    # Per-image and pooled differ on unequal valid counts.
    per_image = run_metric(preds, gts)
    assert per_image['depth/rmse'] != pytest.approx(metrics['px/rmse'])


def test_closed_form_constant_scale():
    """d = 1.2 d*: delta1 = 1, abs_rel = 0.2, sq_rel = 0.04 mean d*,
    rmse_log = log 1.2, scale-invariant RMSE = 0."""
    gt = np.linspace(1.0, 5.0, 20, dtype=np.float32).reshape(4, 5)
    metrics = run_metric([1.2 * gt], [gt])
    assert metrics['depth/delta1'] == 1.0
    assert metrics['depth/abs_rel'] == pytest.approx(0.2, rel=1e-6)
    assert metrics['depth/sq_rel'] == pytest.approx(0.04 * gt.mean(),
                                                    rel=1e-5)
    assert metrics['depth/rmse'] == pytest.approx(
        0.2 * math.sqrt(np.mean(gt.astype(np.float64)**2)), rel=1e-6)
    assert metrics['depth/rmse_log'] == pytest.approx(math.log(1.2),
                                                      rel=1e-6)
    assert metrics['depth/rmse_log_si'] == pytest.approx(0.0, abs=1e-6)


def test_eigen_crop_matches_brute_force_on_480x640():
    rng = np.random.default_rng(2)
    gt = rng.uniform(0.5, 8.0, (480, 640)).astype(np.float32)
    pred = (gt * rng.uniform(0.7, 1.4, (480, 640))).astype(np.float32)
    pred[:45] = 100.0  # outside the crop: must not count
    metrics = run_metric([pred], [gt], eigen_crop=True)
    crop_pred = np.clip(pred[45:471, 41:601].astype(np.float64), 1e-3, 10.0)
    crop_gt = gt[45:471, 41:601].astype(np.float64)
    ratio = np.maximum(crop_pred / crop_gt, crop_gt / crop_pred)
    log_diff = np.log(crop_pred) - np.log(crop_gt)
    assert metrics['depth/delta1'] == pytest.approx(np.mean(ratio < 1.25))
    assert metrics['depth/abs_rel'] == pytest.approx(
        np.mean(np.abs(crop_pred - crop_gt) / crop_gt), rel=1e-9)
    assert metrics['depth/rmse_log_si'] == pytest.approx(
        math.sqrt(np.mean(log_diff**2) - np.mean(log_diff)**2), rel=1e-6)
    assert metrics['depth/conventions']['num_pixels'] == 426 * 560
    assert metrics['depth/conventions']['eigen_crop'] is True


def test_eigen_crop_rejects_other_sizes():
    gt = np.ones((48, 64), np.float32)
    with pytest.raises(ValueError, match='480x640'):
        run_metric([gt], [gt], eigen_crop=True)


def test_images_without_valid_depth_are_left_out():
    preds, gts = random_images(3, num=2)
    empty = np.zeros_like(gts[0])
    with_empty = run_metric(preds + [preds[0]], gts + [empty])
    without = run_metric(preds, gts)
    for name in DEPTH_METRIC_NAMES:
        assert with_empty[f'depth/{name}'] == pytest.approx(
            without[f'depth/{name}'], rel=1e-12)
    assert with_empty['depth/conventions'][
        'num_images_without_valid_depth'] == 1
    all_empty = run_metric([preds[0]], [empty])
    assert all(math.isnan(all_empty[f'depth/{n}'])
               for n in DEPTH_METRIC_NAMES)


def test_split_like_two_ranks_gives_same_result():
    """Results are per-image sums: combining two processes' lists (as
    mmengine's collect_results does) equals one process."""
    preds, gts = random_images(4, num=5)
    first, second = DepthEstimationMetric(), DepthEstimationMetric()
    first.process({}, [sample(p, g) for p, g in zip(preds[:3], gts[:3])])
    second.process({}, [sample(p, g) for p, g in zip(preds[3:], gts[3:])])
    combined = first.compute_metrics(first.results + second.results)
    single = run_metric(preds, gts)
    for name in DEPTH_METRIC_NAMES:
        assert combined[name] == pytest.approx(single[f'depth/{name}'])
    assert all(len(entry) == 9 for entry in first.results)


def test_invalid_inputs_raise_clear_errors():
    gt = np.ones((4, 5), np.float32)
    nan_pred = gt.copy()
    nan_pred[1, 1] = np.nan
    with pytest.raises(ValueError, match='NaN'):
        run_metric([nan_pred], [gt])
    with pytest.raises(ValueError, match='differ'):
        run_metric([np.ones((4, 6), np.float32)], [gt])
    metric = DepthEstimationMetric()
    with pytest.raises(KeyError, match='pred_depth_map'):
        metric.process({}, [dict(gt_depth_map=dict(
            data=torch.ones(1, 4, 5)))])
    with pytest.raises(ValueError, match='average'):
        DepthEstimationMetric(average='median')
    with pytest.raises(ValueError, match='min_depth'):
        DepthEstimationMetric(min_depth=5.0, max_depth=1.0)


def test_infinite_gt_is_invalid_and_sums_of_empty_mask_are_zero():
    gt = torch.tensor([[np.inf, 2.0], [0.0, 11.0]])
    mask = valid_depth_mask(gt, 1e-3, 10.0)
    assert mask.tolist() == [[False, True], [False, False]]
    sums = depth_error_sums(gt, gt, torch.zeros_like(mask))
    assert sums['num_pixels'] == 0
    with pytest.raises(ValueError, match='average'):
        depth_metrics_from_sums([sums], 'mean')


def test_pixel_average_agrees_with_mmseg_depth_metric():
    """mmseg's DepthMetric pools pixels too; rows shared with it agree when
    no prediction needs clamping (mmseg does not clamp)."""
    from mmseg.evaluation import DepthMetric
    rng = np.random.default_rng(6)
    gts = [rng.uniform(0.5, 12.0, (480, 640)).astype(np.float32)
           for _ in range(2)]
    gts[0][:100] = 0.0
    preds = [(gt * rng.uniform(0.6, 1.7, gt.shape)).clip(0.5, 9.9).astype(
        np.float32) for gt in gts]
    ours = run_metric(preds, gts, average='pixel', eigen_crop=True)
    theirs_metric = DepthMetric(min_depth_eval=1e-3, max_depth_eval=10.0,
                                crop_type='nyu_crop')
    theirs_metric.process({}, [sample(p, g) for p, g in zip(preds, gts)])
    theirs = theirs_metric.evaluate(2)
    pairs = dict(delta1='d1', delta2='d2', delta3='d3', abs_rel='abs_rel',
                 sq_rel='sq_rel', rmse='rmse', rmse_log='rmse_log')
    for name, their_name in pairs.items():
        assert ours[f'depth/{name}'] == pytest.approx(
            theirs[their_name], rel=1e-4)
