"""Pinhole camera of the synthetic rooms: NYU Kinect intrinsics, any size.

Frames and units (metres throughout):

* World: ``x`` and ``z`` span the floor, ``y`` points up, the floor is
  ``y = 0``.
* Camera (OpenCV): ``x`` right, ``y`` down, ``z`` forward. The depth of a
  point is its camera ``z`` -- the quantity NYUDepth v2 stores.

Ray directions are scaled so that their camera ``z`` component is 1, so the
ray parameter ``t`` of a hit *is* its depth.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: NYU toolbox ``camera_params.m`` (RGB camera), 640x480, 1-based pixels.
NYU_KINECT_RGB_INTRINSICS = dict(fx=518.86, fy=519.47, cx=325.58, cy=253.74)
NYU_IMAGE_SIZE = (480, 640)


def nyu_intrinsics(size: tuple[int, int]) -> tuple[float, float, float, float]:
    """NYU Kinect RGB intrinsics scaled to an output size.

    The toolbox's principal point is in MATLAB's 1-based pixel coordinates;
    it is moved to 0-based pixel centres (``c - 1``) and scaled about the
    image corner (``(c + 0.5) * s - 0.5``), so pixel ``(u, v)`` of the output
    looks where the same relative point of a 640x480 frame looks.

    Args:
        size: output ``(height, width)`` in pixels.

    Returns:
        ``(fx, fy, cx, cy)`` in output pixels, 0-based pixel centres.
    """
    height, width = size
    scale_x = width / NYU_IMAGE_SIZE[1]
    scale_y = height / NYU_IMAGE_SIZE[0]
    k = NYU_KINECT_RGB_INTRINSICS
    return (k['fx'] * scale_x, k['fy'] * scale_y,
            (k['cx'] - 1.0 + 0.5) * scale_x - 0.5,
            (k['cy'] - 1.0 + 0.5) * scale_y - 0.5)


def look_rotation(yaw: float, pitch: float, roll: float = 0.0) -> np.ndarray:
    """World-from-camera rotation of a camera with the given heading.

    Args:
        yaw: radians about the world up axis; 0 looks along world ``+z``,
            positive turns towards world ``+x``.
        pitch: radians, positive tilts the view down towards the floor.
        roll: radians about the viewing direction.

    Returns:
        (3, 3) float64 matrix whose columns are the camera's right, down and
        forward axes in world coordinates (a proper rotation, det = +1).
    """
    forward = np.array([math.sin(yaw) * math.cos(pitch), -math.sin(pitch),
                        math.cos(yaw) * math.cos(pitch)])
    right = np.cross(forward, [0.0, 1.0, 0.0])
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    right, down = (math.cos(roll) * right + math.sin(roll) * down,
                   -math.sin(roll) * right + math.cos(roll) * down)
    return np.stack([right, down, forward], axis=1)


@dataclass(frozen=True)
class PinholeCamera:
    """A posed pinhole camera.

    Attributes:
        fx, fy, cx, cy: intrinsics in pixels (0-based pixel centres).
        height, width: image size in pixels.
        position: (3,) camera centre in world metres.
        rotation: (3, 3) world-from-camera rotation (see ``look_rotation``).
    """

    fx: float
    fy: float
    cx: float
    cy: float
    height: int
    width: int
    position: np.ndarray
    rotation: np.ndarray

    @classmethod
    def nyu(cls, size: tuple[int, int], position, yaw: float, pitch: float,
            roll: float = 0.0) -> 'PinholeCamera':
        """NYU Kinect intrinsics at ``size`` (H, W), posed by yaw, pitch
        and roll (radians, see ``look_rotation``)."""
        if len(size) != 2 or min(size) < 1:
            raise ValueError(f'camera size must be (height, width) >= 1, '
                             f'got {size}')
        fx, fy, cx, cy = nyu_intrinsics(size)
        return cls(fx, fy, cx, cy, int(size[0]), int(size[1]),
                   np.asarray(position, dtype=np.float64),
                   look_rotation(yaw, pitch, roll))

    def ray_directions(self) -> np.ndarray:
        """World ray directions through every pixel centre.

        Returns:
            (H, W, 3) float64; each ray's camera ``z`` component is 1, so a
            hit at ray parameter ``t`` has depth ``t`` metres.
        """
        u = (np.arange(self.width) - self.cx) / self.fx
        v = (np.arange(self.height) - self.cy) / self.fy
        cam = np.empty((self.height, self.width, 3))
        cam[..., 0] = u[None, :]
        cam[..., 1] = v[:, None]
        cam[..., 2] = 1.0
        return cam @ self.rotation.T

    def project(self, points: np.ndarray) -> tuple[np.ndarray, ...]:
        """Project world points to pixels.

        Args:
            points: (N, 3) world metres.

        Returns:
            ``(u, v, z)``, each (N,): pixel column, pixel row (0-based
            centres) and depth in metres; ``u``/``v`` are meaningless where
            ``z <= 0`` (behind the camera).
        """
        cam = (np.asarray(points, dtype=np.float64) - self.position) \
            @ self.rotation
        z = cam[:, 2]
        with np.errstate(divide='ignore', invalid='ignore'):
            u = self.fx * cam[:, 0] / z + self.cx
            v = self.fy * cam[:, 1] / z + self.cy
        return u, v, z
