"""Fig. 4 of Mousavian et al. (3DV 2016): the learned CRF weights.

Left: the compatibility ``mu(l, l')`` between classes; middle: the weights
``w(2)`` of the depth kernel; right: the weights ``w(1)`` of the appearance
(RGB) kernel; each a C x C heatmap with the class names on both axes (row =
label ``l`` of pixel i, column = label ``l'`` of pixel j).  A model without
the depth kernel (the "Sem-CRF" row) has no ``w(2)`` panel.

The matrices come from a ``DenseCRF`` state dict (``compatibility``, the
kernels' ``weight_logit_<kernel>`` and ``weight_total``, under any prefix such
as ``refiner.``; older checkpoints with free ``weight_<kernel>`` matrices are
read too); rendering uses matplotlib's Agg canvas (no pyplot state).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from jointdepthseg.fileio import atomic_write_png
from jointdepthseg.models.refiners.kernel_weights import \
    kernel_weights_from_logits

KERNELS = ('appearance', 'depth', 'smooth')

# (state-dict name, panel title), in the paper's left-to-right order.
PANELS = (
    ('compatibility', 'compatibility $\\mu(l, l\')$'),
    ('weight_depth', '$w^{(2)}$: depth kernel'),
    ('weight_appearance', '$w^{(1)}$: appearance (RGB) kernel'),
)
PANEL_INCHES = 7.0
DPI = 100
CMAP = 'viridis'


def crf_matrices_from_state_dict(state_dict: Mapping) -> dict:
    """Find the DenseCRF matrices in a (model or checkpoint) state dict.

    Args:
        state_dict: parameter name -> tensor/array, e.g. a checkpoint's
            ``state_dict``; the CRF's names may carry any prefix
            (``refiner.compatibility``).

    Returns:
        dict: ``compatibility``, ``weight_appearance`` and, if present,
        ``weight_depth``, each a (C, C) float64 array.

    Raises:
        KeyError: no CRF compatibility, or several CRFs, in the dict.
    """
    prefixes = {key[:-len('compatibility')] for key in state_dict
                if key == 'compatibility' or key.endswith('.compatibility')}
    if not prefixes:
        raise KeyError('crf_weights.py: no DenseCRF "compatibility" matrix in '
                       'the state dict (is this a stage-3 checkpoint?)')
    if len(prefixes) > 1:
        raise KeyError('crf_weights.py: several DenseCRF modules in the state '
                       f'dict: {sorted(prefixes)}')
    prefix = prefixes.pop()

    def array(name):
        value = state_dict.get(prefix + name)
        if value is None:
            return None
        if hasattr(value, 'detach'):
            value = value.detach().cpu().numpy()
        return np.asarray(value, dtype=np.float64)

    matrices = {'compatibility': array('compatibility')}
    logits = {k: array(f'weight_logit_{k}') for k in KERNELS}
    logits = {k: v for k, v in logits.items() if v is not None}
    if logits:  # w(m) = W * softmax over the kernels (kernel_weights.py)
        total = array('weight_total')
        if total is None:
            raise KeyError(f'crf_weights.py: {prefix}weight_total is missing')
        weights = kernel_weights_from_logits(
            [torch.from_numpy(v) for v in logits.values()], float(total))
        weights = dict(zip(logits, (w.numpy() for w in weights)))
    else:  # checkpoints before the shared-total parametrisation
        weights = {k: array(f'weight_{k}') for k in KERNELS}
    for kernel in ('appearance', 'depth'):
        if weights.get(kernel) is not None:
            matrices[f'weight_{kernel}'] = weights[kernel]
    if 'weight_appearance' not in matrices:
        raise KeyError(f'crf_weights.py: {prefix}weight_logit_appearance is '
                       'missing')
    return matrices


def fig4_crf_weights(matrices: Mapping, class_names: Sequence[str],
                     highlight: Sequence[Sequence[int]] = ()) -> np.ndarray:
    """Render the C x C heatmaps side by side.

    Args:
        matrices: ``compatibility``, ``weight_appearance`` and optionally
            ``weight_depth``, each (C, C).
        class_names: C names, the tick labels.
        highlight: class-id pairs ``(a, b)`` outlined in red in every panel,
            both orders (e.g. the depth-only pairs of the depth-cue rooms).

    Returns:
        (h, w, 3) uint8 RGB figure.

    Raises:
        ValueError: a matrix is not (C, C) with C = len(class_names).
    """
    names = list(class_names)
    panels = [(key, title) for key, title in PANELS if key in matrices]
    for key, _ in panels:
        shape = np.shape(matrices[key])
        if shape != (len(names), len(names)):
            raise ValueError(f'crf_weights.py: {key} has shape {shape}, '
                             f'expected ({len(names)}, {len(names)}) for '
                             f'{len(names)} class names')
    fig = Figure(figsize=(PANEL_INCHES * len(panels), PANEL_INCHES * 1.05),
                 dpi=DPI, facecolor='white')
    FigureCanvasAgg(fig)
    fontsize = max(4.0, min(9.0, 260.0 / max(len(names), 1)))
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for axis, (key, title) in zip(axes, panels):
        image = axis.imshow(np.asarray(matrices[key]), cmap=CMAP,
                            interpolation='nearest')
        axis.set_title(title, fontsize=11)
        ticks = np.arange(len(names))
        axis.set_xticks(ticks)
        axis.set_yticks(ticks)
        axis.set_xticklabels(names, rotation=90, fontsize=fontsize)
        axis.set_yticklabels(names, fontsize=fontsize)
        fig.colorbar(image, ax=axis, fraction=0.046, pad=0.02)
        for a, b in highlight:
            for row, col in ((a, b), (b, a)):
                axis.add_patch(Rectangle((col - 0.5, row - 0.5), 1, 1,
                                         fill=False, edgecolor='red',
                                         linewidth=1.5))
    fig.tight_layout()
    canvas = fig.canvas
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def plot_crf_weights(matrices: Mapping, class_names: Sequence[str],
                     path: str | None = None,
                     highlight: Sequence[Sequence[int]] = ()) -> np.ndarray:
    """Fig. 4 as an RGB array, also written to ``path`` (png) if given.

    Args:
        matrices: see :func:`fig4_crf_weights` (or a state dict, see
            :func:`crf_matrices_from_state_dict`).
        class_names: the C class names.
        path: png file to write atomically.
        highlight: class-id pairs outlined in red (see fig4_crf_weights).

    Returns:
        (h, w, 3) uint8 RGB figure.
    """
    if 'weight_appearance' not in matrices:
        matrices = crf_matrices_from_state_dict(matrices)
    rgb = fig4_crf_weights(matrices, class_names, highlight)
    if path is not None:
        atomic_write_png(path, rgb, rgb=True)
    return rgb
