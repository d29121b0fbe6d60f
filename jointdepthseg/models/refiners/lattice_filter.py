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

``s`` is folded into the slice weights and ``r`` into the splat weights
(and, for the transpose used by the backward pass, the other way round).
"""
from __future__ import annotations

from functools import cached_property

import torch
from torch import Tensor

from .kernel_normalization import canonical_normalization
from .permutohedral import PermutohedralLattice, build_permutohedral_lattice
from .sparse_rows import sparse_matmul

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


class LatticeBlur(torch.autograd.Function):
    """Blur along every lattice axis; backward blurs in reverse axis order."""

    @staticmethod
    def forward(ctx, hidden: Tensor, lattice: PermutohedralLattice) -> Tensor:
        ctx.lattice = lattice
        return lattice.blur(hidden.contiguous())

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad: Tensor):
        return ctx.lattice.blur(grad.contiguous(), transpose=True), None


def lattice_blur(hidden: Tensor, lattice: PermutohedralLattice) -> Tensor:
    """Differentiable :meth:`PermutohedralLattice.blur`."""
    if torch.is_grad_enabled() and hidden.requires_grad:
        return LatticeBlur.apply(hidden, lattice)
    return lattice.blur(hidden.contiguous())


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
        slice_weights (Tensor): (B*N*(d+1),) slice non-zeros times ``s``.
        splat_weights (Tensor): splat non-zeros times ``s`` of their point
            (the transpose of the scaled slice).
        out_scale (Tensor): (B*N,) ``s``.
        in_scale (Tensor | None): (B*N,) ``r``, None where it is 1.
        self_term (float): ``t``, 0 or -1.
    """

    def __init__(self, features: Tensor, normalize) -> None:
        normalize = canonical_normalization(normalize, 'lattice_filter.py')
        in_scale = None
        with torch.no_grad():
            features = features.detach()
            lattice = build_permutohedral_lattice(features)
            points = lattice.num_points
            ones = features.new_ones(points, 1)
            total = lattice.apply(ones)[:, 0]
            if normalize == 'row':
                out_scale = 1.0 / total
            elif normalize == 'symmetric':
                out_scale = in_scale = total.rsqrt()
            else:
                scale = lattice_mass_scale(features, total)
                out_scale = (1.0 / scale).repeat_interleave(features.shape[1])
            entries = lattice.dim + 1
            self.slice_weights = (lattice.slice.weights.view(points, entries)
                                  * out_scale[:, None]).view(-1)
        self.out_scale = out_scale
        self.in_scale = in_scale
        self.lattice = lattice
        self.self_term = -1.0 if normalize == 'none' else 0.0

    @property
    def num_vertices(self) -> int:
        return self.lattice.num_vertices

    @cached_property
    def splat_weights(self) -> Tensor:
        """Splat non-zeros times ``s`` of their point: the transpose of the
        scaled slice, needed by backward passes only."""
        splat = self.lattice.splat
        return splat.weights * self.out_scale[splat.columns.long()]

    @cached_property
    def splat_in_weights(self) -> Tensor | None:
        """Splat non-zeros times ``r`` of their point (None where r = 1)."""
        if self.in_scale is None:
            return None
        splat = self.lattice.splat
        return splat.weights * self.in_scale[splat.columns.long()]

    @cached_property
    def slice_in_weights(self) -> Tensor | None:
        """Slice non-zeros times ``r`` of their point: the transpose of the
        scaled splat, for backward passes (None where r = 1)."""
        if self.in_scale is None:
            return None
        lat = self.lattice
        points, entries = lat.num_points, lat.dim + 1
        return (lat.slice.weights.view(points, entries)
                * self.in_scale[:, None]).view(-1)

    def splat(self, values: Tensor) -> Tensor:
        """(P, C) point values, times ``r``, to (M, C) lattice values
        (differentiable)."""
        lat = self.lattice
        return sparse_matmul(values, lat.splat, lat.slice,
                             self.splat_in_weights, self.slice_in_weights)

    def slice(self, hidden: Tensor) -> Tensor:
        """(M, C) blurred lattice values to the scaled (P, C) message."""
        lat = self.lattice
        return sparse_matmul(hidden, lat.slice, lat.splat,
                             self.slice_weights, self.splat_weights)

    def __call__(self, values: Tensor) -> Tensor:
        """Message for ``values`` (B * N, C); returns (B * N, C)."""
        hidden = lattice_blur(self.splat(values), self.lattice)
        message = self.slice(hidden)
        if self.self_term:
            message = message + self.self_term * values
        return message
