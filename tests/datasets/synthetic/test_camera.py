"""datasets/synthetic/camera.py: NYU intrinsics and the camera's pose."""
from __future__ import annotations

import math

import numpy as np
import pytest

from jointdepthseg.datasets.synthetic import nyu_intrinsics
from tests.helpers.synthetic_rooms import level_camera


def test_intrinsics_are_nyu_kinect_scaled_about_pixel_centres():
    assert nyu_intrinsics((480, 640)) == pytest.approx(
        (518.86, 519.47, 324.58, 252.74))
    fx, fy, cx, cy = nyu_intrinsics((240, 320))
    assert (fx, fy) == pytest.approx((259.43, 259.735))
    # pixel centre c0 of the full frame maps to (c0 + 0.5) / 2 - 0.5
    assert (cx, cy) == pytest.approx((162.04, 126.12))


def test_camera_rotation_is_proper_and_looks_where_told():
    camera = level_camera(yaw=0.4, pitch=0.3, roll=0.05)
    rot = camera.rotation
    np.testing.assert_allclose(rot.T @ rot, np.eye(3), atol=1e-12)
    assert np.linalg.det(rot) == pytest.approx(1.0)
    forward = rot[:, 2]
    assert forward == pytest.approx([math.sin(0.4) * math.cos(0.3),
                                     -math.sin(0.3),
                                     math.cos(0.4) * math.cos(0.3)])
    # projecting points along the pixel rays returns the pixels
    rays = camera.ray_directions()
    points = camera.position + 2.5 * rays.reshape(-1, 3)
    u, v, z = camera.project(points)
    grid_v, grid_u = np.mgrid[0:camera.height, 0:camera.width]
    np.testing.assert_allclose(u, grid_u.ravel(), atol=1e-9)
    np.testing.assert_allclose(v, grid_v.ravel(), atol=1e-9)
    np.testing.assert_allclose(z, 2.5, atol=1e-12)
