"""Scale-invariant depth loss of Eigen et al. (NIPS 2014), the paper's Eq. 4."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from mmseg.registry import MODELS

#: Predictions are clamped to at least this many metres before the log, so a
#: zero or negative prediction gives a large finite loss instead of NaN.
MIN_PREDICTED_DEPTH_M = 1e-3


def scale_invariant_loss(pred: Tensor, target: Tensor, lam: float = 1.0) -> Tensor:
    """Per-image scale-invariant log error, averaged over images.

    With ``g = log d - log d*`` over the n valid pixels of one image, the image's
    loss is ``mean(g^2) - lam * mean(g)^2``. Eq. 4,
    ``1/n^2 sum_{i,j} ((log d_i - log d_j) - (log d*_i - log d*_j))^2``, equals
    ``2 * (mean(g^2) - mean(g)^2)``: this function with ``lam=1`` times 2. It
    costs O(n), not O(n^2).

    Args:
        pred: (B, 1, H, W) predicted depth, metres.
        target: (B, 1, H, W) ground-truth depth, metres; <= 0 (or NaN) = invalid.
        lam: weight of the squared-mean term (1 = fully scale invariant).

    Returns:
        Scalar: the mean over images that have at least one valid pixel; 0
        (still attached to ``pred``'s graph) when no image has one.
    """
    if pred.shape != target.shape or pred.dim() != 4 or pred.shape[1] != 1:
        raise ValueError('scale_invariant_loss expects pred and target of the '
                         f'same shape (B, 1, H, W), got {tuple(pred.shape)} '
                         f'and {tuple(target.shape)}')
    valid = target > 0  # False for NaN too
    safe_target = torch.where(valid, target, torch.ones_like(target))
    log_ratio = (torch.log(pred.clamp(min=MIN_PREDICTED_DEPTH_M)) -
                 torch.log(safe_target))
    log_ratio = torch.where(valid, log_ratio, torch.zeros_like(log_ratio))

    num_valid = valid.flatten(1).sum(dim=1)
    has_valid = num_valid > 0
    count = num_valid.clamp(min=1).to(pred.dtype)
    mean_g = log_ratio.flatten(1).sum(dim=1) / count
    mean_g2 = log_ratio.pow(2).flatten(1).sum(dim=1) / count
    per_image = mean_g2 - lam * mean_g.pow(2)
    if not bool(has_valid.any()):
        return pred.sum() * 0.0
    return per_image[has_valid].mean()


@MODELS.register_module()
class ScaleInvariantLoss(nn.Module):
    """Registered wrapper of :func:`scale_invariant_loss`.

    ``ScaleInvariantLoss(lam=1.0, loss_weight=2.0)`` is exactly Eq. 4.

    Args:
        lam: weight of the squared-mean term.
        loss_weight: multiplies the loss.
        loss_name: key in the loss dict; starts with ``loss_`` as mmseg expects.
    """

    def __init__(self, lam: float = 1.0, loss_weight: float = 1.0,
                 loss_name: str = 'loss_depth'):
        super().__init__()
        self.lam = lam
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self, pred: Tensor, target: Tensor, **kwargs) -> Tensor:
        """pred, target: (B, 1, H, W) metres; target <= 0 is invalid."""
        return self.loss_weight * scale_invariant_loss(pred, target, self.lam)

    @property
    def loss_name(self) -> str:
        return self._loss_name
