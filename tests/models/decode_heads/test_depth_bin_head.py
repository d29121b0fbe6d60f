"""DepthBinHead.loss_by_feat beyond the plain case: a depth map of another
size than the ground truth is resized bilinearly (with the head's
align_corners) before Eq. 4, several depth losses are summed by name, and the
ground truth takes the logits' dtype. Expected values are computed by hand
(plain Python Eq. 3, bilinear interpolation and Eq. 4)."""
import math

import pytest
import torch
from mmengine.structures import PixelData

import jointdepthseg  # noqa: F401
from jointdepthseg.models.decode_heads import DepthBinHead
from mmseg.structures import SegDataSample

CHANNELS = [4, 6, 6, 6, 8]


def depth_sample(depth):
    sample = SegDataSample()
    sample.gt_depth_map = PixelData(data=depth)
    return sample


def eq3_by_hand(logits, bin_size):
    """(Nd, H, W) nested lists -> (H, W) depth, sum_b b * l * softmax_b."""
    num_bins, height, width = len(logits), len(logits[0]), len(logits[0][0])
    depth = []
    for y in range(height):
        row = []
        for x in range(width):
            exps = [math.exp(logits[b][y][x]) for b in range(num_bins)]
            row.append(sum((b + 1) * bin_size * e
                           for b, e in enumerate(exps)) / sum(exps))
        depth.append(row)
    return depth


def source_coordinate(out_index, in_size, out_size, align_corners):
    """Where output pixel ``out_index`` samples the input (torch's rule)."""
    if align_corners:
        return out_index * (in_size - 1) / (out_size - 1)
    return max((out_index + 0.5) * in_size / out_size - 0.5, 0.0)


def bilinear_by_hand(image, out_height, out_width, align_corners):
    height, width = len(image), len(image[0])
    out = []
    for y in range(out_height):
        sy = source_coordinate(y, height, out_height, align_corners)
        y0 = int(sy)
        y1, wy = min(y0 + 1, height - 1), sy - y0
        row = []
        for x in range(out_width):
            sx = source_coordinate(x, width, out_width, align_corners)
            x0 = int(sx)
            x1, wx = min(x0 + 1, width - 1), sx - x0
            top = (1 - wx) * image[y0][x0] + wx * image[y0][x1]
            bottom = (1 - wx) * image[y1][x0] + wx * image[y1][x1]
            row.append((1 - wy) * top + wy * bottom)
        out.append(row)
    return out


def eq4_by_hand(depth, target, lam):
    """mean(g^2) - lam * mean(g)^2 over the valid pixels (target > 0)."""
    g = [math.log(d) - math.log(t)
         for drow, trow in zip(depth, target) for d, t in zip(drow, trow)
         if t > 0]
    return sum(x * x for x in g) / len(g) - lam * (sum(g) / len(g)) ** 2


@pytest.mark.parametrize('align_corners', [False, True])
def test_depth_of_another_size_is_resized_bilinearly_before_eq4(
        align_corners):
    head = DepthBinHead(CHANNELS, num_bins=4, bin_size=1.0,
                        align_corners=align_corners)
    logits = torch.randn(1, 4, 3, 4, dtype=torch.float64,
                         generator=torch.Generator().manual_seed(0)) * 2
    target = torch.tensor([[[1.0, 2.0, 2.5, 3.0, 0.0, 1.2, 1.5],
                            [2.0, 2.2, 0.0, 3.5, 3.0, 1.1, 1.9],
                            [1.4, 2.6, 2.4, 3.3, 1.0, 1.7, 2.0],
                            [3.0, 0.0, 1.5, 2.5, 3.2, 2.8, 1.3],
                            [2.1, 1.6, 2.9, 1.8, 2.2, 3.1, 0.0]]],
                          dtype=torch.float64)
    loss = head.loss_by_feat(logits, [depth_sample(target)])['loss_depth']
    depth = bilinear_by_hand(eq3_by_hand(logits[0].tolist(), 1.0), 5, 7,
                             align_corners)
    # default loss_decode: ScaleInvariantLoss(lam=1, loss_weight=2) = Eq. 4
    expected = 2.0 * eq4_by_hand(depth, target[0].tolist(), 1.0)
    assert loss.item() == pytest.approx(expected, rel=1e-9)
    # the other align_corners or nearest-neighbour resizing give other losses
    other = 2.0 * eq4_by_hand(
        bilinear_by_hand(eq3_by_hand(logits[0].tolist(), 1.0), 5, 7,
                         not align_corners), target[0].tolist(), 1.0)
    assert abs(other - expected) > 1e-3 * expected


def test_several_depth_losses_are_summed_by_name():
    head = DepthBinHead(CHANNELS, num_bins=4, bin_size=1.0, loss_decode=[
        dict(type='ScaleInvariantLoss', lam=1.0, loss_weight=2.0),
        dict(type='ScaleInvariantLoss', lam=0.5, loss_weight=3.0),
        dict(type='ScaleInvariantLoss', lam=0.0, loss_weight=1.0,
             loss_name='loss_depth_log_mse')])
    logits = torch.randn(1, 4, 2, 3, dtype=torch.float64,
                         generator=torch.Generator().manual_seed(1)) * 2
    target = torch.tensor([[[1.5, 2.0, 0.0], [3.0, 2.5, 1.0]]],
                          dtype=torch.float64)
    losses = head.loss_by_feat(logits, [depth_sample(target)])
    depth = eq3_by_hand(logits[0].tolist(), 1.0)
    gt = target[0].tolist()
    assert set(losses) == {'loss_depth', 'loss_depth_log_mse'}
    assert losses['loss_depth'].item() == pytest.approx(
        2.0 * eq4_by_hand(depth, gt, 1.0) + 3.0 * eq4_by_hand(depth, gt, 0.5),
        rel=1e-9)
    assert losses['loss_depth_log_mse'].item() == pytest.approx(
        eq4_by_hand(depth, gt, 0.0), rel=1e-9)


def test_ground_truth_takes_the_dtype_of_the_logits():
    head = DepthBinHead(CHANNELS, num_bins=4, bin_size=1.0)
    logits = torch.randn(1, 4, 2, 2,
                         generator=torch.Generator().manual_seed(2))
    target = torch.tensor([[[1.5, 2.0], [3.0, 2.5]]], dtype=torch.float64)
    loss = head.loss_by_feat(logits, [depth_sample(target)])['loss_depth']
    assert loss.dtype == torch.float32
