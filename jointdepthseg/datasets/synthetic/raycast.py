"""Exact ray casting of axis-aligned boxes and quads, vectorised over pixels.

Rays start at the camera centre and have camera ``z`` component 1 (see
``camera.py``), so the ray parameter of the nearest hit is the pixel's depth
(z distance, metres). Each primitive is tested only against the pixels inside
the bounding rectangle of its projected corners; that rectangle contains
every pixel whose ray can hit a convex primitive in front of the camera, so
the culling is exact.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .camera import PinholeCamera
from .scene import Box, Quad

#: Hits closer than this ray parameter (metres) are ignored.
MIN_T = 1e-6


@dataclass
class RayHits:
    """Nearest hit per pixel.

    Attributes:
        depth: (H, W) float64 metres (camera z); ``inf`` where nothing is hit.
        index: (H, W) int32 index of the hit primitive; -1 where none.
        axis: (H, W) int8 world axis (0, 1, 2) of the hit face's normal.
        directions: (H, W, 3) the world ray directions (camera z = 1).
    """

    depth: np.ndarray
    index: np.ndarray
    axis: np.ndarray
    directions: np.ndarray

    def normals(self) -> np.ndarray:
        """(H, W, 3) unit face normals facing the camera (0 where no hit)."""
        normals = np.zeros_like(self.directions)
        rows, cols = np.nonzero(self.index >= 0)
        axes = self.axis[rows, cols]
        normals[rows, cols, axes] = -np.sign(
            self.directions[rows, cols, axes])
        return normals


def _safe_inverse(directions: np.ndarray) -> np.ndarray:
    """1 / d with components of magnitude < 1e-12 replaced by +-1e-12."""
    sign = np.where(directions < 0, -1.0, 1.0)
    return 1.0 / np.where(np.abs(directions) < 1e-12, sign * 1e-12,
                          directions)


def intersect_box(origin: np.ndarray, directions: np.ndarray, lo, hi
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Entry point of rays into an axis-aligned box (slab method).

    Args:
        origin: (3,) ray origin, world metres (outside the box).
        directions: (..., 3) ray directions.
        lo, hi: (3,) box corners, ``lo <= hi``.

    Returns:
        ``(t, axis)``: (...) ray parameter of the entry point (``inf`` where
        the ray misses or the box is behind), and (...) int axis of the
        entered face.
    """
    inverse = _safe_inverse(directions)
    t0 = (np.asarray(lo) - origin) * inverse
    t1 = (np.asarray(hi) - origin) * inverse
    t_near = np.minimum(t0, t1)
    t_far = np.maximum(t0, t1)
    axis = t_near.argmax(axis=-1)
    t_enter = np.take_along_axis(t_near, axis[..., None], axis=-1)[..., 0]
    t_exit = t_far.min(axis=-1)
    hit = (t_enter <= t_exit) & (t_enter > MIN_T)
    return np.where(hit, t_enter, np.inf), axis


def intersect_quad(origin: np.ndarray, directions: np.ndarray, quad: Quad
                   ) -> np.ndarray:
    """Ray parameter of the hit with an axis-aligned rectangle.

    Args:
        origin: (3,) ray origin, world metres.
        directions: (..., 3) ray directions.
        quad: the rectangle.

    Returns:
        (...) ray parameter, ``inf`` where the ray misses.
    """
    a, b = quad.other_axes()
    along = directions[..., quad.axis]
    with np.errstate(divide='ignore', invalid='ignore'):
        t = (quad.offset - origin[quad.axis]) / along
    p_a = origin[a] + t * directions[..., a]
    p_b = origin[b] + t * directions[..., b]
    hit = ((t > MIN_T) & (p_a >= quad.lo[0]) & (p_a <= quad.hi[0])
           & (p_b >= quad.lo[1]) & (p_b <= quad.hi[1]))
    return np.where(hit, t, np.inf)


def pixel_window(camera: PinholeCamera, corners: np.ndarray):
    """Pixel rectangle that can see a convex primitive with these corners.

    Returns:
        ``(v0, v1, u0, u1)`` slice bounds, or None if the primitive is
        entirely behind the camera or projects outside the image.
    """
    u, v, z = camera.project(corners)
    if np.all(z <= 0):
        return None
    if np.any(z <= MIN_T):  # straddles the camera plane: test everything
        return 0, camera.height, 0, camera.width
    u0 = max(int(np.floor(u.min())) - 1, 0)
    u1 = min(int(np.ceil(u.max())) + 2, camera.width)
    v0 = max(int(np.floor(v.min())) - 1, 0)
    v1 = min(int(np.ceil(v.max())) + 2, camera.height)
    if u0 >= u1 or v0 >= v1:
        return None
    return v0, v1, u0, u1


def cast_rays(camera: PinholeCamera, primitives: list) -> RayHits:
    """Nearest primitive along every pixel's ray.

    Args:
        camera: the posed camera.
        primitives: ``Box``/``Quad`` list; on an exact tie the earlier wins.

    Returns:
        ``RayHits`` with depth in metres (z distance).
    """
    directions = camera.ray_directions()
    shape = (camera.height, camera.width)
    depth = np.full(shape, np.inf)
    index = np.full(shape, -1, dtype=np.int32)
    axis = np.zeros(shape, dtype=np.int8)
    origin = camera.position
    for i, primitive in enumerate(primitives):
        window = pixel_window(camera, primitive.corners())
        if window is None:
            continue
        v0, v1, u0, u1 = window
        rays = directions[v0:v1, u0:u1]
        if isinstance(primitive, Box):
            t, hit_axis = intersect_box(origin, rays, primitive.lo,
                                        primitive.hi)
        elif isinstance(primitive, Quad):
            t = intersect_quad(origin, rays, primitive)
            hit_axis = primitive.axis
        else:
            raise TypeError(f'cannot ray-cast {type(primitive).__name__}')
        best = depth[v0:v1, u0:u1]
        closer = t < best
        best[closer] = t[closer]
        index[v0:v1, u0:u1][closer] = i
        axis[v0:v1, u0:u1][closer] = (hit_axis[closer] if isinstance(
            hit_axis, np.ndarray) else hit_axis)
    return RayHits(depth, index, axis, directions)
