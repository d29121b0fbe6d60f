"""Fully connected CRF over appearance, depth and position (section 3.4).

The registered module is a thin shell: it checks its inputs, turns the image
and the estimated depth into the scaled kernel features of Eq. 7
(``crf_kernels.py``), builds one permutohedral lattice per kernel
(``lattice_filter.py``, fused by ``lattice_mean_field.py``) and runs
mean-field inference (``mean_field.py``).  What it keeps between calls is
one :class:`~.crf_cache.CRFCache` (``self.cache``).
Learned: the C x C weight matrices ``w(1..3)`` of the kernels and the C x C
compatibility ``mu``, parametrised as ``kernel_weights.py`` explains (``mu``
carries each class pair's strength, the ``w`` how it is shared between the
kernels); the kernel widths theta are fixed (the paper found them by
cross-validation).  Gradients reach the unaries, ``w`` and ``mu``; the
image and the depth are given modalities and receive none.
"""
from __future__ import annotations

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmseg.registry import MODELS
from .crf_cache import CRFCache
from .crf_kernels import (appearance_features, depth_features,
                          smoothness_features)
from .exact_filter import ExactGaussianFilter, ExactMeanFieldPlan
from .kernel_normalization import canonical_normalization
from .kernel_weights import (initial_weight_logits,
                             kernel_weights_from_logits,
                             logits_from_kernel_weights)
from .lattice_filter import LatticeGaussianFilter
from .lattice_mean_field import LatticeMeanFieldPlan
from .mean_field import compatibility_matrices, mean_field

FILTER_MODES = ('lattice', 'exact')


@MODELS.register_module()
class DenseCRF(BaseModule):
    """Mean-field CRF refiner of semantic logits (Eq. 5-7), CRF-RNN style.

    Args:
        num_classes (int): C.
        num_iters (int): mean-field iterations (0 returns the unaries).
        theta_alpha, theta_beta (float): widths of the appearance kernel k1,
            pixels and RGB levels (0-255).
        theta_gamma, theta_zeta (float): widths of the depth kernel k2,
            pixels and metres.
        theta_tau (float): width of the smoothness kernel k3, pixels.
        w_appearance, w_depth, w_smooth (float | None): initial value (> 0)
            of every entry of w(1), w(2), w(3); None drops that kernel (e.g.
            ``w_depth=None`` is the paper's "Sem-CRF" without depth).  Their
            sum is the fixed per-pair total that the learned w share.
        normalize (str | bool): how each kernel's message is normalised
            (``kernel_normalization.py``): ``'row'`` divides it by the
            pixel's kernel sum (j = i included), as CRF-RNN does;
            ``'symmetric'`` is pydensecrf's default ``D^-1/2 K D^-1/2``;
            ``'none'`` uses Eq. 5-7 literally (sums over j != i,
            unnormalised kernels).  True and False, the values before the
            modes existed, stand for ``'row'`` and ``'none'``; the module
            keeps the mode's name in ``self.normalize``.
        learnable (bool): mu and the logits of w are parameters (else
            buffers).
        filter_mode (str): 'lattice' (permutohedral lattice, the default) or
            'exact' (O(N^2) per image, tiny inputs and tests only).
        init_cfg (dict, optional): mmengine initialisation config.
    """

    def __init__(self, num_classes: int, num_iters: int = 5,
                 theta_alpha: float = 160., theta_beta: float = 3.,
                 theta_gamma: float = 50., theta_zeta: float = 0.2,
                 theta_tau: float = 3., w_appearance: float | None = 7.,
                 w_depth: float | None = 4., w_smooth: float | None = 3.,
                 normalize: str | bool = 'row', learnable: bool = True,
                 filter_mode: str = 'lattice',
                 init_cfg: dict | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if int(num_classes) < 1:
            raise ValueError(f'DenseCRF: num_classes must be >= 1, got '
                             f'{num_classes}')
        if int(num_iters) < 0:
            raise ValueError(f'DenseCRF: num_iters must be >= 0, got '
                             f'{num_iters}')
        thetas = dict(theta_alpha=theta_alpha, theta_beta=theta_beta,
                      theta_gamma=theta_gamma, theta_zeta=theta_zeta,
                      theta_tau=theta_tau)
        for name, value in thetas.items():
            if not float(value) > 0:
                raise ValueError(f'DenseCRF: {name} must be > 0, got {value}')
        if filter_mode not in FILTER_MODES:
            raise ValueError(f'DenseCRF: filter_mode must be one of '
                             f'{FILTER_MODES}, got {filter_mode!r}')
        weights = dict(appearance=w_appearance, depth=w_depth,
                       smooth=w_smooth)
        if all(w is None for w in weights.values()):
            raise ValueError('DenseCRF: at least one of w_appearance, w_depth '
                             'and w_smooth must be set')
        self.num_classes = int(num_classes)
        self.num_iters = int(num_iters)
        self.thetas = {k: float(v) for k, v in thetas.items()}
        self.normalize = canonical_normalization(normalize)
        self.learnable = bool(learnable)
        self.filter_mode = filter_mode
        self.kernels = [name for name, w in weights.items() if w is not None]
        # Smoothness lattices and inference buffers (crf_cache.py).
        self.cache = CRFCache()
        classes = self.num_classes
        initial = [float(weights[name]) for name in self.kernels]
        try:
            logits = initial_weight_logits(initial, classes)
        except ValueError as error:
            raise ValueError(f'DenseCRF: {error}') from None
        # W, the fixed per-pair sum of the w(m); saved with the weights so
        # that a state dict alone gives w (tools/plot_crf_weights.py).
        self.register_buffer('weight_total', torch.tensor(sum(initial)))
        self._add_tensor('compatibility', 1.0 - torch.eye(classes))
        for name, logit in zip(self.kernels, logits):
            self._add_tensor(f'weight_logit_{name}', logit)

    def _add_tensor(self, name: str, value: Tensor) -> None:
        if self.learnable:
            self.register_parameter(name, nn.Parameter(value))
        else:
            self.register_buffer(name, value)

    def kernel_weights(self) -> dict[str, Tensor]:
        """The weight matrices w(m) of the kernels, (C, C) each, > 0.

        Returns:
            dict: kernel name (``appearance``, ``depth``, ``smooth``) ->
            ``w(m)``; summed over the kernels every entry is
            ``self.weight_total``.
        """
        logits = [getattr(self, f'weight_logit_{name}')
                  for name in self.kernels]
        weights = kernel_weights_from_logits(logits, self.weight_total)
        return dict(zip(self.kernels, weights))

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        """Also reads checkpoints with free ``weight_<kernel>`` matrices
        (before the shared-total parametrisation), converting them exactly
        (same ``mu * w`` products)."""
        old = [prefix + f'weight_{name}' for name in self.kernels]
        if all(key in state_dict for key in old):
            total = state_dict.setdefault(prefix + 'weight_total',
                                          self.weight_total.clone())
            mu, logits = logits_from_kernel_weights(
                state_dict[prefix + 'compatibility'],
                [state_dict.pop(key) for key in old], float(total))
            state_dict[prefix + 'compatibility'] = mu
            for name, logit in zip(self.kernels, logits):
                state_dict[prefix + f'weight_logit_{name}'] = logit
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def extra_repr(self) -> str:
        return (f'num_classes={self.num_classes}, num_iters={self.num_iters}, '
                f'kernels={self.kernels}, normalize={self.normalize!r}, '
                f'filter_mode={self.filter_mode!r}, {self.thetas}')

    def _check_inputs(self, unary: Tensor, image: Tensor,
                      depth: Tensor | None) -> None:
        if unary.dim() != 4:
            raise ValueError('DenseCRF.forward: unary_logits must be '
                             '(B, C, H, W), got shape '
                             f'{tuple(unary.shape)}')
        num, classes, height, width = unary.shape
        if classes != self.num_classes:
            raise ValueError(f'DenseCRF.forward: unary_logits has {classes} '
                             f'classes, the CRF was built for '
                             f'{self.num_classes}')
        if tuple(image.shape) != (num, 3, height, width):
            raise ValueError('DenseCRF.forward: image must be (B, 3, H, W) = '
                             f'{(num, 3, height, width)} like the unaries, '
                             f'got {tuple(image.shape)}')
        if depth is not None and tuple(depth.shape) != (num, 1, height, width):
            raise ValueError('DenseCRF.forward: depth must be (B, 1, H, W) = '
                             f'{(num, 1, height, width)} like the unaries, '
                             f'got {tuple(depth.shape)}')
        for name, tensor in (('unary_logits', unary), ('image', image),
                             ('depth', depth)):
            if tensor is None:
                continue
            if not tensor.is_floating_point():
                raise TypeError(f'DenseCRF.forward: {name} must be a float '
                                f'tensor, got {tensor.dtype}')
            if tensor.device != unary.device:
                raise ValueError(f'DenseCRF.forward: {name} is on '
                                 f'{tensor.device}, unary_logits on '
                                 f'{unary.device}')
            # A sum is finite unless an element is not (or it overflows,
            # which the elementwise check then rules out).
            if (not bool(torch.isfinite(tensor.sum()))
                    and not bool(torch.isfinite(tensor).all())):
                raise ValueError(f'DenseCRF.forward: {name} contains NaN or '
                                 'infinite values')

    def kernel_features(self, image: Tensor,
                        depth: Tensor | None) -> list[tuple[str, Tensor]]:
        """Scaled features of the active kernels (no gradient).

        Args:
            image (Tensor): (B, 3, H, W) RGB 0-255.
            depth (Tensor | None): (B, 1, H, W) metres; None drops k2.

        Returns:
            list: ``(kernel name, (B, H * W, d) features)``.
        """
        t = self.thetas
        num, _, height, width = image.shape
        features = []
        for name in self.kernels:
            if name == 'appearance':
                feat = appearance_features(image, t['theta_alpha'],
                                           t['theta_beta'])
            elif name == 'depth':
                if depth is None:
                    continue
                feat = depth_features(depth, t['theta_gamma'],
                                      t['theta_zeta'])
            else:
                feat = smoothness_features(num, height, width,
                                           t['theta_tau'], image)
            features.append((name, feat.contiguous()))
        return features

    def clear_cache(self) -> None:
        """Free the cached smoothness lattices and inference buffers."""
        self.cache.clear()

    def _lattice_filter(self, name: str, features: Tensor,
                        size: tuple) -> LatticeGaussianFilter:
        """Lattice filter of one kernel; the smoothness kernel's is cached
        per (B, H, W, theta_tau, normalize, dtype, device)."""
        if name != 'smooth':
            return LatticeGaussianFilter(features, self.normalize)
        key = (features.shape[0], *size, self.thetas['theta_tau'],
               self.normalize, features.dtype, str(features.device))
        return self.cache.lattice(
            key, lambda: LatticeGaussianFilter(features, self.normalize))

    def forward(self, unary_logits: Tensor, image: Tensor,
                depth: Tensor | None = None) -> Tensor:
        """Refine semantic logits.

        Args:
            unary_logits (Tensor): (B, C, H, W) semantic logits ``z``.
            image (Tensor): (B, 3, H, W) RGB, 0-255 float, at the unaries'
                resolution.
            depth (Tensor | None): (B, 1, H, W) estimated depth, metres; None
                drops the depth kernel.  Treated as a given input (detached).

        Returns:
            Tensor: (B, C, H, W) refined logits ``out`` of the last
            iteration; their softmax is the refined distribution.
        """
        self._check_inputs(unary_logits, image, depth)
        if unary_logits.numel() == 0:
            return unary_logits
        # The CRF runs in (at least) float32 even under autocast.
        with torch.autocast(unary_logits.device.type, enabled=False):
            return self._refine(unary_logits, image, depth)

    def _refine(self, unary_logits: Tensor, image: Tensor,
                depth: Tensor | None) -> Tensor:
        num, classes, height, width = unary_logits.shape
        dtype = torch.promote_types(unary_logits.dtype, torch.float32)
        with torch.no_grad():
            features = self.kernel_features(
                image.detach().to(dtype),
                None if depth is None else depth.detach().to(dtype))
        if self.num_iters == 0 or not features:
            return unary_logits
        unary = unary_logits.to(dtype)
        if self.filter_mode == 'lattice':
            plan = LatticeMeanFieldPlan(
                [self._lattice_filter(name, f, (height, width))
                 for name, f in features], num)
        else:
            plan = ExactMeanFieldPlan(
                [ExactGaussianFilter(f, self.normalize) for _, f in features])
        weights = self.kernel_weights()
        compat = compatibility_matrices(
            self.compatibility.to(dtype),
            [weights[name].to(dtype) for name, _ in features])
        out = mean_field(plan, unary.reshape(num, classes, height * width),
                         compat, self.num_iters, self.cache)
        return out.view(num, classes, height, width).to(unary_logits.dtype)
