"""dense_crf against pydensecrf's mean field written out by brute force.

The reference below follows pydensecrf's semantics (lucasb-eyer/pydensecrf:
``unary_from_softmax``, ``DenseCRF2D.addPairwiseGaussian`` /
``addPairwiseBilateral`` with ``PottsCompatibility`` and
``NORMALIZE_SYMMETRIC``, ``DenseCRF::inference``) in float64 numpy with
explicit N x N kernels, and in pydensecrf's own form of the Potts term (an
attraction ``+ w K Q`` to the same label) rather than our ``mu = 1 - I``
(a repulsion from the other labels), so it shares no code and no formula
layout with the library.  It also stands in for pydensecrf when the
snippets of docs/crf.md run, so no test needs pydensecrf installed.
"""
import math
import re
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch

from jointdepthseg.apis import dense_crf

DOC = Path(__file__).resolve().parents[2] / 'docs' / 'crf.md'
# Kernel widths that matter on a 7x9 image (pydensecrf's 3 and 80 pixels
# would make the bilateral kernel's position term flat there).
TINY = dict(gaussian_sxy=1.5, gaussian_compat=3., bilateral_sxy=4.,
            bilateral_srgb=25., bilateral_compat=10.)


def softmax_over_classes(energy):
    """(C, N) -> (C, N) softmax over axis 0, as ``expAndNormalize``."""
    shifted = np.exp(energy - energy.max(0))
    return shifted / shifted.sum(0)


def pydensecrf_mean_field(image, probs, iterations=5, gaussian_sxy=3.,
                          gaussian_compat=3., bilateral_sxy=80.,
                          bilateral_srgb=13., bilateral_compat=10.):
    """pydensecrf's README example, brute force (float64).

    Args:
        image: (H, W, 3) uint8 RGB.
        probs: (C, H, W) probabilities.

    Returns:
        (C, H, W) float64 Q after ``iterations`` updates.
    """
    classes, height, width = probs.shape
    rows, cols = np.mgrid[0:height, 0:width]
    # pydensecrf's features: x = column, y = row, then r, g, b
    position = np.stack([cols.ravel(), rows.ravel()], 1).astype(np.float64)
    colour = image.reshape(-1, 3).astype(np.float64)
    kernels = []
    if gaussian_compat is not None:
        kernels.append((gaussian_compat, position / gaussian_sxy))
    if bilateral_compat is not None:
        kernels.append((bilateral_compat, np.concatenate(
            [position / bilateral_sxy, colour / bilateral_srgb], 1)))
    normalised = []
    for weight, features in kernels:
        dist2 = sum((column[:, None] - column[None, :]) ** 2
                    for column in features.T)
        kernel = np.exp(-0.5 * dist2)                      # (N, N), j = i kept
        norm = 1.0 / np.sqrt(kernel.sum(1))                # D^-1/2
        normalised.append((weight, norm[:, None] * kernel * norm[None, :]))
    unary = -np.log(np.clip(probs.reshape(classes, -1).astype(np.float64),
                            1e-5, 1.0))                    # (C, N)
    q = softmax_over_classes(-unary)
    for _ in range(iterations):
        energy = -unary
        for weight, kernel in normalised:
            # PottsCompatibility: message -w * KQ, subtracted from energy
            energy = energy + weight * (q @ kernel.T)
        q = softmax_over_classes(energy)
    return q.reshape(classes, height, width)


def tiny_scene(seed=0, height=7, width=9, classes=4):
    """Two colour regions with noise; unaries that disagree with the image
    in places and give some class exactly zero probability.

    Returns:
        (image (H, W, 3) uint8, probs (C, H, W) float32).
    """
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:height, 0:width]
    region = (cols >= width // 2).astype(np.int64) + (rows >= height - 2)
    palette = np.array([[40, 60, 200], [210, 180, 40], [90, 200, 90]])
    image = palette[region] + rng.normal(0, 12, (height, width, 3))
    image = np.clip(image, 0, 255).astype(np.uint8)
    score = 1.2 * np.eye(classes)[region].transpose(2, 0, 1)
    score = score + rng.normal(0, 1, (classes, height, width))
    probs = softmax_over_classes(score.reshape(classes, -1))
    probs = probs.reshape(classes, height, width)
    # A pixel inside region 0 whose unary rules class 0 out: only the clip
    # at 1e-5 lets its neighbours pull it back to class 0.
    probs[:, 2, 1] = 0.
    probs[1, 2, 1] = 0.7
    probs[2, 2, 1] = 0.3
    probs[3, 1:3, :2] = 0.                      # more exact zeros
    probs /= probs.sum(0, keepdims=True)
    return image, probs.astype(np.float32)


# --- agreement with the brute-force pydensecrf ------------------------------

@pytest.mark.parametrize('params', [
    dict(TINY),
    dict(TINY, iterations=1),
    dict(TINY, iterations=0),
    dict(TINY, iterations=8, bilateral_compat=None),
    dict(TINY, gaussian_compat=None, bilateral_srgb=60.),
    dict(),                                     # pydensecrf's README values
])
def test_exact_filter_matches_pydensecrf_mean_field(params):
    image, probs = tiny_scene()
    expected = pydensecrf_mean_field(image, probs, **params)
    refined = dense_crf(image, probs, filter_mode='exact', **params)
    np.testing.assert_allclose(refined, expected, rtol=2e-4, atol=1e-6)
    if params.get('iterations', 5):
        assert (expected.argmax(0) != probs.argmax(0)).sum() >= 10


def test_clip_lets_neighbours_revive_a_zero_probability_class():
    """unary_from_softmax clips at 1e-5: class 0 at pixel (2, 1) has
    probability 0, yet its neighbours give it a third of the mass."""
    image, probs = tiny_scene()
    refined = dense_crf(image, probs, filter_mode='exact', **TINY)
    assert probs[0, 2, 1] == 0 and 0.2 < refined[0, 2, 1] < 0.5
    expected = pydensecrf_mean_field(image, probs, **TINY)
    assert refined[0, 2, 1] == pytest.approx(expected[0, 2, 1], rel=1e-4)


def test_iterations_zero_returns_clipped_renormalised_probs():
    image, probs = tiny_scene()
    clipped = np.clip(probs, 1e-5, 1.0)
    refined = dense_crf(image, probs, iterations=0)
    np.testing.assert_allclose(refined, clipped / clipped.sum(0), rtol=1e-5)


def lattice_scene(seed=3, height=24, width=32, classes=5):
    """A larger structured scene where the lattice applies (three regions,
    noisy unaries, max probability mostly 0.3-0.7)."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:height, 0:width]
    region = ((cols > 0.4 * width).astype(np.int64)
              + 2 * (rows > 0.6 * height))
    palette = rng.uniform(30, 220, (4, 3))
    image = palette[region] + rng.normal(0, 6, (height, width, 3))
    image = np.clip(image, 0, 255).astype(np.uint8)
    score = 1.2 * np.eye(classes)[region].transpose(2, 0, 1)
    score = score + rng.normal(0, 1, (classes, height, width))
    probs = softmax_over_classes(score.reshape(classes, -1))
    return image, probs.reshape(classes, height, width).astype(np.float32)


def test_lattice_filter_matches_pydensecrf_mean_field():
    image, probs = lattice_scene()
    params = dict(gaussian_sxy=3., bilateral_sxy=10., bilateral_srgb=13.)
    expected = pydensecrf_mean_field(image, probs, **params)
    refined = dense_crf(image, probs, **params)
    assert (expected.argmax(0) != probs.argmax(0)).mean() > 0.2
    np.testing.assert_array_equal(refined.argmax(0), expected.argmax(0))
    assert np.abs(refined - expected).max() < 0.02


# --- inputs and outputs ---------------------------------------------------

def to_tensors(image, probs):
    """pydensecrf's layout to (1, 3, H, W) float and (1, C, H, W) tensors."""
    return (torch.from_numpy(image).permute(2, 0, 1)[None].float(),
            torch.from_numpy(probs)[None])


@pytest.mark.parametrize('filter_mode', ['lattice', 'exact'])
def test_numpy_and_tensor_inputs_give_the_same_numbers(filter_mode):
    image, probs = tiny_scene()
    from_numpy = dense_crf(image, probs, filter_mode=filter_mode, **TINY)
    image_t, probs_t = to_tensors(image, probs)
    from_float = dense_crf(image_t, probs_t, filter_mode=filter_mode, **TINY)
    from_uint8 = dense_crf(image_t.to(torch.uint8), probs_t,
                           filter_mode=filter_mode, **TINY)
    np.testing.assert_allclose(from_float[0].numpy(), from_numpy, atol=1e-6)
    torch.testing.assert_close(from_uint8, from_float, rtol=0, atol=1e-6)


def test_batch_of_two_equals_two_single_calls():
    first, second = lattice_scene(seed=3), lattice_scene(seed=4)
    images, probs = zip(*(to_tensors(*scene) for scene in (first, second)))
    batched = dense_crf(torch.cat(images), torch.cat(probs))
    for index in range(2):
        single = dense_crf(images[index], probs[index])
        torch.testing.assert_close(batched[index:index + 1], single,
                                   rtol=0, atol=1e-5)
    assert not torch.allclose(batched[0], batched[1])


def test_numpy_output_is_float32_like_pydensecrf():
    image, probs = tiny_scene()
    refined = dense_crf(image, probs.astype(np.float64), **TINY)
    assert isinstance(refined, np.ndarray)
    assert refined.dtype == np.float32 and refined.shape == probs.shape
    np.testing.assert_allclose(refined.sum(0), 1, atol=1e-5)
    np.testing.assert_allclose(refined, dense_crf(image, probs, **TINY),
                               atol=1e-6)


@pytest.mark.parametrize('dtype', [torch.float64, torch.float32,
                                   torch.float16, torch.bfloat16])
def test_tensor_output_keeps_dtype_shape_and_device(dtype):
    image, probs = tiny_scene()
    image_t, probs_t = to_tensors(image, probs)
    reference = dense_crf(image_t, probs_t.double(), **TINY)
    refined = dense_crf(image_t, probs_t.to(dtype), **TINY)
    assert isinstance(refined, torch.Tensor)
    assert refined.dtype == dtype and refined.shape == probs_t.shape
    assert refined.device == probs_t.device
    tolerance = 1e-5 if dtype in (torch.float64, torch.float32) else 2e-2
    torch.testing.assert_close(refined.double(), reference, rtol=0,
                               atol=tolerance)


def test_gradient_reaches_probs():
    """Autograd through the clip, the CRF and the softmax (exact filter)."""
    image, probs = tiny_scene(height=3, width=4)
    probs = np.clip(probs, 0.05, 1)
    probs /= probs.sum(0, keepdims=True)
    image_t, probs_t = to_tensors(image, probs)
    leaf = probs_t.double().requires_grad_()
    assert torch.autograd.gradcheck(
        lambda p: dense_crf(image_t, p, filter_mode='exact', **TINY),
        (leaf,), eps=1e-6, atol=1e-5, fast_mode=True)


# --- bad input: one line naming the argument --------------------------------

def bad_inputs():
    image, probs = tiny_scene()
    image_t, probs_t = to_tensors(image, probs)
    off = probs.copy()
    off[0, 0, 0] += 0.1
    negative = probs.copy()
    negative[:2, 0, 0] = [-0.1, probs[0, 0, 0] + probs[1, 0, 0] + 0.1]
    nan = probs.copy()
    nan[0, 0, 0] = np.nan
    return [
        ('image float', (image.astype(np.float32), probs), {}, TypeError,
         'image must be uint8'),
        ('image 2-D', (image[..., 0], probs), {}, ValueError,
         'image must be an (H, W, 3)'),
        ('image RGBA', (np.concatenate([image, image[..., :1]], 2), probs), {},
         ValueError, 'image must be an (H, W, 3)'),
        ('probs 2-D', (image, probs[0]), {}, ValueError,
         'probs must be a (C, H, W)'),
        ('probs int', (image, probs.astype(np.int64)), {}, TypeError,
         'probs must be a float array'),
        ('size mismatch', (image[:, :-1], probs), {}, ValueError,
         'H and W must match'),
        ('no classes', (image, probs[:0]), {}, ValueError, 'C = 0'),
        ('probs > 1', (image, probs * 2), {}, ValueError, 'probs must be '
         'probabilities in [0, 1]'),
        ('probs < 0', (image, negative), {}, ValueError, 'probs must be '
         'probabilities in [0, 1]'),
        ('probs sum', (image, off), {}, ValueError, 'probs must sum to 1'),
        ('probs nan', (image, nan), {}, ValueError, 'probs contains NaN'),
        ('numpy image, tensor probs', (image, probs_t), {}, TypeError,
         'both numpy arrays or both torch tensors'),
        ('tensor image, numpy probs', (image_t, probs), {}, TypeError,
         'both numpy arrays or both torch tensors'),
        ('lists', (image.tolist(), probs.tolist()), {}, TypeError,
         'both numpy arrays or both torch tensors'),
        ('tensor probs 3-D', (image_t, probs_t[0]), {}, ValueError,
         'probs must be a (B, C, H, W)'),
        ('tensor image shape', (image_t[:, :2], probs_t), {}, ValueError,
         'image must be (B, 3, H, W)'),
        ('tensor batch mismatch', (image_t.expand(2, -1, -1, -1), probs_t),
         {}, ValueError, 'image must be (B, 3, H, W)'),
        ('tensor image above 255', (image_t + 100, probs_t), {},
         ValueError, 'image must be RGB in 0-255'),
        ('tensor image int32', (image_t.int(), probs_t), {}, TypeError,
         'image must be uint8 or float'),
        ('tensor probs int', (image_t, probs_t.long()), {}, TypeError,
         'probs must be a float tensor'),
        ('gaussian_sxy 0', (image, probs), dict(gaussian_sxy=0), ValueError,
         'gaussian_sxy must be a finite number > 0'),
        ('bilateral_sxy < 0', (image, probs), dict(bilateral_sxy=-80),
         ValueError, 'bilateral_sxy must be a finite number > 0'),
        ('bilateral_srgb nan', (image, probs), dict(bilateral_srgb=math.nan),
         ValueError, 'bilateral_srgb must be a finite number > 0'),
        ('gaussian_compat 0', (image, probs), dict(gaussian_compat=0),
         ValueError, 'gaussian_compat must be a finite number > 0'),
        ('bilateral_compat < 0', (image, probs), dict(bilateral_compat=-1),
         ValueError, 'bilateral_compat must be a finite number > 0'),
        ('no kernel', (image, probs),
         dict(gaussian_compat=None, bilateral_compat=None), ValueError,
         'at least one kernel'),
        ('iterations < 0', (image, probs), dict(iterations=-1), ValueError,
         'iterations must be >= 0'),
        ('iterations float', (image, probs), dict(iterations=2.5), TypeError,
         'iterations must be an int'),
        ('filter_mode', (image, probs), dict(filter_mode='fast'), ValueError,
         'filter_mode must be one of'),
    ]


@pytest.mark.parametrize('name, args, kwargs, error, message', bad_inputs(),
                         ids=[case[0] for case in bad_inputs()])
def test_bad_input_raises_one_clear_line(name, args, kwargs, error, message):
    with pytest.raises(error) as info:
        dense_crf(*args, **kwargs)
    text = str(info.value)
    assert text.startswith('dense_crf: ') and message in text, text
    assert '\n' not in text


# --- the snippets of docs/crf.md ------------------------------------------

class FakeDenseCRF2D:
    """pydensecrf.densecrf.DenseCRF2D on top of the brute-force reference
    (the calls of the README example only)."""

    def __init__(self, width, height, classes):
        self.shape = (classes, height, width)
        self.kernels = {}

    def setUnaryEnergy(self, unary):  # noqa: N802 (pydensecrf's name)
        assert unary.dtype == np.float32 and unary.flags['C_CONTIGUOUS']
        assert unary.shape == (self.shape[0], self.shape[1] * self.shape[2])
        self.probs = np.exp(-unary.astype(np.float64)).reshape(self.shape)

    def addPairwiseGaussian(self, sxy, compat):  # noqa: N802
        self.kernels.update(gaussian_sxy=sxy, gaussian_compat=compat)

    def addPairwiseBilateral(self, sxy, srgb, rgbim, compat):  # noqa: N802
        assert rgbim.dtype == np.uint8 and rgbim.flags['C_CONTIGUOUS']
        self.image = rgbim
        self.kernels.update(bilateral_sxy=sxy, bilateral_srgb=srgb,
                            bilateral_compat=compat)

    def inference(self, iterations):
        q = pydensecrf_mean_field(self.image, self.probs, iterations,
                                  **self.kernels)
        return q.reshape(self.shape[0], -1).astype(np.float32)


def fake_pydensecrf():
    package = types.ModuleType('pydensecrf')
    package.densecrf = types.ModuleType('pydensecrf.densecrf')
    package.densecrf.DenseCRF2D = FakeDenseCRF2D
    package.utils = types.ModuleType('pydensecrf.utils')
    package.utils.unary_from_softmax = lambda sm: -np.log(np.clip(
        sm, 1e-5, 1.0)).reshape(sm.shape[0], -1).astype(np.float32)
    return package


def python_blocks(markdown: str) -> list:
    return re.findall(r'^```python\n(.*?)^```', markdown, re.S | re.M)


def test_doc_snippets_run_and_match_pydensecrf(monkeypatch):
    """Every ```python block of docs/crf.md, in order, in one namespace, with
    the brute-force pydensecrf standing in for the real one."""
    package = fake_pydensecrf()
    for name in ('pydensecrf', 'pydensecrf.densecrf', 'pydensecrf.utils'):
        module = package if name == 'pydensecrf' else getattr(
            package, name.split('.')[1])
        monkeypatch.setitem(sys.modules, name, module)
    blocks = python_blocks(DOC.read_text())
    assert len(blocks) >= 4
    namespace = {}
    for block in blocks:
        exec(compile(block, str(DOC), 'exec'), namespace)
    # the "Moving from pydensecrf" pair: README example -> Q, ours -> refined
    expected, refined = namespace['Q'], namespace['refined']
    assert isinstance(refined, np.ndarray) and refined.shape == expected.shape
    changed = (expected.argmax(0) != namespace['probs'].argmax(0)).mean()
    agree = (refined.argmax(0) == expected.argmax(0)).mean()
    # near-ties everywhere (Dirichlet noise): pydensecrf's own lattice agrees
    # with these exact kernels on 98.9 % of the doc's pixels, ours on 99.3 %
    assert changed > 0.5 and agree > 0.98, (changed, agree)
