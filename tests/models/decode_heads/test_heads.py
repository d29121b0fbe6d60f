"""MultiScaleSegHead (Eq. 2), DepthBinHead (Eq. 3) and their shared
BranchClassifiers against brute force."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData

import jointdepthseg  # noqa: F401
from jointdepthseg.models.decode_heads import (DepthBinHead, MultiScaleSegHead,
                                               bin_logits_to_depth)
from mmseg.structures import SegDataSample

CHANNELS = [4, 6, 6, 6, 8]


def branch_features(batch=2, size=(16, 24)):
    strides = (1, 2, 4, 4, 8)
    return tuple(torch.randn(batch, c, -(-size[0] // s), -(-size[1] // s))
                 for c, s in zip(CHANNELS, strides))


def test_eq3_against_brute_force():
    torch.manual_seed(0)
    logits = torch.randn(2, 5, 3, 4, dtype=torch.float64)
    depth = bin_logits_to_depth(logits, 0.14)
    for b in range(2):
        for y in range(3):
            for x in range(4):
                scores = logits[b, :, y, x].tolist()
                norm = sum(math.exp(s) for s in scores)
                expected = sum((k + 1) * 0.14 * math.exp(s) / norm
                               for k, s in enumerate(scores))
                assert depth[b, 0, y, x].item() == pytest.approx(expected)


def test_depth_range_is_l_to_nd_times_l():
    head = DepthBinHead(CHANNELS, num_bins=50, bin_size=0.14)
    very_near = torch.full((1, 50, 1, 1), -50.0)
    very_near[:, 0] = 50.0
    very_far = torch.full((1, 50, 1, 1), -50.0)
    very_far[:, -1] = 50.0
    assert head.logits_to_depth(very_near).item() == pytest.approx(0.14)
    assert head.logits_to_depth(very_far).item() == pytest.approx(7.0)
    assert head.max_depth == pytest.approx(7.0)


@pytest.mark.parametrize('head_type', [MultiScaleSegHead, DepthBinHead])
def test_heads_sum_upsampled_branch_scores(head_type):
    torch.manual_seed(0)
    head = head_type(CHANNELS)
    head.init_weights()
    feats = branch_features()
    out = head(feats)
    expected = 0
    for feat, conv in zip(feats, head.classifiers.convs):
        scores = F.conv2d(feat, conv.weight, conv.bias)
        expected = expected + F.interpolate(
            scores, size=feats[0].shape[2:], mode='bilinear',
            align_corners=False)
    assert out.shape == (2, 40 if head_type is MultiScaleSegHead else 50,
                         16, 24)
    torch.testing.assert_close(out, expected)



@pytest.mark.parametrize('bias', [True, False])
def test_pointwise_conv_is_the_1x1_convolution(bias):
    """Values and gradients (input, weight, bias) against nn.Conv2d, float64."""
    from jointdepthseg.models.decode_heads.branch_classifiers import \
        pointwise_conv
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(5, 7, 1, bias=bias).double()
    x = torch.randn(3, 5, 4, 6, dtype=torch.float64, requires_grad=True)
    ours = pointwise_conv(x, conv)
    ours_grads = torch.autograd.grad((ours ** 2).sum(),
                                     [x, *conv.parameters()])
    expected = conv(x)
    expected_grads = torch.autograd.grad((expected ** 2).sum(),
                                         [x, *conv.parameters()])
    torch.testing.assert_close(ours, expected, rtol=0, atol=1e-12)
    for got, want in zip(ours_grads, expected_grads):
        torch.testing.assert_close(got, want, rtol=0, atol=1e-11)

def sample_with(labels=None, depth=None):
    sample = SegDataSample()
    if labels is not None:
        sample.gt_sem_seg = PixelData(data=labels)
    if depth is not None:
        sample.gt_depth_map = PixelData(data=depth)
    return sample


def test_seg_loss_is_eq2_mean_over_labelled_pixels():
    torch.manual_seed(0)
    head = MultiScaleSegHead(CHANNELS, num_classes=5)
    logits = torch.randn(1, 5, 2, 3)
    labels = torch.tensor([[[0, 4, 255], [2, 2, 1]]])
    loss = head.loss_by_feat(logits, [sample_with(labels=labels)])['loss_ce']
    terms = []
    for y in range(2):
        for x in range(3):
            label = labels[0, y, x].item()
            if label == 255:
                continue
            scores = logits[0, :, y, x]
            terms.append(-(scores[label] - torch.logsumexp(scores, 0)).item())
    assert loss.item() == pytest.approx(sum(terms) / len(terms), rel=1e-5)



@pytest.mark.parametrize('loss_decode', [
    dict(type='CrossEntropyLoss', loss_weight=1.0, avg_non_ignore=True),
    [dict(type='CrossEntropyLoss', loss_weight=1.0),
     dict(type='CrossEntropyLoss', loss_weight=0.5),  # same name: summed
     dict(type='DiceLoss', loss_weight=0.3)]])
def test_seg_loss_equals_mmsegs_without_its_identity_resize(loss_decode,
                                                            monkeypatch):
    """At the labels' size the head skips mmseg's resize (an exact copy):
    losses, accuracy and gradients equal mmseg's own loss_by_feat bit for
    bit; at another size it is mmseg's path."""
    from mmseg.models.decode_heads import decode_head
    from mmseg.models.decode_heads.decode_head import BaseDecodeHead
    resized = []

    def counting_resize(input, size, **kwargs):
        resized.append(tuple(input.shape[2:]))
        return F.interpolate(input, size, **kwargs)

    monkeypatch.setattr(decode_head, 'resize', counting_resize)
    torch.manual_seed(0)
    head = MultiScaleSegHead(CHANNELS, num_classes=5,
                             loss_decode=loss_decode)
    labels = torch.randint(0, 5, (2, 1, 6, 8))
    labels[0, 0, 0, :3] = 255
    samples = [sample_with(labels=label) for label in labels]
    for size in ((6, 8), (3, 4)):
        logits = torch.randn(2, 5, *size)
        ours_in = logits.clone().requires_grad_()
        mmseg_in = logits.clone().requires_grad_()
        resized.clear()
        ours = head.loss_by_feat(ours_in, samples)
        assert resized == ([] if size == (6, 8) else [size])
        stock = BaseDecodeHead.loss_by_feat(head, mmseg_in, samples)
        assert list(ours) == list(stock)
        for key in stock:
            assert torch.equal(ours[key], stock[key]), (size, key)
        sum(v for k, v in ours.items() if k != 'acc_seg').backward()
        sum(v for k, v in stock.items() if k != 'acc_seg').backward()
        assert torch.equal(ours_in.grad, mmseg_in.grad), size

def test_depth_loss_uses_eq3_and_ignores_invalid_pixels():
    torch.manual_seed(0)
    head = DepthBinHead(CHANNELS, num_bins=4, bin_size=1.0)
    logits = torch.randn(1, 4, 2, 2)
    gt = torch.tensor([[[1.5, 2.0], [0.0, 3.0]]])
    loss = head.loss_by_feat(logits, [sample_with(depth=gt)])['loss_depth']
    depth = bin_logits_to_depth(logits, 1.0).flatten()[[0, 1, 3]]
    g = torch.log(depth) - torch.log(torch.tensor([1.5, 2.0, 3.0]))
    expected = 2 * ((g ** 2).mean() - g.mean() ** 2)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)


def test_depth_head_requires_depth_ground_truth():
    head = DepthBinHead(CHANNELS, num_bins=4)
    with pytest.raises(KeyError, match='gt_depth_map'):
        head.loss_by_feat(torch.randn(1, 4, 2, 2),
                          [sample_with(labels=torch.zeros(1, 2, 2))])


def test_depth_head_rejects_bad_arguments():
    with pytest.raises(ValueError, match='num_bins'):
        DepthBinHead(CHANNELS, num_bins=1)
    with pytest.raises(ValueError, match='bin_size'):
        DepthBinHead(CHANNELS, bin_size=0)
