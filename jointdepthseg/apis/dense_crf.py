"""pydensecrf's README example in one call, on numpy arrays or torch tensors.

    from jointdepthseg.apis import dense_crf

    refined = dense_crf(image, probs)   # (H, W, 3) uint8 and (C, H, W) float
    labels = refined.argmax(0)

computes what pydensecrf's README example computes (Krähenbühl & Koltun 2011,
``DenseCRF2D`` with ``unary_from_softmax``, ``addPairwiseGaussian(sxy=3,
compat=3)``, ``addPairwiseBilateral(sxy=80, srgb=13, compat=10)`` and
``inference(5)``), with the library's :class:`DenseCRF` and nothing else: the
Gaussian kernel becomes its smoothness kernel, the bilateral kernel its
appearance kernel, the Potts weights its fixed kernel weights, and the
kernel normalisation its ``normalize='symmetric'``.  See "Moving from
pydensecrf" in docs/crf.md.
"""
from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Optional, Union

import numpy as np
import torch
from torch import Tensor

from ..models.refiners import DenseCRF

#: pydensecrf.utils.unary_from_softmax's default clip: unaries are
#: ``-log(max(p, 1e-5))``, so a zero probability costs 11.5, not infinity.
PROBABILITY_CLIP = 1e-5
#: How far a pixel's class probabilities may sum from 1.
SUM_TOLERANCE = 1e-3
FILTER_MODES = ('lattice', 'exact')

ArrayOrTensor = Union[np.ndarray, Tensor]


def _check_parameters(iterations, widths: dict, weights: dict,
                      filter_mode: str) -> None:
    if isinstance(iterations, bool) or not isinstance(iterations, Integral):
        raise TypeError('dense_crf: iterations must be an int, got '
                        f'{type(iterations).__name__}')
    if iterations < 0:
        raise ValueError(f'dense_crf: iterations must be >= 0, got '
                         f'{iterations}')
    for name, value in widths.items():
        if (isinstance(value, bool) or not isinstance(value, Real)
                or not (math.isfinite(value) and value > 0)):
            raise ValueError(f'dense_crf: {name} must be a finite number > 0 '
                             f'(a kernel width), got {value!r}')
    for name, value in weights.items():
        if value is None:
            continue
        if (isinstance(value, bool) or not isinstance(value, Real)
                or not (math.isfinite(value) and value > 0)):
            raise ValueError(f'dense_crf: {name} must be a finite number > 0 '
                             f'(the Potts weight) or None to leave the kernel '
                             f'out, got {value!r}')
    if all(value is None for value in weights.values()):
        raise ValueError('dense_crf: gaussian_compat and bilateral_compat are '
                         'both None; at least one kernel is needed')
    if filter_mode not in FILTER_MODES:
        raise ValueError(f'dense_crf: filter_mode must be one of '
                         f'{FILTER_MODES}, got {filter_mode!r}')


def _numpy_to_tensors(image: np.ndarray, probs: np.ndarray
                      ) -> tuple[Tensor, Tensor]:
    """pydensecrf's layout, (H, W, 3) uint8 and (C, H, W) float, to
    (1, 3, H, W) and (1, C, H, W) float32 tensors."""
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError('dense_crf: image must be an (H, W, 3) RGB array, '
                         f'got shape {image.shape}')
    if image.dtype != np.uint8:
        raise TypeError(f'dense_crf: image must be uint8 (0-255), got '
                        f'{image.dtype}')
    if probs.ndim != 3:
        raise ValueError('dense_crf: probs must be a (C, H, W) array, got '
                         f'shape {probs.shape}')
    if not np.issubdtype(probs.dtype, np.floating):
        raise TypeError(f'dense_crf: probs must be a float array, got '
                        f'{probs.dtype}')
    if probs.shape[1:] != image.shape[:2]:
        raise ValueError(f'dense_crf: probs is (C, H, W) = {probs.shape} but '
                         f'image is (H, W, 3) = {image.shape}; H and W must '
                         'match')
    image_t = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)
    probs_t = torch.from_numpy(np.ascontiguousarray(probs, np.float32))
    return image_t[None].float(), probs_t[None]


def _check_tensors(image: Tensor, probs: Tensor) -> None:
    if probs.dim() != 4:
        raise ValueError('dense_crf: probs must be a (B, C, H, W) tensor, got '
                         f'shape {tuple(probs.shape)}')
    if not probs.is_floating_point():
        raise TypeError(f'dense_crf: probs must be a float tensor, got '
                        f'{probs.dtype}')
    num, _, height, width = probs.shape
    if tuple(image.shape) != (num, 3, height, width):
        raise ValueError('dense_crf: image must be (B, 3, H, W) = '
                         f'{(num, 3, height, width)} like probs, got '
                         f'{tuple(image.shape)}')
    if not (image.is_floating_point() or image.dtype == torch.uint8):
        raise TypeError(f'dense_crf: image must be uint8 or float (0-255), '
                        f'got {image.dtype}')
    if image.device != probs.device:
        raise ValueError(f'dense_crf: image is on {image.device}, probs on '
                         f'{probs.device}; put both on one device')


def _check_values(image: Tensor, probs: Tensor) -> None:
    """Image in 0-255, probabilities in [0, 1] summing to 1 per pixel."""
    if image.numel() == 0 or probs.numel() == 0:
        return
    if image.is_floating_point():
        if not bool(torch.isfinite(image).all()):
            raise ValueError('dense_crf: image contains NaN or infinite '
                             'values')
        low, high = float(image.min()), float(image.max())
        if low < 0 or high > 255:
            raise ValueError(f'dense_crf: image must be RGB in 0-255, got '
                             f'values in [{low:g}, {high:g}]')
    if not bool(torch.isfinite(probs).all()):
        raise ValueError('dense_crf: probs contains NaN or infinite values')
    low, high = float(probs.min()), float(probs.max())
    if low < 0 or high > 1:
        raise ValueError(f'dense_crf: probs must be probabilities in [0, 1] '
                         f'(a softmax output), got values in [{low:g}, '
                         f'{high:g}]')
    # bfloat16 stores each probability only to within 0.4 %
    tolerance = max(SUM_TOLERANCE, torch.finfo(probs.dtype).eps)
    sums = probs.sum(1, dtype=torch.float64).flatten()
    worst = float(sums[(sums - 1).abs().argmax()])
    if abs(worst - 1) > tolerance:
        raise ValueError(f'dense_crf: probs must sum to 1 over the classes '
                         f'(dimension C) within {tolerance:g}, a pixel '
                         f'sums to {worst:.6g}')


def dense_crf(image: ArrayOrTensor, probs: ArrayOrTensor, *,
              iterations: int = 5, gaussian_sxy: float = 3.,
              gaussian_compat: Optional[float] = 3.,
              bilateral_sxy: float = 80., bilateral_srgb: float = 13.,
              bilateral_compat: Optional[float] = 10.,
              filter_mode: str = 'lattice') -> ArrayOrTensor:
    """Refine class probabilities with a fully connected CRF, as pydensecrf.

    The CRF of pydensecrf's README example: unaries ``-log(max(p, 1e-5))``
    (``unary_from_softmax``), a Gaussian kernel
    ``exp(-|p_i - p_j|^2 / 2 gaussian_sxy^2)`` with Potts weight
    ``gaussian_compat``, a bilateral kernel
    ``exp(-|p_i - p_j|^2 / 2 bilateral_sxy^2 - |I_i - I_j|^2 / 2
    bilateral_srgb^2)`` with Potts weight ``bilateral_compat``, both
    normalised symmetrically (``D^-1/2 K D^-1/2`` with ``D = K 1``,
    ``j = i`` included), and ``iterations`` mean-field updates from
    ``Q = softmax(-unary)``.  Positions ``p`` are in pixels, colours ``I``
    in RGB levels (0-255).  The kernels are filtered with the permutohedral
    lattice like pydensecrf's (``filter_mode='exact'`` forms them exactly,
    for tiny images only); measured agreement with pydensecrf: docs/crf.md.

    Runs :class:`~jointdepthseg.models.refiners.DenseCRF` with fixed
    weights (appearance kernel = bilateral, smoothness kernel = Gaussian, no
    depth kernel), on the inputs' device, differentiable with respect to
    ``probs`` when they are tensors.

    Args:
        image (np.ndarray | Tensor): an (H, W, 3) uint8 RGB array, as
            pydensecrf takes it, or a (B, 3, H, W) RGB tensor, uint8 or float
            in 0-255.
        probs (np.ndarray | Tensor): class probabilities (e.g. a softmax
            output), (C, H, W) float array or (B, C, H, W) float tensor on
            ``image``'s device; every value in [0, 1] and every pixel's sum
            over C within 1e-3 of 1 (within 2^-7 for bfloat16).
        iterations (int): mean-field iterations (pydensecrf's
            ``inference(n)``); 0 returns the clipped, renormalised ``probs``.
        gaussian_sxy (float): width of the Gaussian kernel, pixels.
        gaussian_compat (float | None): its Potts weight (> 0); None leaves
            the kernel out (no ``addPairwiseGaussian``).
        bilateral_sxy (float): position width of the bilateral kernel,
            pixels.
        bilateral_srgb (float): its colour width, RGB levels (0-255).
        bilateral_compat (float | None): its Potts weight (> 0); None leaves
            the kernel out (no ``addPairwiseBilateral``).
        filter_mode (str): 'lattice' (permutohedral lattice, any size) or
            'exact' (O((H W)^2) per image, tiny inputs and tests).

    Returns:
        np.ndarray | Tensor: the refined probabilities Q, shaped like
        ``probs``: a (C, H, W) float32 array for arrays (pydensecrf's
        ``np.array(Q).reshape(C, H, W)``), a (B, C, H, W) tensor of
        ``probs``' dtype on its device for tensors (computed in at least
        float32).

    Raises:
        TypeError: wrong input types or dtypes (arrays mixed with tensors).
        ValueError: wrong shapes or values, naming the argument.
    """
    widths = dict(gaussian_sxy=gaussian_sxy, bilateral_sxy=bilateral_sxy,
                  bilateral_srgb=bilateral_srgb)
    weights = dict(gaussian_compat=gaussian_compat,
                   bilateral_compat=bilateral_compat)
    _check_parameters(iterations, widths, weights, filter_mode)
    from_numpy = isinstance(image, np.ndarray)
    if from_numpy != isinstance(probs, np.ndarray) or not (
            from_numpy or isinstance(image, Tensor)
            and isinstance(probs, Tensor)):
        raise TypeError('dense_crf: image and probs must be both numpy arrays '
                        'or both torch tensors, got '
                        f'{type(image).__name__} and {type(probs).__name__}')
    if from_numpy:
        image_t, probs_t = _numpy_to_tensors(image, probs)
    else:
        _check_tensors(image, probs)
        image_t, probs_t = image, probs
    num_classes = probs_t.shape[1]
    if num_classes < 1:
        raise ValueError('dense_crf: probs has C = 0 classes; at least 1 is '
                         'needed')
    _check_values(image_t.detach(), probs_t.detach())
    dtype = torch.promote_types(probs_t.dtype, torch.float32)
    crf = DenseCRF(num_classes, num_iters=iterations,
                   theta_alpha=bilateral_sxy, theta_beta=bilateral_srgb,
                   theta_tau=gaussian_sxy, w_appearance=bilateral_compat,
                   w_depth=None, w_smooth=gaussian_compat,
                   normalize='symmetric', learnable=False,
                   filter_mode=filter_mode).to(probs_t.device)
    unary_logits = torch.log(probs_t.to(dtype).clamp(PROBABILITY_CLIP, 1.0))
    # The permutohedral lattice is not invariant to the order of the feature
    # coordinates: DenseCRF orders positions (row, column), pydensecrf (x, y).
    # With H and W swapped, DenseCRF's lattice approximates the kernels as
    # pydensecrf's does (labels agree on 98.6-99.5 % of the pixels of
    # benchmarks/crf_agreement.py without the swap, 100 % with it).
    refined = crf(swap_height_width(unary_logits),
                  swap_height_width(image_t.to(dtype)))
    refined = swap_height_width(torch.softmax(refined, 1))
    if from_numpy:
        return refined[0].detach().numpy().astype(np.float32, copy=False)
    return refined.to(probs_t.dtype)


def swap_height_width(tensor: Tensor) -> Tensor:
    """(B, K, H, W) -> contiguous (B, K, W, H)."""
    return tensor.transpose(2, 3).contiguous()
