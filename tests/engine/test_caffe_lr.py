"""The paper's Caffe hyper-parameters translated to mean losses: the
arithmetic against hand computations and a simulated Caffe solver, and the
NYU configs against the arithmetic."""
import itertools
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

from jointdepthseg.engine import caffe_lr

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
N = caffe_lr.NYU_CROP_IMAGE_PIXELS


def test_pixel_counts_by_hand():
    assert caffe_lr.NYU_CROP_IMAGE_PIXELS == 246240  # 480 * 513
    assert caffe_lr.PAPER_CROP_PIXELS == 263169      # 513 * 513


def test_learning_rate_by_hand():
    # 1e-10 * 246240 = 2.4624e-5; * (1 - 0.9) / (1 - 0.99) = * 10
    assert caffe_lr.caffe_lr_for_mean_loss(1e-10, 246240, 0.99, 0.9) == \
        pytest.approx(2.4624e-4, rel=1e-12)
    # same momentum: only the pixel count; stage 3's network and CRF
    assert caffe_lr.caffe_lr_for_mean_loss(1e-10, 1000, 0.9, 0.9) == \
        pytest.approx(1e-7, rel=1e-12)
    assert caffe_lr.caffe_lr_for_mean_loss(1e-16, 246240, 0.99, 0.9) == \
        pytest.approx(2.4624e-10, rel=1e-12)
    assert caffe_lr.caffe_lr_for_mean_loss(1e-13, 246240, 0.99, 0.9) == \
        pytest.approx(2.4624e-7, rel=1e-12)


def test_weight_decay_and_lambda_by_hand():
    assert caffe_lr.caffe_weight_decay_for_mean_loss(5e-4, 246240) == \
        pytest.approx(2.0305393e-9, rel=1e-6)
    assert caffe_lr.caffe_loss_weight_for_mean_loss(1e-6, 246240) == \
        pytest.approx(0.24624, rel=1e-12)


@pytest.mark.parametrize('bad', [
    dict(caffe_momentum=1.0), dict(momentum=-0.1), dict(pixels_per_loss=0)])
def test_bad_arguments_are_refused(bad):
    args = dict(caffe_lr=1e-10, pixels_per_loss=N, caffe_momentum=0.99,
                momentum=0.9)
    args.update(bad)
    with pytest.raises(ValueError, match=list(bad)[0]):
        caffe_lr.caffe_lr_for_mean_loss(**args)


def test_torch_sgd_takes_the_steps_of_a_caffe_solver_on_the_summed_loss():
    """Caffe's update written out (v = m_c v + lr_c (grad_sum + wd w),
    w -= v) on a loss summed over N pixels, against torch.optim.SGD with the
    translated lr and weight decay on the mean loss: the same path (up to
    the momenta's short transients). Every pixel has the loss
    (w - t)^2 / 2, so grad_sum = N (w - t); the decay is large enough to
    move the minimum to N t / (N + wd_c)."""
    pixels, lr_c, wd_c, m_c, m = 5000, 5e-10, 500., 0.99, 0.9
    lr = caffe_lr.caffe_lr_for_mean_loss(lr_c, pixels, m_c, m)
    wd = caffe_lr.caffe_weight_decay_for_mean_loss(wd_c, pixels)
    target, steps = 3.0, 8000
    w_caffe, v = 0.0, 0.0
    w_torch = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    sgd = torch.optim.SGD([w_torch], lr=lr, momentum=m, weight_decay=wd)
    caffe_path, torch_path = np.empty(steps), np.empty(steps)
    for step in range(steps):
        grad_sum = pixels * (w_caffe - target)
        v = m_c * v + lr_c * (grad_sum + wd_c * w_caffe)
        w_caffe -= v
        sgd.zero_grad()
        (0.5 * (w_torch - target)**2).sum().backward()
        sgd.step()
        caffe_path[step], torch_path[step] = w_caffe, w_torch.item()
    # Caffe's effective step is 5e-10 * (5000 + 500) / 0.01 = 2.75e-4 per
    # unit of error: after 8000 steps the error is exp(-2.2) of the start
    w_star = pixels * target / (pixels + wd_c)
    assert w_star - caffe_path[-1] == pytest.approx(w_star * np.exp(-2.2),
                                                    rel=0.05)
    assert np.abs(caffe_path - torch_path).max() < 0.1  # of 2.7
    # the old translation (lr = lr_c * N / (1 - m_c)) is ten times faster
    old = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    sgd = torch.optim.SGD([old], lr=lr_c * pixels / (1 - m_c), momentum=m,
                          weight_decay=wd)
    for _ in range(steps // 10):
        sgd.zero_grad()
        (0.5 * (old - target)**2).sum().backward()
        sgd.step()
    assert old.item() == pytest.approx(torch_path[-1], abs=0.03)


def test_mean_labelled_pixels_per_crop_against_every_crop():
    rng = np.random.default_rng(0)
    maps = [rng.integers(0, 3, (7, 11)).astype(np.uint8) for _ in range(3)]
    for labels in maps:
        labels[labels == 2] = 255
    crop = (5, 8)
    brute = []
    for labels in maps:
        counts = [
            int((labels[top:top + 5, left:left + 8] != 255).sum())
            for top, left in itertools.product(range(3), range(4))]
        brute.append(np.mean(counts))
    assert caffe_lr.mean_labelled_pixels_per_crop(maps, crop) == \
        pytest.approx(np.mean(brute), rel=1e-12)
    # a crop larger than the image takes the whole image (RandomCrop)
    whole = caffe_lr.mean_labelled_pixels_per_crop(maps, (513, 513))
    assert whole == pytest.approx(np.mean([(m != 255).sum() for m in maps]))
    # a fully labelled 480x640 frame: exactly 480 * 513 per 513x513 crop
    full = np.zeros((480, 640), np.uint8)
    assert caffe_lr.mean_labelled_pixels_per_crop([full]) == \
        pytest.approx(246240)


def load(name):
    return Config.fromfile(osp.join(ROOT, 'configs', 'nyu', name))


NETWORK_CONFIGS = ['stage1_sem.py', 'stage2_joint.py']
STAGE3_CONFIGS = ['stage3_crf.py', 'stage3_crf_nodepth.py',
                  'stage3_crf_rgbd.py']


@pytest.mark.parametrize('name', NETWORK_CONFIGS + STAGE3_CONFIGS)
def test_nyu_configs_use_the_translated_paper_settings(name):
    cfg = load(name)
    optimizer = cfg.optim_wrapper.optimizer
    if name in STAGE3_CONFIGS:
        # the network keeps the paper's 1e-16 translated with our SGD
        # momentum 0.9 (practically frozen); the CRF trains with AdamW at
        # 1e-3 (configs/nyu/stage3_crf.py says why SGD cannot train it)
        assert optimizer.type == 'AdamW'
        assert optimizer.lr == pytest.approx(caffe_lr.caffe_lr_for_mean_loss(
            caffe_lr.PAPER_STAGE3_NETWORK_LR, N, caffe_lr.PAPER_MOMENTUM,
            0.9), rel=5e-3)
        refiner = cfg.optim_wrapper.paramwise_cfg.custom_keys['refiner']
        assert optimizer.lr * refiner.lr_mult == pytest.approx(1e-3)
        assert refiner.decay_mult == 0.
    else:
        assert optimizer.type == 'SGD'
        expected = caffe_lr.caffe_lr_for_mean_loss(
            caffe_lr.PAPER_LR, N, caffe_lr.PAPER_MOMENTUM, optimizer.momentum)
        assert optimizer.lr == pytest.approx(expected, rel=5e-3)
        assert optimizer.weight_decay == pytest.approx(
            caffe_lr.caffe_weight_decay_for_mean_loss(
                caffe_lr.PAPER_WEIGHT_DECAY, N), rel=5e-3)
    if cfg.model.depth_head is not None:  # Eq. 1's lambda (stages 2, 3)
        assert cfg.model.sem_loss_weight == pytest.approx(
            caffe_lr.caffe_loss_weight_for_mean_loss(caffe_lr.PAPER_LAMBDA,
                                                     N), rel=5e-3)
    # the poly schedule only decays: its floor is below the base rate
    for scheduler in cfg.param_scheduler:
        assert scheduler.eta_min <= optimizer.lr
