"""Qualitative figures of Mousavian et al. (3DV 2016), Fig. 2 and Fig. 3.

* Fig. 2: (a) input, (b) ground-truth labels, (c) predicted labels, (d) raw
  Kinect depth with its holes in black, (e) estimated depth; one depth colour
  bar shared by (d) and (e).
* Fig. 3: (a) input, (b) ground-truth labels, (c) labels with the CRF,
  (d) the semantic unaries without the CRF.

Figures are rendered off-screen with matplotlib's Agg canvas (no pyplot
state) into an RGB array whose pixel size is fixed by :func:`figure_size_px`:
panels of ``round(H * scale) x round(W * scale)`` pixels side by side, a
title band above and, for Fig. 2, a colour bar on the right.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

DPI = 100
TITLE_PX = 28
GAP_PX = 8
COLORBAR_PX = 80
COLORBAR_WIDTH_PX = 14
DEPTH_CMAP = 'turbo'
HOLE_RGB = (0, 0, 0)
UNLABELED_RGB = (0, 0, 0)
FIG2_TITLES = ('(a) input', '(b) ground truth', '(c) prediction',
               '(d) raw depth', '(e) estimated depth')
FIG3_TITLES = ('(a) input', '(b) ground truth', '(c) with CRF',
               '(d) without CRF (unaries)')


def figure_size_px(image_hw: tuple[int, int], num_panels: int,
                   colorbar: bool, scale: float) -> tuple[int, int]:
    """(height, width) in pixels of a figure with ``num_panels`` panels."""
    panel_h, panel_w = _panel_px(image_hw, scale)
    width = num_panels * panel_w + (num_panels + 1) * GAP_PX
    width += COLORBAR_PX if colorbar else 0
    return TITLE_PX + panel_h + GAP_PX, width


def colorize_labels(labels: np.ndarray, palette: Sequence[Sequence[int]],
                    ignore_index: int = 255) -> np.ndarray:
    """(H, W) class indices -> (H, W, 3) uint8 RGB; ``ignore_index`` black.

    Raises:
        ValueError: a label is neither a palette index nor ``ignore_index``.
    """
    labels = np.asarray(labels)
    colours = np.asarray(palette, dtype=np.uint8).reshape(-1, 3)
    ignored = labels == ignore_index
    known = labels[~ignored]
    if known.size and (known.min() < 0 or known.max() >= len(colours)):
        raise ValueError(
            f'labels must lie in [0, {len(colours)}) or be {ignore_index}; '
            f'found [{known.min()}, {known.max()}]')
    rgb = colours[np.where(ignored, 0, labels)]
    rgb[ignored] = UNLABELED_RGB
    return rgb


def depth_display_range(*depths: Optional[np.ndarray]) -> tuple[float, float]:
    """(0, max) over the valid (finite, > 0) values of the given depths, m."""
    maxima = []
    for depth in depths:
        if depth is None:
            continue
        valid = depth[np.isfinite(depth) & (depth > 0)]
        if valid.size:
            maxima.append(float(valid.max()))
    return 0.0, max(maxima, default=1.0)


def fig2_joint_prediction(image: np.ndarray,
                          gt_labels: np.ndarray,
                          pred_labels: np.ndarray,
                          pred_depth: Optional[np.ndarray],
                          raw_depth: Optional[np.ndarray],
                          palette: Sequence[Sequence[int]],
                          ignore_index: int = 255,
                          depth_range_m: Optional[tuple[float, float]] = None,
                          scale: float = 0.5) -> np.ndarray:
    """Fig. 2 panels of one image.

    Args:
        image: (H, W, 3) uint8 RGB input.
        gt_labels: (H', W') ground-truth classes, ``ignore_index`` unlabeled.
        pred_labels: (H', W') predicted classes.
        pred_depth: (H', W') estimated depth, metres; None (a model without
            a depth head) draws an "n/a" panel.
        raw_depth: (H', W') raw sensor depth, metres, 0 = hole (drawn black);
            None draws an "n/a" panel.
        palette: (C, 3) RGB colours of the classes (dataset_meta['palette']).
        ignore_index: unlabeled value, drawn black.
        depth_range_m: colour-bar limits, metres; default 0 to the largest
            depth shown.
        scale: panel pixels per input pixel.

    Returns:
        (h, w, 3) uint8 RGB figure, ``(h, w) = figure_size_px(...)``.
    """
    vmin, vmax = depth_range_m or depth_display_range(raw_depth, pred_depth)
    norm = Normalize(vmin=vmin, vmax=vmax)
    fig, axes = _panel_figure(image.shape[:2], FIG2_TITLES, True, scale)
    _show_rgb(axes[0], image)
    _show_rgb(axes[1], colorize_labels(gt_labels, palette, ignore_index))
    _show_rgb(axes[2], colorize_labels(pred_labels, palette, ignore_index))
    if raw_depth is None:
        _show_not_available(axes[3])
    else:
        holes = ~(np.isfinite(raw_depth) & (raw_depth > 0))
        _show_depth(axes[3], np.ma.masked_array(raw_depth, holes), norm)
    if pred_depth is None:
        _show_not_available(axes[4])
    else:
        _show_depth(axes[4], np.ma.masked_invalid(pred_depth), norm)
    colorbar_axes = fig.add_axes(_colorbar_box(fig))
    fig.colorbar(ScalarMappable(norm=norm, cmap=colormaps[DEPTH_CMAP]),
                 cax=colorbar_axes).set_label('depth (m)')
    return _render(fig)


def fig3_crf_comparison(image: np.ndarray,
                        gt_labels: np.ndarray,
                        crf_labels: np.ndarray,
                        unary_labels: np.ndarray,
                        palette: Sequence[Sequence[int]],
                        ignore_index: int = 255,
                        scale: float = 0.5) -> np.ndarray:
    """Fig. 3 panels of one image: segmentation with and without the CRF.

    Args:
        image: (H, W, 3) uint8 RGB input.
        gt_labels: (H', W') ground-truth classes.
        crf_labels: (H', W') labels after the CRF (``pred_sem_seg``).
        unary_labels: (H', W') labels of the unaries
            (``pred_sem_seg_unary``).
        palette: (C, 3) RGB colours of the classes.
        ignore_index: unlabeled value, drawn black.
        scale: panel pixels per input pixel.

    Returns:
        (h, w, 3) uint8 RGB figure, ``(h, w) = figure_size_px(...)``.
    """
    fig, axes = _panel_figure(image.shape[:2], FIG3_TITLES, False, scale)
    _show_rgb(axes[0], image)
    for axis, labels in zip(axes[1:], (gt_labels, crf_labels, unary_labels)):
        _show_rgb(axis, colorize_labels(labels, palette, ignore_index))
    return _render(fig)


def _panel_px(image_hw: tuple[int, int], scale: float) -> tuple[int, int]:
    """Panel (height, width) in pixels, at least 1."""
    if scale <= 0:
        raise ValueError(f'scale must be positive, got {scale}')
    return (max(1, round(image_hw[0] * scale)),
            max(1, round(image_hw[1] * scale)))


def _panel_figure(image_hw: tuple[int, int], titles: Sequence[str],
                  colorbar: bool, scale: float) -> tuple[Figure, list]:
    """An empty figure with one titled, axis-free panel per title."""
    height, width = figure_size_px(image_hw, len(titles), colorbar, scale)
    panel_h, panel_w = _panel_px(image_hw, scale)
    fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI,
                 facecolor='white')
    FigureCanvasAgg(fig)
    axes = []
    for index, title in enumerate(titles):
        left = GAP_PX + index * (panel_w + GAP_PX)
        axis = fig.add_axes((left / width, GAP_PX / height, panel_w / width,
                             panel_h / height))
        axis.set_axis_off()
        axis.set_title(title, fontsize=9, pad=4)
        axes.append(axis)
    return fig, axes


def _colorbar_box(fig: Figure) -> tuple[float, float, float, float]:
    """Axes box (figure fractions) of the colour bar at the right edge."""
    width, height = fig.bbox.width, fig.bbox.height
    left = width - COLORBAR_PX + GAP_PX
    return (left / width, GAP_PX / height, COLORBAR_WIDTH_PX / width,
            (height - TITLE_PX - GAP_PX) / height)


def _show_rgb(axis, rgb: np.ndarray) -> None:
    """Draw an RGB array filling the panel."""
    axis.imshow(rgb, interpolation='nearest', aspect='auto')


def _show_not_available(axis) -> None:
    """An empty panel that says the map does not exist."""
    axis.text(0.5, 0.5, 'n/a', ha='center', va='center',
              transform=axis.transAxes, fontsize=12)


def _show_depth(axis, depth: np.ma.MaskedArray, norm: Normalize):
    """Draw a depth map; masked pixels (holes) in black."""
    cmap = colormaps[DEPTH_CMAP].with_extremes(
        bad=np.asarray(HOLE_RGB) / 255.0)
    return axis.imshow(depth, cmap=cmap, norm=norm, interpolation='nearest',
                       aspect='auto')


def _render(fig: Figure) -> np.ndarray:
    """Rasterise the figure to (h, w, 3) uint8 RGB."""
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
