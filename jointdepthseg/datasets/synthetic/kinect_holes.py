"""Kinect-like raw depth: the exact depth with the holes a Kinect v1 leaves.

NYUDepth v2's ``rawDepths`` miss depth where the structured-light sensor gets
no usable return. Each cause is one function returning a (H, W) bool mask:

* ``range_holes``: closer than the minimum range (~0.45 m) or beyond the
  reliable maximum range (~8 m; each frame draws its own limit);
* ``dark_holes``: surfaces that reflect too little infrared (dark albedo);
  ``ir_absorbing`` materials (window glass, screens) always give holes;
* ``grazing_holes``: surfaces seen at grazing angles (|cos| small);
* ``projector_shadow``: background the IR projector cannot light because a
  closer object is in the way; the projector sits ``baseline_m`` to the
  camera's right, so the shadow lies left of foreground objects and is
  ``fx * baseline * (1/z_near - 1/z_far)`` pixels wide;
* ``depth_edge_holes``: mixed pixels on depth discontinuities.

Valid pixels get the Kinect's axial noise (Nguyen et al. 2012).
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

#: Kinect v1 projector-to-IR-camera baseline, metres.
KINECT_BASELINE_M = 0.075


def range_holes(depth: np.ndarray, min_range_m: float, max_range_m: float
                ) -> np.ndarray:
    """Pixels outside ``[min_range_m, max_range_m]`` (depth metres)."""
    return (depth < min_range_m) | (depth > max_range_m)


def dark_holes(albedo_luma: np.ndarray, threshold: float) -> np.ndarray:
    """Pixels whose albedo (mean RGB reflectance, [0, 1]) is below
    ``threshold``."""
    return albedo_luma < threshold


def grazing_holes(cos_incidence: np.ndarray, threshold: float) -> np.ndarray:
    """Pixels seen at |cos(ray, normal)| below ``threshold``."""
    return cos_incidence < threshold


def projector_shadow(depth: np.ndarray, fx: float,
                     baseline_m: float = KINECT_BASELINE_M) -> np.ndarray:
    """Pixels the projector cannot light (it sits to the camera's right).

    Pixel ``u`` is shadowed if a pixel ``u + k`` (k >= 1) of the same row is
    so much closer that it blocks the projector's ray to ``u``: with the
    disparity ``d = fx * baseline / depth`` (pixels), ``d[u+k] - d[u] >= k``.

    Args:
        depth: (H, W) metres; <= 0 or non-finite = no surface (never blocks).
        fx: focal length in pixels.
        baseline_m: camera-to-projector distance, metres.

    Returns:
        (H, W) bool.
    """
    valid = np.isfinite(depth) & (depth > 0)
    disparity = np.zeros(depth.shape)
    disparity[valid] = fx * baseline_m / depth[valid]
    shadow = np.zeros(depth.shape, dtype=bool)
    span = disparity.max(initial=0.0) - disparity[valid].min(initial=0.0)
    max_shift = min(int(np.floor(span)), depth.shape[1] - 1)
    for k in range(1, max_shift + 1):
        shadow[:, :-k] |= disparity[:, k:] - disparity[:, :-k] >= k
    return shadow & valid


def depth_edge_holes(depth: np.ndarray, relative_jump: float) -> np.ndarray:
    """Pixels with a 4-neighbour whose depth differs by more than
    ``relative_jump`` times their own depth (both sides of the edge)."""
    edges = np.zeros(depth.shape, dtype=bool)
    dv = np.abs(np.diff(depth, axis=0))
    du = np.abs(np.diff(depth, axis=1))
    jump_v = dv > relative_jump * np.minimum(depth[1:], depth[:-1])
    jump_u = du > relative_jump * np.minimum(depth[:, 1:], depth[:, :-1])
    edges[1:] |= jump_v
    edges[:-1] |= jump_v
    edges[:, 1:] |= jump_u
    edges[:, :-1] |= jump_u
    return edges


def axial_noise_std(depth: np.ndarray) -> np.ndarray:
    """Kinect v1 axial noise std, metres: 0.0012 + 0.0019 (z - 0.4)^2
    (Nguyen, Izadi, Lovell, 3DIMPVT 2012)."""
    return 0.0012 + 0.0019 * (depth - 0.4) ** 2


def kinect_raw_depth(depth: np.ndarray, albedo_luma: np.ndarray,
                     cos_incidence: np.ndarray, ir_absorbing: np.ndarray,
                     fx: float, rng: np.random.Generator,
                     max_range_m: float = 8.0, min_range_m: float = 0.45,
                     dark_threshold: float = 0.07,
                     grazing_threshold: float = 0.12,
                     edge_relative_jump: float = 0.05) -> np.ndarray:
    """Raw depth with Kinect-like holes and noise.

    Args:
        depth: (H, W) exact depth, metres; 0 / non-finite = none.
        albedo_luma: (H, W) mean albedo in [0, 1].
        cos_incidence: (H, W) |cos| between the ray and the surface normal.
        ir_absorbing: (H, W) bool, surfaces that return no infrared.
        fx: focal length, pixels (sets the projector-shadow width).
        rng: random generator (edge dilation and noise).
        max_range_m, min_range_m: the sensor's range, metres.
        dark_threshold: albedo below which the return is too weak.
        grazing_threshold: |cos| below which the return is too weak.
        edge_relative_jump: relative depth jump that marks a depth edge.

    Returns:
        (H, W) float32 metres, 0 = hole; non-zero only where ``depth`` is.
    """
    valid = np.isfinite(depth) & (depth > 0)
    depth = np.where(valid, depth, 0.0)
    edges = depth_edge_holes(depth, edge_relative_jump) & valid
    # Random 1-pixel widening of the edge band, as the Kinect's is ragged.
    edges |= ndimage.binary_dilation(edges) & (rng.random(depth.shape) < 0.5)
    holes = (~valid | range_holes(depth, min_range_m, max_range_m)
             | dark_holes(albedo_luma, dark_threshold) | ir_absorbing
             | grazing_holes(cos_incidence, grazing_threshold)
             | projector_shadow(depth, fx) | edges)
    noisy = depth + rng.standard_normal(depth.shape) * axial_noise_std(depth)
    raw = np.where(holes, 0.0, np.maximum(noisy, 1e-3))
    return raw.astype(np.float32)
