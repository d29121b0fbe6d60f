"""datasets/synthetic/kinect_holes.py: where the raw depth has holes, and its
noise."""
from __future__ import annotations

import numpy as np

from jointdepthseg.datasets.synthetic.kinect_holes import (
    KINECT_BASELINE_M, axial_noise_std, depth_edge_holes, kinect_raw_depth,
    projector_shadow)


def test_projector_shadow_is_left_of_objects_and_as_wide_as_parallax():
    fx = 259.43
    depth = np.full((4, 60), 3.0)
    depth[:, 30:40] = 1.5
    shadow = projector_shadow(depth, fx)
    width = fx * KINECT_BASELINE_M * (1 / 1.5 - 1 / 3.0)  # 6.49 px
    expected = np.zeros(60, dtype=bool)
    expected[30 - int(width):30] = True
    for row in shadow:
        np.testing.assert_array_equal(row, expected)


def test_depth_edge_holes_mark_both_sides_of_a_jump_only():
    depth = np.full((5, 8), 2.0)
    depth[:, 4:] = 2.5
    depth[:, 6:] += 0.01  # a 0.4 % step is no edge
    edges = depth_edge_holes(depth, relative_jump=0.05)
    assert edges[:, 3:5].all() and not edges[:, :3].any() \
        and not edges[:, 5:].any()


def test_raw_depth_holes_follow_their_causes():
    rng = np.random.default_rng(0)
    depth = np.full((20, 30), 2.0)
    depth[0, :] = 9.0  # too far
    depth[1, :] = 0.3  # too close
    depth[2, :] = 0.0  # no surface
    luma = np.full(depth.shape, 0.5)
    luma[3, :] = 0.02  # dark
    cos = np.ones(depth.shape)
    cos[4, :] = 0.05  # grazing
    absorbing = np.zeros(depth.shape, dtype=bool)
    absorbing[5, :] = True  # glass
    raw = kinect_raw_depth(depth, luma, cos, absorbing, fx=259.0, rng=rng,
                           max_range_m=8.0)
    assert raw.dtype == np.float32
    assert np.all(raw[:6] == 0)
    valid = raw[6:]
    assert np.all(valid > 0)
    sigma = axial_noise_std(2.0)
    assert np.all(np.abs(valid - 2.0) < 6 * sigma)
    assert abs(valid.std() - sigma) < 0.3 * sigma
