"""Tests of the embedded synthetic dataset (jointdepthseg.datasets.synthetic).

Geometry is checked against closed-form depths and against a brute-force,
one-ray-at-a-time intersection written independently of ``raycast.py``.
"""
from __future__ import annotations

import math
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest

from jointdepthseg.datasets.layout import (DEPTH_DIR, IMAGE_DIR, LABEL_DIR,
                                           RAW_DEPTH_DIR)
from jointdepthseg.datasets.nyu_classes import NYU40_CLASSES
from jointdepthseg.datasets.synthetic import (PinholeCamera, cast_rays,
                                              generate_dataset, nyu_intrinsics,
                                              render_room, render_scene,
                                              sample_name, sample_scene)
from jointdepthseg.datasets.synthetic.appearance import sample_material
from jointdepthseg.datasets.synthetic.kinect_holes import (
    KINECT_BASELINE_M, axial_noise_std, depth_edge_holes, kinect_raw_depth,
    projector_shadow)
from jointdepthseg.datasets.synthetic.scene import Box, Quad, Scene, class_id

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FOLDERS = (IMAGE_DIR, LABEL_DIR, DEPTH_DIR, RAW_DEPTH_DIR)
SMALL = (24, 32)


def level_camera(size=(60, 80), position=(0.0, 0.0, 0.0), yaw=0.0, pitch=0.0,
                 roll=0.0) -> PinholeCamera:
    return PinholeCamera.nyu(size, position, yaw=yaw, pitch=pitch, roll=roll)


def unit_rays(camera: PinholeCamera) -> np.ndarray:
    """(H, W, 3) camera-frame rays (x', y', 1), computed here, not by the
    camera."""
    v, u = np.mgrid[0:camera.height, 0:camera.width].astype(np.float64)
    return np.stack([(u - camera.cx) / camera.fx, (v - camera.cy) / camera.fy,
                     np.ones_like(u)], axis=-1)


# ----------------------------------------------------------------- camera


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


# --------------------------------------------------------------- geometry


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


# ------------------------------------------------------------ kinect holes


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


# -------------------------------------------------------------- rendering


def test_render_room_value_ranges():
    out = render_room(np.random.default_rng(5), (60, 80))
    assert out['image'].shape == (60, 80, 3) and out['image'].dtype == np.uint8
    assert out['labels'].shape == (60, 80) and out['labels'].dtype == np.uint8
    assert out['depth'].dtype == np.float32
    assert out['raw_depth'].dtype == np.float32
    labels = set(np.unique(out['labels']).tolist())
    assert labels <= set(range(40)) | {255}
    assert len(labels - {255}) >= 3
    depth, raw = out['depth'], out['raw_depth']
    assert np.all((depth > 0.05) & (depth < 12.0))
    assert np.all(raw[raw > 0] < 12.0) and np.all(raw >= 0)
    assert np.all(depth[raw > 0] > 0)
    near = raw > 0
    assert 0.3 < near.mean() < 1.0  # holes, but mostly valid
    assert np.all(np.abs(raw[near] - depth[near])
                  < 6 * axial_noise_std(depth[near]) + 1e-6)
    assert out['image'].std() > 10


def test_windows_and_screens_give_holes_in_raw_depth():
    camera = level_camera(size=(30, 40), position=(0.0, 0.0, 0.0))
    glass = sample_material(np.random.default_rng(0), 'glass')
    paint = sample_material(np.random.default_rng(1), 'paint')
    window = Quad(axis=2, offset=2.99, lo=(-0.5, -0.5), hi=(0.5, 0.5),
                  label=class_id('window'), material=0)
    wall = Quad(axis=2, offset=3.0, lo=(-50, -50), hi=(50, 50),
                label=class_id('wall'), material=1)
    scene = Scene(camera, [window, wall], [glass, paint],
                  light_position=np.array([0.0, 1.0, 1.0]))
    out = render_scene(scene, np.random.default_rng(0))
    is_window = out['labels'] == class_id('window')
    assert is_window.any() and (~is_window).any()
    assert np.all(out['raw_depth'][is_window] == 0)
    np.testing.assert_allclose(out['depth'], np.where(is_window, 2.99, 3.0),
                               atol=1e-6)


def test_rooms_use_many_classes_and_several_per_image():
    seen = set()
    for seed in range(12):
        labels = render_room(np.random.default_rng(seed), (30, 40))['labels']
        classes = set(np.unique(labels).tolist()) - {255}
        assert len(classes) >= 3, (seed, classes)
        seen |= classes
    assert len(seen) >= 12, sorted(NYU40_CLASSES[c] for c in seen)


def test_geometry_that_separates_classes_sharing_appearance():
    """Pictures stand 8-15 cm off the wall, mats 4-8 cm high, pillows and
    books are their own boxes (documented in docs/data.md)."""
    found = set()
    for seed in range(30):
        scene = sample_scene(np.random.default_rng(seed), SMALL)
        room = {axis: max(q.offset for q in scene.primitives
                          if isinstance(q, Quad) and q.axis == axis)
                for axis in range(3)}  # width, height, depth
        for p in scene.primitives:
            assert isinstance(p, Quad) or all(
                -1e-9 <= p.lo[a] and p.hi[a] <= room[a] + 1e-9
                for a in range(3)), p  # everything inside the room
            if not isinstance(p, Box):
                continue
            ext = np.subtract(p.hi, p.lo)
            if p.label == class_id('picture'):
                found.add('picture')
                thin = 0 if ext[0] < ext[2] else 2  # the wall normal, x or z
                assert 0.08 <= ext[thin] <= 0.15 + 1e-9
                assert min(p.lo[thin], room[thin] - p.hi[thin]) < 1e-9
            elif p.label == class_id('floor mat'):
                found.add('floor mat')
                assert p.lo[1] == 0.0 and 0.04 <= ext[1] <= 0.08
            elif p.label == class_id('pillow'):
                found.add('pillow')  # 10-20 cm proud of the sofa / bed
                assert 0.1 - 1e-9 <= min(ext) <= 0.2 + 1e-9
    assert found == {'picture', 'floor mat', 'pillow'}


# ----------------------------------------------------------- dataset files


def _read_all(root: str) -> dict[str, bytes]:
    files = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = osp.join(dirpath, name)
            with open(path, 'rb') as file:
                files[osp.relpath(path, root)] = file.read()
    return files


def test_generate_dataset_is_deterministic_for_a_seed(tmp_path):
    generate_dataset(str(tmp_path / 'a'), 2, 1, seed=3, size=SMALL,
                     progress=False)
    generate_dataset(str(tmp_path / 'b'), 2, 1, seed=3, size=SMALL,
                     progress=False, workers=2)
    generate_dataset(str(tmp_path / 'c'), 2, 1, seed=4, size=SMALL,
                     progress=False)
    a, b, c = (_read_all(str(tmp_path / x)) for x in 'abc')
    assert len(a) == 4 * 3 + 1 and a == b  # same bytes, any worker count
    assert 'synthetic_meta.json' in a
    assert a.keys() == c.keys()
    assert all(a[k] != c[k] for k in a if k.startswith(IMAGE_DIR))


def test_generate_dataset_writes_the_layout(tmp_path):
    names = generate_dataset(str(tmp_path), 3, 2, seed=0, size=SMALL,
                             progress=False)
    assert names == dict(train=['0001', '0002', '0003'],
                         test=['0001', '0002'])
    for split, split_names in names.items():
        for folder in FOLDERS:
            assert sorted(os.listdir(tmp_path / folder / split)) == [
                n + '.png' for n in split_names]
        for name in split_names:
            read = {f: cv2.imread(str(tmp_path / f / split / f'{name}.png'),
                                  cv2.IMREAD_UNCHANGED) for f in FOLDERS}
            assert read[IMAGE_DIR].shape == SMALL + (3,)
            assert read[IMAGE_DIR].dtype == np.uint8
            assert read[LABEL_DIR].shape == SMALL
            assert read[LABEL_DIR].dtype == np.uint8
            assert set(np.unique(read[LABEL_DIR])) <= set(range(40)) | {255}
            for folder in (DEPTH_DIR, RAW_DEPTH_DIR):
                assert read[folder].shape == SMALL
                assert read[folder].dtype == np.uint16
            depth_mm, raw_mm = read[DEPTH_DIR], read[RAW_DEPTH_DIR]
            assert np.all(depth_mm > 0)  # closed room: every pixel has depth
            assert np.all(depth_mm[raw_mm > 0] > 0)
            assert 300 < np.median(depth_mm) < 9000  # millimetres


def test_png_round_trip_keeps_millimetres(tmp_path):
    generate_dataset(str(tmp_path), 1, 0, seed=9, size=SMALL, progress=False)
    from jointdepthseg.datasets.synthetic import sample_rng
    sample = render_room(sample_rng(9, 'train', 0), SMALL)
    depth_mm = cv2.imread(str(tmp_path / DEPTH_DIR / 'train' / '0001.png'),
                          cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(depth_mm, np.rint(sample['depth'] * 1000))
    image = cv2.imread(str(tmp_path / IMAGE_DIR / 'train' / '0001.png'))
    np.testing.assert_array_equal(image[..., ::-1], sample['image'])


def test_generate_dataset_refuses_stale_files_and_bad_arguments(tmp_path):
    stale = tmp_path / LABEL_DIR / 'train' / '0099.png'
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b'')
    with pytest.raises(FileExistsError, match='0099.png'):
        generate_dataset(str(tmp_path), 1, 0, seed=0, size=SMALL,
                         progress=False)
    with pytest.raises(ValueError, match='size'):
        generate_dataset(str(tmp_path / 'x'), 1, 0, seed=0, size=(0, 5))
    with pytest.raises(ValueError, match='seed'):
        generate_dataset(str(tmp_path / 'x'), 1, 0, seed=-1)
    assert sample_name(0, 10) == '0001' and sample_name(9999, 12000) == '10000'


# --------------------------------------------------------------------- CLI


def test_cli_writes_a_dataset(tmp_path):
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep +
               os.environ.get('PYTHONPATH', ''))
    result = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'make_synthetic.py'),
         '--out', str(tmp_path), '--num-train', '2', '--num-test', '1',
         '--seed', '1', '--size', '16x20', '--no-progress'],
        capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    image = cv2.imread(str(tmp_path / IMAGE_DIR / 'test' / '0001.png'))
    assert image.shape == (16, 20, 3)
    assert len(os.listdir(tmp_path / DEPTH_DIR / 'train')) == 2


@pytest.mark.parametrize('argv, message', [
    (['--size', '0x5'], 'at least 1 pixel'),
    (['--size', '240'], 'HEIGHTxWIDTH'),
    (['--num-train', '-3'], 'must be >= 0'),
])
def test_cli_bad_arguments_give_one_clear_line(tmp_path, capsys, argv,
                                               message):
    sys.path.insert(0, osp.join(REPO, 'tools'))
    try:
        import make_synthetic
    finally:
        sys.path.pop(0)
    base = ['--out', str(tmp_path), '--num-train', '1', '--num-test', '1']
    with pytest.raises(SystemExit) as exit_info:
        make_synthetic.main(base + argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert message in err[-1] and 'Traceback' not in '\n'.join(err)
    assert not os.listdir(tmp_path)


def test_cli_reports_a_stale_dataset_in_one_line(tmp_path, capsys):
    sys.path.insert(0, osp.join(REPO, 'tools'))
    try:
        import make_synthetic
    finally:
        sys.path.pop(0)
    stale = tmp_path / IMAGE_DIR / 'test' / '0042.png'
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b'')
    code = make_synthetic.main(['--out', str(tmp_path), '--num-train', '0',
                                '--num-test', '1', '--no-progress'])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1
    assert '0042.png is not a sample of this run' in err[0]
