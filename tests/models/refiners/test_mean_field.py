"""mean_field.py: the Potts test, the softmax and its Jacobian by hand, the
blocks, and the autograd node against autograd through a plain loop."""
import pytest
import torch

from jointdepthseg.models.refiners import mean_field
from jointdepthseg.models.refiners.exact_filter import (ExactGaussianFilter,
                                                        ExactMeanFieldPlan)
from jointdepthseg.models.refiners.mean_field import (channels_to_rows,
                                                      pixel_blocks,
                                                      potts_weight,
                                                      softmax_backward,
                                                      softmax_rows)


def test_potts_weight_recognises_a_times_j_minus_i_up_to_rounding():
    eye = torch.eye(3)
    assert potts_weight(2.5 * (1 - eye)) == 2.5
    assert potts_weight(torch.zeros(3, 3)) == 0.0
    assert potts_weight(torch.zeros(1, 1)) == 0.0
    assert potts_weight(torch.ones(1, 1)) is None
    ulp = torch.finfo(torch.float32).eps * 2.5
    rounded = 2.5 * (1 - eye)
    rounded[0, 2] += 2 * ulp     # how DenseCRF's softmax rounds
    assert potts_weight(rounded) == 2.5
    almost = 2.5 * (1 - eye)
    almost[0, 2] += 1e-4
    assert potts_weight(almost) is None
    assert potts_weight(2.5 * (1 - eye) + 0.1 * eye) is None   # diagonal
    assert potts_weight(-2.5 * (1 - eye)) == -2.5


def test_the_crf_at_its_potts_start_is_recognised():
    from jointdepthseg.models.refiners import DenseCRF
    crf = DenseCRF(21, w_appearance=10., w_depth=None, w_smooth=3.)
    weights = crf.kernel_weights()
    assert [potts_weight(crf.compatibility * weights[name])
            for name in crf.kernels] == pytest.approx([10., 3.])


@pytest.mark.parametrize('classes', [1, 3, 6, 40])
def test_softmax_and_its_jacobian_by_hand(classes):
    gen = torch.Generator().manual_seed(classes)
    logits = 30 * torch.randn(50, classes, generator=gen,
                              dtype=torch.float64)
    out = torch.empty_like(logits)
    softmax_rows(logits.clone(), out)
    exp = (logits - logits.max(1, keepdim=True).values).exp()
    torch.testing.assert_close(out, exp / exp.sum(1, keepdim=True))
    grad_q = torch.randn(50, classes, generator=gen, dtype=torch.float64)
    expected = torch.stack([torch.autograd.functional.vjp(
        lambda x: torch.softmax(x, 0), row, g)[1]
        for row, g in zip(logits, grad_q)])
    torch.testing.assert_close(
        softmax_backward(grad_q.clone(), out, torch.empty_like(out)),
        expected)


def test_pixel_blocks_tile_each_image():
    blocks = list(pixel_blocks(2, 5, 3))
    assert blocks == [(0, 0, 3, 0, 3), (0, 3, 5, 3, 5), (1, 0, 3, 5, 8),
                      (1, 3, 5, 8, 10)]
    values = torch.arange(2 * 4 * 5.).view(2, 4, 5)
    rows = channels_to_rows(values, torch.empty(10, 4))
    torch.testing.assert_close(rows, values.transpose(1, 2).reshape(10, 4))


def plain_mean_field(kernels, unary, compat, iters):
    """The iterations written with autograd-recorded torch ops:
    out = z - sum_m (K_m Q) A_m^T on (P, C) rows."""
    out = unary
    for _ in range(iters):
        q = torch.softmax(out, 1)
        out = unary - sum((k @ q) @ a.t() for k, a in zip(kernels, compat))
    return out


@pytest.mark.parametrize('normalize', ['row', 'symmetric', 'none'])
def test_the_autograd_node_is_the_plain_loop(normalize):
    gen = torch.Generator().manual_seed(2)
    feats = [torch.rand(1, 12, 2, generator=gen, dtype=torch.float64) * 3,
             torch.rand(1, 12, 3, generator=gen, dtype=torch.float64) * 2]
    filters = [ExactGaussianFilter(f, normalize) for f in feats]
    plan = ExactMeanFieldPlan(filters)
    unary = torch.randn(1, 4, 12, generator=gen, dtype=torch.float64,
                        requires_grad=True)
    compat = [torch.randn(4, 4, generator=gen, dtype=torch.float64,
                          requires_grad=True) for _ in feats]
    target = torch.randn(1, 4, 12, generator=gen, dtype=torch.float64)
    out = mean_field.mean_field(plan, unary, compat, 3)
    grads = torch.autograd.grad((out * target).sum(), [unary, *compat])
    rows = unary.transpose(1, 2).reshape(12, 4)
    expected = plain_mean_field([f.kernel[0] for f in filters], rows,
                                compat, 3)
    torch.testing.assert_close(out[0].t(), expected)
    expected_grads = torch.autograd.grad(
        (expected * target[0].t()).sum(), [unary, *compat])
    for grad, ref in zip(grads, expected_grads):
        torch.testing.assert_close(grad, ref, rtol=1e-10, atol=1e-12)


def test_num_iters_below_one_is_refused():
    with pytest.raises(ValueError, match='num_iters must be >= 1'):
        mean_field.mean_field(None, torch.zeros(1, 2, 3), [], 0)
