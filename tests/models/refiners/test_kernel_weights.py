"""The CRF's kernel-weight parametrisation (kernel_weights.py): w(m) shares a
fixed per-pair total, mu carries the pair's strength; old checkpoints load
exactly; and on a toy where only depth separates a pair, training raises
that pair's w(2) and lowers its w(1)."""
import math

import pytest
import torch
import torch.nn.functional as F

from jointdepthseg.models.refiners import DenseCRF
from jointdepthseg.models.refiners.kernel_weights import (
    kernel_weights_from_logits, logits_from_kernel_weights)
from tests.helpers.toy_scenes import (NUM_CLASSES, PILLOW,
                                                      SOFA, WALL,
                                                      depth_only_scene)

from tests.helpers.crf_scenes import structured_scene

TOY_THETAS = dict(theta_alpha=20., theta_beta=10., theta_gamma=8.,
                  theta_zeta=0.2, theta_tau=2.)


def test_weights_are_the_total_times_a_softmax_over_kernels():
    logits = [torch.randn(4, 4) for _ in range(3)]
    weights = kernel_weights_from_logits(logits, 14.)
    for i in range(4):
        for j in range(4):
            exps = [float(torch.exp(s[i, j])) for s in logits]
            for m in range(3):
                assert float(weights[m][i, j]) == pytest.approx(
                    14. * exps[m] / sum(exps), rel=1e-6)


def test_the_crf_starts_at_the_paper_values_and_rejects_non_positive_ones():
    crf = DenseCRF(4, w_appearance=7., w_depth=4., w_smooth=3.)
    weights = crf.kernel_weights()
    for name, value in (('appearance', 7.), ('depth', 4.), ('smooth', 3.)):
        assert torch.allclose(weights[name], torch.full((4, 4), value))
    assert float(crf.weight_total) == 14.
    with pytest.raises(ValueError, match='must be > 0'):
        DenseCRF(4, w_depth=0.)


def test_logit_gradients_carry_only_what_differs_between_kernels():
    """dL/ds_m = w_m * (g_m - sum_k p_k g_k), g_m = dL/dw_m (chain rule of
    the softmax, written out); a gradient equal for all kernels reaches no
    logit."""
    logits = [torch.randn(3, 3, dtype=torch.float64, requires_grad=True)
              for _ in range(3)]
    g = torch.randn(3, 3, 3, dtype=torch.float64)
    weights = kernel_weights_from_logits(logits, 10.)
    sum((w * gm).sum() for w, gm in zip(weights, g)).backward()
    w = torch.stack([x.detach() for x in weights])
    p = w / 10.
    expected = w * (g - (p * g).sum(0))
    for m in range(3):
        assert torch.allclose(logits[m].grad, expected[m])
    for logit in logits:
        logit.grad = None
    weights = kernel_weights_from_logits(logits, 10.)
    sum((wm * g[0]).sum() for wm in weights).backward()
    assert all(float(s.grad.abs().max()) < 1e-12 for s in logits)


def test_old_checkpoints_with_free_weights_give_the_same_crf():
    image, depth, logits, _ = structured_scene(6, 7, classes=4, seed=3)
    gen = torch.Generator().manual_seed(0)
    mu = torch.randn(4, 4, generator=gen)
    free = [1. + 6. * torch.rand(4, 4, generator=gen) for _ in range(3)]
    old_state = {'compatibility': mu, 'weight_appearance': free[0],
                 'weight_depth': free[1], 'weight_smooth': free[2]}
    crf = DenseCRF(4, filter_mode='exact', theta_alpha=5., theta_beta=20.,
                   theta_gamma=5., theta_zeta=0.3, theta_tau=2.)
    crf.load_state_dict(old_state)
    weights = crf.kernel_weights()
    for name, old in zip(('appearance', 'depth', 'smooth'), free):
        assert torch.allclose(crf.compatibility * weights[name], mu * old,
                              atol=1e-5)
    with pytest.raises(ValueError, match='> 0'):
        logits_from_kernel_weights(mu, [-f for f in free], 14.)


def train_toy_crf(steps=60, lr=0.05, seed=0):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    crf = DenseCRF(NUM_CLASSES, num_iters=3, filter_mode='exact',
                   **TOY_THETAS)
    optimizer = torch.optim.Adam(crf.parameters(), lr=lr)
    for _ in range(steps):
        image, depth, unary, labels = depth_only_scene(16, 20, generator=gen)
        optimizer.zero_grad()
        F.cross_entropy(crf(unary, image, depth), labels).backward()
        optimizer.step()
    return crf


def test_only_depth_separates_pillow_and_sofa_so_their_depth_weight_rises():
    crf = train_toy_crf()
    weights = {k: v.detach() for k, v in crf.kernel_weights().items()}
    for a, b in ((PILLOW, SOFA), (SOFA, PILLOW)):
        assert weights['depth'][a, b] > 4. * 1.5   # w(2) rose from 4
        assert weights['appearance'][a, b] < 7. / 1.5  # w(1) fell from 7
    # wall and sofa differ only in colour: there appearance keeps its share
    share = weights['depth'] / crf.weight_total
    for a, b in ((WALL, SOFA), (SOFA, WALL)):
        assert share[a, b] < 4. / 14.
        assert share[PILLOW, SOFA] > share[a, b] + 0.3


# ----------------------------------------------------------------------
# Old checkpoints' free CRF weights -> (mu, logits) of kernel_weights.py:
# weights below 1 convert exactly, a zero or negative weight is refused
# (its logit would be -inf). Expected values by hand.
# ----------------------------------------------------------------------

MU = [[0.0, 1.5], [-2.0, 0.25]]
FREE = [[[0.2, 0.5], [0.9, 0.3]],    # w(1), all below 1
        [[0.4, 0.05], [0.6, 0.7]],   # w(2)
        [[0.1, 0.25], [0.3, 0.95]]]  # w(3)


def test_weights_below_one_convert_by_hand():
    mu, logits = logits_from_kernel_weights(
        torch.tensor(MU, dtype=torch.float64),
        [torch.tensor(w, dtype=torch.float64) for w in FREE], 14.0)
    for i in range(2):
        for j in range(2):
            pair_sum = sum(w[i][j] for w in FREE)
            assert mu[i, j].item() == pytest.approx(
                MU[i][j] * pair_sum / 14.0, rel=1e-12, abs=1e-15)
            for m in range(3):
                assert logits[m][i, j].item() == pytest.approx(
                    math.log(FREE[m][i][j]), rel=1e-12)


def test_a_crf_loaded_from_weights_below_one_keeps_every_product():
    crf = DenseCRF(2, filter_mode='exact')
    crf.load_state_dict({
        'compatibility': torch.tensor(MU),
        'weight_appearance': torch.tensor(FREE[0]),
        'weight_depth': torch.tensor(FREE[1]),
        'weight_smooth': torch.tensor(FREE[2])})
    weights = crf.kernel_weights()
    for m, name in enumerate(('appearance', 'depth', 'smooth')):
        product = (crf.compatibility * weights[name]).detach()
        for i in range(2):
            for j in range(2):
                assert product[i, j].item() == pytest.approx(
                    MU[i][j] * FREE[m][i][j], rel=1e-5, abs=1e-7)


@pytest.mark.parametrize('bad', [0.0, -0.5])
def test_zero_or_negative_free_weight_is_refused(bad):
    free = [torch.tensor(w) for w in FREE]
    free[1][0, 1] = bad
    with pytest.raises(ValueError, match='must all be > 0'):
        logits_from_kernel_weights(torch.tensor(MU), free, 14.0)
