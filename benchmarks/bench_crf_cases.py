"""The inputs and CRF settings that benchmarks/bench_crf.py times.

Each case is an image (H, W, 3) uint8, unary probabilities (C, H, W) float32
and the CRF's kernels, so that pydensecrf and our DenseCRF get the same
problem: pydensecrf's unaries are ``-log(p)`` (``unary_from_softmax``), ours
``log(p)``; both use symmetric normalisation (pydensecrf's default) and Potts
compatibilities.

- ``noise``: uniform RGB noise, 480x640, 40 classes, the paper's widths
  (theta_alpha 160, theta_beta 3, theta_tau 3, w 7 and 3); the colour lattice
  then has several times more vertices than pixels.
- ``room``: a synthetic room (``render_room``), 480x640, 40 classes, the
  paper's widths; unaries: the true labels plus noise.
- ``photo-6``, ``photo-21``: matplotlib's ``grace_hopper.jpg`` (600x512)
  with pydensecrf's README parameters (Gaussian sxy 3 compat 3, bilateral
  sxy 80 srgb 13 compat 10) at 6 and 21 classes.
- ``crop-21``, ``crop-150``: its top 512x512 crop at 21 (VOC-like) and 150
  (ADE-like) classes.

Photo unaries are colour-based and noisy: each class has a prototype colour
(a random pixel of the image); the logits are the negative squared colour
distance over a width, plus smooth (low-resolution) and per-pixel noise, so
that the CRF changes a visible share of the labels.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch.nn.functional as F
import torch

PAPER = dict(sxy_bilateral=160., srgb=3., sxy_gaussian=3., w_bilateral=7.,
             w_gaussian=3.)
README = dict(sxy_bilateral=80., srgb=13., sxy_gaussian=3., w_bilateral=10.,
              w_gaussian=3.)
CASE_NAMES = ('noise', 'room', 'photo-6', 'photo-21', 'crop-21', 'crop-150')


@dataclass
class Case:
    """One benchmark problem.

    Attributes:
        name (str): see the module docstring.
        image (np.ndarray): (H, W, 3) uint8 RGB.
        probs (np.ndarray): (C, H, W) float32 unary probabilities.
        params (dict): ``sxy_bilateral, srgb, sxy_gaussian, w_bilateral,
            w_gaussian`` (pydensecrf's names).
        depth (np.ndarray): (H, W) float32 metres (for the 3-kernel run).
    """

    name: str
    image: np.ndarray
    probs: np.ndarray
    params: dict
    depth: np.ndarray

    @property
    def num_classes(self) -> int:
        return self.probs.shape[0]

    @property
    def size(self) -> tuple:
        return self.image.shape[:2]


def _softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits - logits.max(0, keepdims=True)
    exp = np.exp(logits)
    return (exp / exp.sum(0, keepdims=True)).astype(np.float32)


def _smooth_noise(rng: np.random.Generator, classes: int, size: tuple,
                  cell: int) -> np.ndarray:
    """(C, H, W) noise constant-ish over ``cell`` pixels (bilinear)."""
    height, width = size
    low = rng.normal(0, 1, (1, classes, height // cell + 1, width // cell + 1))
    up = F.interpolate(torch.from_numpy(low).float(), size=size,
                       mode='bilinear', align_corners=False)
    return up[0].numpy()


def colour_unaries(rng: np.random.Generator, image: np.ndarray,
                   classes: int) -> np.ndarray:
    """Noisy colour-prototype probabilities (C, H, W) for a photo."""
    height, width, _ = image.shape
    pixels = image.reshape(-1, 3).astype(np.float32)
    protos = pixels[rng.choice(len(pixels), classes, replace=False)]
    dist2 = ((pixels[None] - protos[:, None]) ** 2).sum(-1)
    logits = -dist2.reshape(classes, height, width) / (2 * 40.0 ** 2)
    logits += 1.0 * _smooth_noise(rng, classes, (height, width), 32)
    logits += 0.7 * rng.normal(0, 1, logits.shape)
    return _softmax(logits)


def _photo() -> np.ndarray:
    from matplotlib import cbook
    from PIL import Image
    with cbook.get_sample_data('grace_hopper.jpg') as file:
        return np.asarray(Image.open(file).convert('RGB')).copy()


def _ramp_depth(size: tuple) -> np.ndarray:
    height, width = size
    rows = np.arange(height, dtype=np.float32)[:, None]
    return np.broadcast_to(1.0 + 4.0 * rows / height,
                           (height, width)).astype(np.float32).copy()


def make_case(name: str, seed: int = 0, size: tuple = (480, 640)) -> Case:
    """Build one case; ``size`` applies to ``noise`` and ``room`` only."""
    rng = np.random.default_rng(seed)
    if name == 'noise':
        height, width = size
        image = rng.integers(0, 256, (height, width, 3)).astype(np.uint8)
        probs = _softmax(rng.normal(0, 1, (40, height, width)))
        depth = rng.uniform(0.5, 10, size).astype(np.float32)
        return Case(name, image, probs, PAPER, depth)
    if name == 'room':
        from jointdepthseg.datasets.synthetic import render_room
        room = render_room(rng, size)
        labels = room['labels'].astype(np.int64) % 40
        onehot = np.eye(40, dtype=np.float32)[labels].transpose(2, 0, 1)
        probs = _softmax(2 * onehot + rng.normal(0, 1, onehot.shape))
        return Case(name, room['image'], probs, PAPER,
                    room['depth'].astype(np.float32))
    if name.startswith(('photo-', 'crop-')):
        kind, classes = name.split('-')
        image = _photo()
        if kind == 'crop':
            image = image[:512, :512].copy()
        probs = colour_unaries(rng, image, int(classes))
        return Case(name, image, probs, README, _ramp_depth(image.shape[:2]))
    raise ValueError(f'bench_crf_cases.py: unknown case {name!r}, expected '
                     f'one of {CASE_NAMES}')
