"""Mean-field message of one Gaussian kernel through the permutohedral lattice.

The three modes of ``kernel_normalization.py`` become per-point input and
output scales ``r``, ``s`` and a self term ``t`` around the lattice operator
``W``: ``message = diag(s) W diag(r) v + t v``.

- ``'row'`` (CRF-RNN): ``message = (W v) / (W 1)``, so ``s = 1 / W1``,
  ``r = 1``, ``t = 0``; the kernel sum includes ``j = i``.
- ``'symmetric'`` (pydensecrf): ``s = r = 1 / sqrt(W1)``, ``t = 0``.
- ``'none'`` (Eq. 5-7): ``message = W v / c - v``, so ``s = 1 / c``, ``r = 1``
  and ``t = -1`` removes the exact self term ``k(f_i, f_i) v_i = v_i``
  (``j != i``).  ``c`` is the lattice's kernel mass relative to the exact
  Gaussian, measured per image as ``sum W1 / sum K1`` over fixed probe
  points whose exact kernel sums ``K1`` cost ``O(probes * N)``.  A lattice
  built from the splatted vertices only loses 5-35 % of the mass of a sparse
  feature set (blur paths through vertices that do not exist); the
  normalised modes cancel that loss, the unnormalised one needs this
  calibration.

``r`` is folded into the splat weights and ``s`` into the slice weights; the
transposed message ``diag(r) W^T diag(s) v + t v`` (backward passes) uses
the splat with ``s`` and the slice with ``r``.
"""
from __future__ import annotations

import torch
from torch import Tensor

from .kernel_normalization import canonical_normalization
from .permutohedral import build_permutohedral_lattice

# Probe points per image for the kernel-mass calibration of normalize='none'.
NUM_MASS_PROBES = 128


def exact_kernel_sums(features: Tensor, probes: Tensor,
                      chunk: int = 16) -> Tensor:
    """Exact ``sum_j exp(-|f_p - f_j|^2 / 2)`` for some probe points ``p``.

    Args:
        features (Tensor): (B, N, d) features divided by the kernel widths.
        probes (Tensor): (S,) int64 point indices, the same in every image.
        chunk (int): probes per step (bounds memory to ``B * chunk * N``).

    Returns:
        Tensor: (B, S) kernel sums, ``j = p`` included.
    """
    sums = []
    for start in range(0, probes.numel(), chunk):
        probe_feat = features[:, probes[start:start + chunk]]  # (B, s, d)
        dist2 = torch.cdist(probe_feat, features).pow_(2)
        sums.append(torch.exp_(dist2.mul_(-0.5)).sum(2))
    return torch.cat(sums, 1)


def lattice_mass_scale(features: Tensor, lattice_ones: Tensor,
                       num_probes: int = NUM_MASS_PROBES) -> Tensor:
    """Per-image ratio of the lattice's kernel mass to the exact kernel's.

    Args:
        features (Tensor): (B, N, d) features divided by the kernel widths.
        lattice_ones (Tensor): (B * N,) the lattice operator applied to ones.
        num_probes (int): evenly spaced probe points per image.

    Returns:
        Tensor: (B,) ``sum_p W1_p / sum_p K1_p`` over the probes.
    """
    num_images, num_points, _ = features.shape
    probes = torch.linspace(0, num_points - 1, min(num_probes, num_points),
                            device=features.device).round().long().unique()
    exact = exact_kernel_sums(features, probes).sum(1)
    approx = lattice_ones.view(num_images, num_points)[:, probes].sum(1)
    return approx / exact


def _scale_per_point(weights: Tensor, scale: Tensor | None,
                     entries: int) -> Tensor:
    """Weights of a matrix with ``entries`` non-zeros per row, row ``i``
    times ``scale[i]``."""
    if scale is None:
        return weights
    return (weights.view(-1, entries) * scale[:, None]).view(-1)


class LatticeGaussianFilter:
    """Approximate message ``sum_j k(f_i, f_j) v_j`` of one kernel, batched.

    Args:
        features (Tensor): (B, N, d) features divided by the kernel widths;
            no gradient flows into them.
        normalize (str | bool): ``'row'``, ``'symmetric'`` or ``'none'`` (see
            the module docstring; True and False stand for ``'row'`` and
            ``'none'``).

    Attributes:
        lattice (PermutohedralLattice): its splat / blur / slice matrices.
        in_scale (Tensor | None): (B*N,) ``r``, None where it is 1.
        out_scale (Tensor): (B*N,) ``s``.
        self_term (float): ``t``, 0 or -1.
        splat_weights (Tensor): splat non-zeros times ``r`` of their point.
        slice_weights (Tensor): (B*N*(d+1),) slice non-zeros times ``s``.
        message_of_ones (Tensor): (B*N,) the message of a constant 1,
            ``s * W r + t`` (the per-pixel constant of a Potts
            compatibility, ``mean_field.py``).
    """

    def __init__(self, features: Tensor, normalize) -> None:
        normalize = canonical_normalization(normalize, 'lattice_filter.py')
        in_scale = None
        with torch.no_grad():
            features = features.detach()
            lattice = build_permutohedral_lattice(features)
            ones = features.new_ones(lattice.num_points, 1)
            total = lattice.apply(ones)[:, 0]
            if normalize == 'row':
                out_scale = 1.0 / total
                message_of_ones = torch.ones_like(total)
            elif normalize == 'symmetric':
                out_scale = in_scale = total.rsqrt()
                message_of_ones = out_scale * lattice.apply(
                    in_scale[:, None])[:, 0]
            else:
                scale = lattice_mass_scale(features, total)
                out_scale = (1.0 / scale).repeat_interleave(features.shape[1])
                message_of_ones = out_scale * total - 1.0
        self.lattice = lattice
        self.in_scale = in_scale
        self.out_scale = out_scale
        self.self_term = -1.0 if normalize == 'none' else 0.0
        self.message_of_ones = message_of_ones
        entries = lattice.dim + 1
        self.splat_weights = self._splat_times(in_scale)
        self.slice_weights = _scale_per_point(lattice.slice.weights,
                                              out_scale, entries)
        self._transposed_weights = None

    @property
    def num_points(self) -> int:
        return self.lattice.num_points

    @property
    def num_vertices(self) -> int:
        return self.lattice.num_vertices

    def _splat_times(self, scale: Tensor | None) -> Tensor:
        splat = self.lattice.splat
        if scale is None:
            return splat.weights
        return splat.weights * scale.index_select(0, splat.columns)

    def prepare_transpose(self) -> tuple[Tensor, Tensor]:
        """Splat and slice weights of the transposed message (splat times
        ``s``, slice times ``r``), and the transposed blur; built once.

        Returns:
            tuple: ``(splat weights, slice weights)``.
        """
        if self._transposed_weights is None:
            self.lattice.prepare_transpose()
            self._transposed_weights = (
                self._splat_times(self.out_scale),
                _scale_per_point(self.lattice.slice.weights, self.in_scale,
                                 self.lattice.dim + 1))
        return self._transposed_weights

    def __call__(self, values: Tensor, transpose: bool = False) -> Tensor:
        """Message ``diag(s) W diag(r) v + t v`` of ``values`` (B * N, C),
        or its transpose ``diag(r) W^T diag(s) v + t v``; no autograd."""
        lat = self.lattice
        if transpose:
            splat_weights, slice_weights = self.prepare_transpose()
        else:
            splat_weights, slice_weights = self.splat_weights, \
                self.slice_weights
        values = values.contiguous()
        hidden = lat.blur(lat.splat.matmul(values, splat_weights), transpose)
        message = lat.slice.matmul(hidden, slice_weights)
        if self.self_term:
            message += self.self_term * values
        return message
