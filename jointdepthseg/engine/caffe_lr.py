"""The paper's Caffe hyper-parameters translated to our mean-reduced losses.

The paper (Sec. 4.1) trains in Caffe with FCN-style settings: learning rate
1e-10, momentum 0.99, weight decay 5e-4 and lambda = 1e-6 (Eq. 1), on a
semantic loss *summed* over the labelled pixels of a crop (Caffe's
``SoftmaxWithLoss`` with ``normalize: false``: a sum over pixels, a mean over
the images of a batch). Our cross entropy is a *mean* over the labelled
pixels (``avg_non_ignore=True``), so its gradient is ``N`` times smaller,
``N`` = labelled pixels per crop.

Learning rate. Caffe's SGD: ``v <- m_c v + lr_c (grad_sum + wd w)``,
``w <- w - v``; PyTorch's: ``b <- m b + (grad + wd w)``, ``w <- w - lr b``.
Under a steady gradient both settle at a step per iteration of
``lr_c * N * grad_mean / (1 - m_c)`` (Caffe) and ``lr * grad_mean / (1 - m)``
(ours), so the same effective step needs::

    lr = lr_c * N * (1 - m) / (1 - m_c)

(1e-10 x 246240 x 0.1 / 0.01 = 2.46e-4 for momentum 0.9; *not*
``lr_c * N / (1 - m_c)``, which is the effective step itself, 10x larger).

Weight decay. Caffe adds ``wd * w`` to the gradient of the summed loss; for
the same balance against a mean loss it must be ``wd / N`` (5e-4 / 246240 =
2.0e-9, i.e. practically none, as in the paper).

Lambda. ``1e-6 * sum CE`` = ``1e-6 * N * mean CE``, so our
``sem_loss_weight = 1e-6 * N``.

N. A 513 x 513 crop of a 480 x 640 NYU frame holds at most
480 x 513 = 246,240 image pixels (the rest is padding, labelled 255 and
ignored); the unlabelled pixels of the frame lower it further.
:func:`mean_labelled_pixels_per_crop` measures it on label maps.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np

#: Pixels of the paper's 513 x 513 input crop (padding included).
PAPER_CROP_PIXELS = 513 * 513
#: Image pixels inside a 513 x 513 crop of a 480 x 640 frame: an upper bound
#: of the labelled pixels per crop, the ``N`` our NYU configs use.
NYU_CROP_IMAGE_PIXELS = 480 * 513
#: The paper's stage-1/2 Caffe settings (Sec. 4.1).
PAPER_LR = 1e-10
PAPER_MOMENTUM = 0.99
PAPER_WEIGHT_DECAY = 5e-4
PAPER_LAMBDA = 1e-6
#: Stage 3 (Sec. 4.1): the network's and the CRF's Caffe learning rates.
PAPER_STAGE3_NETWORK_LR = 1e-16
PAPER_STAGE3_CRF_LR = 1e-13


def _check_momentum(name: str, value: float) -> None:
    if not 0.0 <= value < 1.0:
        raise ValueError(f'{name} must be in [0, 1), got {value}')


def caffe_lr_for_mean_loss(caffe_lr: float, pixels_per_loss: float,
                           caffe_momentum: float, momentum: float) -> float:
    """Our SGD learning rate with Caffe's effective step per iteration.

    ``lr = caffe_lr * N * (1 - momentum) / (1 - caffe_momentum)``: Caffe's
    summed loss has ``N`` times our mean loss's gradient, and SGD with
    momentum ``m`` takes steady steps of ``lr / (1 - m)`` times the gradient
    (see the module docstring).

    Args:
        caffe_lr: Caffe's ``base_lr`` for the summed loss.
        pixels_per_loss: N, the pixels Caffe's loss sums over (per image).
        caffe_momentum: Caffe's momentum (0.99 in the paper).
        momentum: our SGD momentum.

    Returns:
        float: our learning rate for a loss averaged over those pixels.
    """
    if not caffe_lr >= 0 or not pixels_per_loss > 0:
        raise ValueError(f'need caffe_lr >= 0 and pixels_per_loss > 0, got '
                         f'{caffe_lr} and {pixels_per_loss}')
    _check_momentum('caffe_momentum', caffe_momentum)
    _check_momentum('momentum', momentum)
    return caffe_lr * pixels_per_loss * (1.0 - momentum) / (1.0 -
                                                            caffe_momentum)


def caffe_weight_decay_for_mean_loss(caffe_weight_decay: float,
                                     pixels_per_loss: float) -> float:
    """Caffe's weight decay against a summed loss, for a mean loss: wd / N."""
    if not pixels_per_loss > 0:
        raise ValueError(f'pixels_per_loss must be > 0, got '
                         f'{pixels_per_loss}')
    return caffe_weight_decay / pixels_per_loss


def caffe_loss_weight_for_mean_loss(caffe_weight: float,
                                    pixels_per_loss: float) -> float:
    """A weight on a summed loss (lambda of Eq. 1) for a mean loss: w * N."""
    if not pixels_per_loss > 0:
        raise ValueError(f'pixels_per_loss must be > 0, got '
                         f'{pixels_per_loss}')
    return caffe_weight * pixels_per_loss


def mean_labelled_pixels_per_crop(label_maps: Iterable[np.ndarray],
                                  crop_hw: tuple[int, int] = (513, 513),
                                  ignore_index: int = 255) -> float:
    """Mean number of labelled pixels in a random crop, over images and crops.

    The crop is mmseg's ``RandomCrop``: ``min(crop, image)`` in each axis,
    its corner uniform over every position that keeps it inside the image
    (what the preprocessor pads is never labelled).

    Args:
        label_maps: (H, W) integer label maps.
        crop_hw: (height, width) of the crop in pixels.
        ignore_index: the unlabelled value.

    Returns:
        float: the expected labelled pixels per crop, averaged over images.
    """
    totals = []
    for labels in label_maps:
        if labels.ndim != 2:
            raise ValueError(f'label maps must be (H, W), got shape '
                             f'{labels.shape}')
        height, width = labels.shape
        crop_h, crop_w = min(crop_hw[0], height), min(crop_hw[1], width)
        labelled = (labels != ignore_index).astype(np.float64)
        # P(row r in the crop) = #offsets covering r / #offsets, per axis.
        totals.append(
            _coverage(height, crop_h) @ labelled @ _coverage(width, crop_w))
    if not totals:
        raise ValueError('mean_labelled_pixels_per_crop: no label maps')
    return float(np.mean(totals))


def _coverage(size: int, crop: int) -> np.ndarray:
    """(size,) probability that each index lies in a uniform ``crop``."""
    offsets = size - crop + 1
    index = np.arange(size)
    first = np.maximum(0, index - crop + 1)
    last = np.minimum(index, offsets - 1)
    return (last - first + 1) / offsets
