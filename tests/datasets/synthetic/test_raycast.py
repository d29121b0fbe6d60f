"""datasets/synthetic/raycast.py against closed-form depths and a brute-force,
one-ray-at-a-time intersection written independently of ``raycast.py``."""
from __future__ import annotations

import math

import numpy as np

from jointdepthseg.datasets.synthetic import cast_rays, sample_scene
from jointdepthseg.datasets.synthetic.scene import Box, Quad
from tests.helpers.synthetic_rooms import level_camera, unit_rays


def test_camera_facing_wall_at_3m_sees_depth_3_everywhere():
    wall = Quad(axis=2, offset=3.0, lo=(-50, -50), hi=(50, 50), label=0,
                material=0)
    hits = cast_rays(level_camera(), [wall])
    assert np.all(hits.index == 0)
    np.testing.assert_allclose(hits.depth, 3.0, rtol=0, atol=1e-12)
    assert np.all(hits.axis == 2)


def test_tilted_camera_hits_lie_on_the_wall_plane():
    camera = level_camera(position=(0.3, 1.4, 0.5), yaw=0.35, pitch=0.25,
                          roll=0.03)
    wall = Quad(axis=2, offset=4.0, lo=(-50, -50), hi=(50, 50), label=0,
                material=0)
    hits = cast_rays(camera, [wall])
    # independent: world z of the camera-frame point depth * (x', y', 1)
    points = camera.position + (hits.depth[..., None] * unit_rays(camera)) \
        @ camera.rotation.T
    np.testing.assert_allclose(points[..., 2], 4.0, atol=1e-9)


def test_floor_depth_at_row_v_is_height_fy_over_v_minus_cy():
    height_m = 1.4
    camera = level_camera(size=(48, 64), position=(0.0, height_m, 0.0))
    floor = Quad(axis=1, offset=0.0, lo=(-1e4, -1e4), hi=(1e4, 1e4),
                 label=1, material=0)
    hits = cast_rays(camera, [floor])
    rows = np.arange(camera.height)
    below = rows > camera.cy
    expected = height_m * camera.fy / (rows[below] - camera.cy)
    np.testing.assert_allclose(hits.depth[below],
                               np.repeat(expected[:, None], camera.width, 1),
                               rtol=1e-12)
    assert np.all(hits.index[~below] == -1)
    assert np.all(np.isinf(hits.depth[~below]))


def test_box_face_at_2m_in_front_of_wall_at_5m():
    camera = level_camera()
    box = Box(lo=(-0.5, -0.3, 2.0), hi=(0.5, 0.3, 2.6), label=2, material=0)
    wall = Quad(axis=2, offset=5.0, lo=(-50, -50), hi=(50, 50), label=0,
                material=0)
    hits = cast_rays(camera, [wall, box])
    rays = unit_rays(camera)
    inside = (np.abs(2.0 * rays[..., 0]) <= 0.5) & (np.abs(2.0 * rays[...,
                                                                  1]) <= 0.3)
    assert 0 < inside.sum() < inside.size
    np.testing.assert_array_equal(hits.index, np.where(inside, 1, 0))
    np.testing.assert_allclose(hits.depth, np.where(inside, 2.0, 5.0),
                               atol=1e-12)
    # the normal of the box face points back at the camera (-z)
    assert np.all(hits.normals()[inside] == [0.0, 0.0, -1.0])


def _brute_force_t(origin, direction, primitive) -> float:
    """Nearest hit of one ray, face by face (independent of raycast.py)."""
    if isinstance(primitive, Quad):
        faces = [(primitive.axis, primitive.offset,
                  dict(zip(primitive.other_axes(),
                           zip(primitive.lo, primitive.hi))))]
    else:
        faces = []
        for axis in range(3):
            bounds = {a: (primitive.lo[a], primitive.hi[a])
                      for a in range(3) if a != axis}
            faces += [(axis, primitive.lo[axis], bounds),
                      (axis, primitive.hi[axis], bounds)]
    best = math.inf
    for axis, plane, bounds in faces:
        if direction[axis] == 0:
            continue
        t = (plane - origin[axis]) / direction[axis]
        if t <= 1e-6 or t >= best:
            continue
        point = origin + t * direction
        if all(lo - 1e-9 <= point[a] <= hi + 1e-9
               for a, (lo, hi) in bounds.items()):
            best = t
    return best


def test_ray_casting_matches_brute_force_on_a_furnished_room():
    scene = sample_scene(np.random.default_rng(11), (12, 16))
    camera = scene.camera
    hits = cast_rays(camera, scene.primitives)
    rays = unit_rays(camera) @ camera.rotation.T
    expected_t = np.full((12, 16), np.inf)
    expected_i = np.full((12, 16), -1)
    for v in range(12):
        for u in range(16):
            for i, primitive in enumerate(scene.primitives):
                t = _brute_force_t(camera.position, rays[v, u], primitive)
                if t < expected_t[v, u]:
                    expected_t[v, u], expected_i[v, u] = t, i
    np.testing.assert_allclose(hits.depth, expected_t, rtol=1e-9)
    assert np.mean(hits.index == expected_i) >= 0.99
    assert np.all(np.isfinite(hits.depth))  # a closed room: every ray hits
