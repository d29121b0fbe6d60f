"""Eq. 1 term by term, and the unit of the depth the CRF reads.

``JointDepthSegmentor.loss`` must return ``lambda * L_sem`` (Eq. 2),
``L_depth`` (Eq. 4, no lambda) and ``lambda * w_crf * L_crf`` (the refined
logits' cross entropy).  Each term is checked by value against a hand
computation from the network's own outputs: the cross entropies with numpy
over the labelled pixels of the unpadded image, Eq. 4 by brute force over all
pixel pairs, Eq. 3's depth by hand.  lambda = 0.5 and w_crf = 0.7 differ, so
a weight dropped, doubled or put on the wrong term changes some value.

The CRF reads the estimated depth in metres: a stand-in refiner records it,
and a real DenseCRF (whose depth kernel width is in metres) gives another
answer on the same depth in millimetres.
"""
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from torch import nn

import jointdepthseg  # noqa: F401  (registers the components)
from jointdepthseg.models.refiners import DenseCRF
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from tests.helpers.tiny_models import tiny_segmentor_cfg

LAMBDA = 0.5          # tiny_segmentor_cfg's sem_loss_weight
CRF_WEIGHT = 0.7      # refiner_loss_weight
NUM_CLASSES = 6
SIZE = (20, 28)       # images; the preprocessor pads them to 32 x 32
BIN_SIZE = 0.14       # metres, tiny_segmentor_cfg's depth head
NUM_BINS = 50


@MODELS.register_module(name='_DepthSlopeRefiner', force=True)
class _DepthSlopeRefiner(nn.Module):
    """Stand-in CRF: ``1.5 * z - slope_c * depth``, and records its inputs.

    The depth term shifts each class's logit by a different amount per
    metre, so the refined cross entropy depends on the depth's unit.
    """

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(1.5))
        self.register_buffer('slope',
                             torch.linspace(-0.6, 0.6, NUM_CLASSES))
        self.calls = []

    def forward(self, logits, image, depth=None):
        self.calls.append((image.detach().clone(), depth))
        return logits * self.scale - self.slope.view(1, -1, 1, 1) * depth


def make_batch(seed=0):
    """Two images with some unlabelled pixels (255) and depth holes (0)."""
    gen = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for index in range(2):
        inputs.append(torch.randint(0, 255, (3, *SIZE), generator=gen,
                                    dtype=torch.uint8))
        labels = torch.randint(0, NUM_CLASSES, (1, *SIZE), generator=gen)
        labels[0, index:index + 3, 2:9] = 255
        depth = torch.rand(1, *SIZE, generator=gen) * 5 + 0.5
        depth[0, 5:8, index:index + 4] = 0.0
        sample = SegDataSample(metainfo=dict(img_shape=SIZE, ori_shape=SIZE))
        sample.gt_sem_seg = PixelData(data=labels)
        sample.gt_depth_map = PixelData(data=depth)
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def build_model(refiner):
    """The tiny joint model with heads scaled up so that its logits and
    depths vary over the image (their default init is nearly constant)."""
    cfg = tiny_segmentor_cfg(num_classes=NUM_CLASSES, refiner=refiner)
    cfg['refiner_loss_weight'] = CRF_WEIGHT
    model = MODELS.build(cfg)
    torch.manual_seed(0)
    model.init_weights()
    with torch.no_grad():
        for head in (model.decode_head, model.depth_head):
            for param in head.parameters():
                param.mul_(40.0)
    return model


def cross_entropy_by_hand(logits, labels):
    """Mean of -log softmax over pixels with a label (255 = none).

    Args:
        logits: (B, C, H, W) array; labels: (B, H, W) int array.
    """
    logits = logits.astype(np.float64)
    shifted = logits - logits.max(1, keepdims=True)
    log_prob = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    total, count = 0.0, 0
    for b, row, col in zip(*np.nonzero(labels != 255)):
        total -= log_prob[b, labels[b, row, col], row, col]
        count += 1
    return total / count


def eq4_by_brute_force(pred, target):
    """Eq. 4 over all pairs of valid pixels, averaged over the images.

    Args:
        pred, target: (B, H, W) arrays, metres; target <= 0 is invalid.
    """
    per_image = []
    for p, t in zip(pred.astype(np.float64), target.astype(np.float64)):
        valid = t > 0
        logp, logt = np.log(p[valid]), np.log(t[valid])
        diff = (logp[:, None] - logp[None]) - (logt[:, None] - logt[None])
        per_image.append((diff**2).sum() / valid.sum()**2)
    return float(np.mean(per_image))


def depth_by_hand(bin_logits):
    """Eq. 3: sum_b b * l * softmax_b, (B, Nd, H, W) -> (B, H, W) metres."""
    logits = bin_logits.astype(np.float64)
    prob = np.exp(logits - logits.max(1, keepdims=True))
    prob /= prob.sum(1, keepdims=True)
    centres = np.arange(1, NUM_BINS + 1) * BIN_SIZE
    return np.einsum('bnhw,n->bhw', prob, centres)


def network_outputs(model, inputs):
    """The heads' raw outputs (not the segmentor's own pipeline)."""
    with torch.no_grad():
        feats = model.extract_feat(inputs)
        seg = model.decode_head(feats)
        bins = model.depth_head(feats)
    assert seg.shape[2:] == inputs.shape[2:] == bins.shape[2:]
    return seg.numpy(), bins.numpy()


def test_every_loss_term_has_its_weight():
    model = build_model(dict(type='_DepthSlopeRefiner'))
    batch = make_batch()
    data = model.data_preprocessor(batch, training=True)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert {k for k in losses if 'loss' in k} == {
        'decode.loss_ce', 'depth.loss_depth', 'crf.loss_ce'}

    seg, bins = network_outputs(model, data['inputs'])
    height, width = SIZE   # the unpadded top-left part of the input
    seg, bins = seg[:, :, :height, :width], bins[:, :, :height, :width]
    labels = np.stack([s.gt_sem_seg.data[0].numpy()
                       for s in batch['data_samples']])
    target = np.stack([s.gt_depth_map.data[0].numpy()
                       for s in batch['data_samples']])
    depth = depth_by_hand(bins)
    assert depth.std() > 0.3, 'the depth varies over the image'
    refined = 1.5 * seg - np.linspace(-0.6, 0.6, NUM_CLASSES)[
        None, :, None, None] * depth[:, None]

    sem = cross_entropy_by_hand(seg, labels)
    eq4 = eq4_by_brute_force(depth, target)
    crf = cross_entropy_by_hand(refined, labels)
    assert abs(crf - sem) > 0.1 * sem  # the terms are told apart
    assert losses['decode.loss_ce'].item() == pytest.approx(LAMBDA * sem,
                                                            rel=1e-4)
    assert losses['depth.loss_depth'].item() == pytest.approx(eq4, rel=1e-4)
    assert losses['crf.loss_ce'].item() == pytest.approx(
        LAMBDA * CRF_WEIGHT * crf, rel=1e-4)
    total, _ = model.parse_losses(losses)
    assert total.item() == pytest.approx(
        LAMBDA * sem + eq4 + LAMBDA * CRF_WEIGHT * crf, rel=1e-4)


def test_the_crf_reads_the_estimated_depth_in_metres():
    model = build_model(dict(type='_DepthSlopeRefiner'))
    data = model.data_preprocessor(make_batch(), training=True)
    model.loss(data['inputs'], data['data_samples'])
    _, recorded = model.refiner.calls[-1]
    _, bins = network_outputs(model, data['inputs'])
    expected = depth_by_hand(bins)
    assert recorded.shape == (2, 1, 32, 32) and not recorded.requires_grad
    np.testing.assert_allclose(recorded[:, 0].numpy(), expected, rtol=1e-5)
    assert BIN_SIZE - 1e-6 <= recorded.min() <= recorded.max() <= \
        NUM_BINS * BIN_SIZE + 1e-6


def test_a_real_crf_answers_differently_in_millimetres():
    crf = dict(type='DenseCRF', num_classes=NUM_CLASSES, num_iters=3,
               theta_alpha=4., theta_beta=40., theta_gamma=10.,
               theta_zeta=1.0, theta_tau=2., w_appearance=1.,
               w_depth=10., w_smooth=1.)
    model = build_model(crf)
    model.eval()
    data = model.data_preprocessor(make_batch(), training=False)
    inputs = data['inputs']
    with torch.no_grad():
        refined, depth = model._forward(inputs, data['data_samples'])
        seg, bins = network_outputs(model, inputs)
        metres = torch.from_numpy(depth_by_hand(bins)).float()[:, None]
        image = model.image_rgb_0_255(inputs)
        reference = DenseCRF(**{k: v for k, v in crf.items()
                                if k != 'type'})
        in_metres = reference(torch.from_numpy(seg), image, metres)
        in_mm = reference(torch.from_numpy(seg), image, metres * 1000)
    torch.testing.assert_close(depth, metres, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(refined, in_metres, rtol=1e-4, atol=1e-4)
    # measured: 32 % of the labels differ (in millimetres every pixel is
    # alone in the depth kernel, and the CRF keeps 97 % of the unaries)
    changed = (in_mm.argmax(1) != in_metres.argmax(1)).float().mean()
    assert changed > 0.15, 'the depth unit changes the labels'
