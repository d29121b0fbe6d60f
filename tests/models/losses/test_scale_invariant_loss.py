"""ScaleInvariantLoss against a brute-force O(n^2) Eq. 4, and its edge cases
(lam != 1, images with no or one valid pixel, defaults, channel checks)."""
import math

import pytest
import torch

from jointdepthseg.models.losses import ScaleInvariantLoss, scale_invariant_loss


def eq4_brute_force(pred, target):
    """Eq. 4 literally: 1/n^2 sum_{i,j} ((log d_i - log d_j) - (log d*_i -
    log d*_j))^2 over valid pixels of one image, averaged over images."""
    losses = []
    for p, t in zip(pred, target):
        valid = t.flatten() > 0
        logp = [math.log(v) for v in p.flatten()[valid].tolist()]
        logt = [math.log(v) for v in t.flatten()[valid].tolist()]
        n = len(logp)
        if n == 0:
            continue
        total = 0.0
        for i in range(n):
            for j in range(n):
                total += ((logp[i] - logp[j]) - (logt[i] - logt[j])) ** 2
        losses.append(total / n ** 2)
    return sum(losses) / len(losses)


def test_equals_eq4_with_lam1_weight2():
    torch.manual_seed(0)
    pred = torch.rand(3, 1, 5, 6, dtype=torch.float64) * 6 + 0.2
    target = torch.rand(3, 1, 5, 6, dtype=torch.float64) * 6 + 0.2
    target[0, 0, :2] = 0  # holes
    target[2, 0, 3, 4] = -1
    loss = ScaleInvariantLoss(lam=1.0, loss_weight=2.0)(pred, target)
    assert loss.item() == pytest.approx(eq4_brute_force(pred, target),
                                        rel=1e-10)


def test_lam_zero_is_mean_squared_log_error():
    pred = torch.tensor([[[[1.0, 2.0], [4.0, 8.0]]]], dtype=torch.float64)
    target = torch.tensor([[[[2.0, 2.0], [2.0, 0.0]]]], dtype=torch.float64)
    g = torch.log(torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64))
    expected = (g ** 2).mean()
    assert scale_invariant_loss(pred, target, lam=0.0).item() == \
        pytest.approx(expected.item())


def test_scale_invariance():
    torch.manual_seed(1)
    pred = torch.rand(2, 1, 4, 4) + 0.5
    target = torch.rand(2, 1, 4, 4) + 0.5
    a = scale_invariant_loss(pred, target)
    b = scale_invariant_loss(pred * 3.7, target)
    assert a.item() == pytest.approx(b.item(), abs=1e-5)


def test_finite_for_zero_negative_predictions_and_empty_images():
    pred = torch.tensor([[[[0.0, -1.0], [2.0, 3.0]]],
                         [[[1.0, 1.0], [1.0, 1.0]]]], requires_grad=True)
    target = torch.tensor([[[[1.0, 2.0], [0.0, 3.0]]],
                           [[[0.0, 0.0], [0.0, 0.0]]]])  # image 2: no valid
    loss = scale_invariant_loss(pred, target)
    loss.backward()
    assert torch.isfinite(loss)
    assert torch.isfinite(pred.grad).all()
    # image 2 has no valid pixel: it contributes nothing
    assert pred.grad[1].abs().sum() == 0


def test_no_valid_pixel_at_all_gives_zero_with_graph():
    pred = torch.ones(1, 1, 2, 2, requires_grad=True)
    loss = scale_invariant_loss(pred, torch.zeros(1, 1, 2, 2))
    assert loss.item() == 0.0
    loss.backward()


def test_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match='same shape'):
        scale_invariant_loss(torch.ones(1, 1, 2, 2), torch.ones(1, 1, 2, 3))


def test_linear_time_on_a_large_image():
    pred = torch.rand(1, 1, 480, 640) + 0.1
    loss = scale_invariant_loss(pred, pred * 1.5)  # pure scale -> 0
    assert loss.item() == pytest.approx(0.0, abs=1e-6)


# ----------------------------------------------------------------------
# Edge cases of the scale-invariant loss (Eq. 4): lam != 1, images with no
# or one valid pixel, the module's defaults, and channel checks.
# ----------------------------------------------------------------------

def eigen_loss_by_hand(pred, target, lam):
    """Eigen et al.'s D(y, y*) = 1/n sum_i g_i^2 - lam/n^2 (sum_i g_i)^2,
    g_i = log y_i - log y*_i over one image's valid pixels (target > 0),
    averaged over the images that have a valid pixel (plain Python)."""
    losses = []
    for p, t in zip(pred.flatten(1).tolist(), target.flatten(1).tolist()):
        g = [math.log(pi) - math.log(ti) for pi, ti in zip(p, t) if ti > 0]
        n = len(g)
        if n == 0:
            continue
        losses.append(sum(x * x for x in g) / n - lam * sum(g) ** 2 / n ** 2)
    return sum(losses) / len(losses)


PRED = torch.tensor([[[[1.0, 2.0], [4.0, 0.5]]],
                     [[[3.0, 1.5], [2.5, 6.0]]]], dtype=torch.float64)
TARGET = torch.tensor([[[[2.0, 2.0], [3.0, 1.0]]],
                       [[[1.0, 0.0], [2.0, 4.0]]]], dtype=torch.float64)


@pytest.mark.parametrize('lam', [0.5, 0.85])
def test_lam_weights_the_squared_mean_as_in_eigen_et_al(lam):
    expected = eigen_loss_by_hand(PRED, TARGET, lam)
    assert scale_invariant_loss(PRED, TARGET, lam=lam).item() == \
        pytest.approx(expected, rel=1e-12)
    module = ScaleInvariantLoss(lam=lam, loss_weight=3.0)
    assert module(PRED, TARGET).item() == pytest.approx(3.0 * expected,
                                                        rel=1e-12)
    # lam = 1 and lam = 0.5 differ here, so lam is really used
    assert abs(expected - eigen_loss_by_hand(PRED, TARGET, 1.0)) > 1e-2


def test_module_defaults_are_lam_1_and_weight_1():
    expected = eigen_loss_by_hand(PRED, TARGET, 1.0)
    assert ScaleInvariantLoss()(PRED, TARGET).item() == \
        pytest.approx(expected, rel=1e-12)
    assert scale_invariant_loss(PRED, TARGET).item() == \
        pytest.approx(expected, rel=1e-12)


def test_image_without_valid_pixel_is_left_out_of_the_mean():
    target = TARGET.clone()
    target[1] = 0.0
    alone = scale_invariant_loss(PRED[:1], TARGET[:1], lam=0.5).item()
    assert alone > 0.05
    assert scale_invariant_loss(PRED, target, lam=0.5).item() == \
        pytest.approx(alone, rel=1e-12)


@pytest.mark.parametrize('lam', [1.0, 0.5])
def test_image_with_one_valid_pixel_counts_with_its_own_loss(lam):
    """One valid pixel: g^2 - lam * g^2, so 0 for lam = 1; the image still
    counts in the mean over images."""
    target = TARGET.clone()
    target[1] = 0.0
    target[1, 0, 1, 1] = 2.0  # g = log 6 - log 2 = log 3
    g = math.log(3.0)
    first = eigen_loss_by_hand(PRED[:1], TARGET[:1], lam)
    expected = (first + (1.0 - lam) * g * g) / 2
    assert scale_invariant_loss(PRED, target, lam=lam).item() == \
        pytest.approx(expected, rel=1e-12)
    assert eigen_loss_by_hand(PRED, target, lam) == pytest.approx(expected)


def test_rejects_two_channel_depth_even_of_the_same_shape():
    pred = torch.ones(1, 2, 3, 3)
    with pytest.raises(ValueError, match=r'\(B, 1, H, W\)'):
        scale_invariant_loss(pred, torch.ones(1, 2, 3, 3))
