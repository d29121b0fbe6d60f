"""bilinear_resize against PyTorch's own bilinear interpolation."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from jointdepthseg.models.utils import (bilinear_resize, bilinear_resize_sum,
                                       interpolation_matrix)

SIZES = [((15, 20), (120, 160)),  # the heads' 1/8 branch, up
         ((60, 80), (120, 160)),  # 1/2 branch
         ((7, 9), (29, 31)),      # odd factors
         ((120, 160), (60, 80)),  # down
         ((5, 6), (1, 1)), ((1, 1), (4, 6)), ((9, 9), (9, 9))]


@pytest.mark.parametrize('align_corners', [False, True])
@pytest.mark.parametrize('in_size,out_size', SIZES)
def test_values_and_gradients_match_interpolate(in_size, out_size,
                                                align_corners):
    generator = torch.Generator().manual_seed(0)
    maps = torch.randn(2, 3, *in_size, generator=generator,
                       dtype=torch.float64, requires_grad=True)
    expected = F.interpolate(maps, out_size, mode='bilinear',
                             align_corners=align_corners)
    actual = bilinear_resize(maps, out_size, align_corners)
    torch.testing.assert_close(actual, expected, rtol=0, atol=1e-10)
    upstream = torch.randn(expected.shape, generator=generator,
                           dtype=torch.float64)
    grad_expected, = torch.autograd.grad(expected, maps, upstream)
    grad_actual, = torch.autograd.grad(actual, maps, upstream)
    torch.testing.assert_close(grad_actual, grad_expected, rtol=0,
                               atol=1e-10)


def test_matrix_by_hand():
    """3 -> 5 pixels, align_corners False: output i samples input
    (i + 0.5) * 3 / 5 - 0.5 = -0.2 (clamped to 0), 0.4, 1.0, 1.6, 2.2
    (last pixel only)."""
    expected = torch.tensor([[1.0, 0.0, 0.0],
                             [0.6, 0.4, 0.0],
                             [0.0, 1.0, 0.0],
                             [0.0, 0.4, 0.6],
                             [0.0, 0.0, 1.0]], dtype=torch.float64)
    torch.testing.assert_close(
        interpolation_matrix(3, 5, False, torch.float64), expected)
    # align_corners: 0, 0.5, 1, 1.5, 2
    expected = torch.tensor([[1.0, 0.0, 0.0],
                             [0.5, 0.5, 0.0],
                             [0.0, 1.0, 0.0],
                             [0.0, 0.5, 0.5],
                             [0.0, 0.0, 1.0]], dtype=torch.float64)
    torch.testing.assert_close(
        interpolation_matrix(3, 5, True, torch.float64), expected)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match=r'\(B, C, H, W\)'):
        bilinear_resize(torch.zeros(3, 4, 5), (8, 10))
    with pytest.raises(ValueError, match='sizes must be >= 1'):
        interpolation_matrix(0, 4, False)


@pytest.mark.parametrize('align_corners', [False, True])
def test_resize_sum_equals_the_sum_of_interpolations(align_corners):
    """Values and gradients of every input against F.interpolate's, summed,
    in float64 (sizes as the heads' branches: 1/2, 1/4 twice, 1/8, and one
    non-integer ratio)."""
    torch.manual_seed(0)
    shapes = [(8, 10), (4, 5), (4, 5), (2, 3), (5, 7)]
    maps = [torch.randn(2, 3, *s, dtype=torch.float64, requires_grad=True)
            for s in shapes]
    size = (16, 20)
    ours = bilinear_resize_sum(maps, size, align_corners)
    ours_grads = torch.autograd.grad((ours * ours).sum(), maps)
    expected = sum(F.interpolate(x, size, mode='bilinear',
                                 align_corners=align_corners) for x in maps)
    expected_grads = torch.autograd.grad((expected * expected).sum(), maps)
    torch.testing.assert_close(ours, expected, rtol=0, atol=1e-12)
    for got, want in zip(ours_grads, expected_grads):
        torch.testing.assert_close(got, want, rtol=0, atol=1e-11)


def test_resize_sum_refuses_mismatched_maps():
    with pytest.raises(ValueError, match='no maps'):
        bilinear_resize_sum([], (4, 4))
    with pytest.raises(ValueError, match='same B and C'):
        bilinear_resize_sum([torch.zeros(1, 2, 3, 3), torch.zeros(1, 3, 3, 3)],
                            (4, 4))
    with pytest.raises(ValueError, match=r'\(B, C, H, W\)'):
        bilinear_resize_sum([torch.zeros(2, 3, 3)], (4, 4))
