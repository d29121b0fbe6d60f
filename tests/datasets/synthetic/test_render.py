"""datasets/synthetic/render.py: the four arrays of a rendered room."""
from __future__ import annotations

import hashlib

import numpy as np

from jointdepthseg.datasets.nyu_classes import NYU40_CLASSES
from jointdepthseg.datasets.synthetic import (render_room, render_scene,
                                              sample_rng)
from jointdepthseg.datasets.synthetic.appearance import sample_material
from jointdepthseg.datasets.synthetic.kinect_holes import axial_noise_std
from jointdepthseg.datasets.synthetic.scene import Quad, Scene, class_id
from tests.helpers.synthetic_rooms import level_camera


#: sha256 of ``render_room(sample_rng(7, 'train', i), (24, 32))`` (image,
#: labels, depth and raw depth in mm) computed with the code before the
#: variants existed (commit 9c328e4): rooms with sofa+bookshelf, books, bed.
ROOMS_DIGESTS = {
    0: 'd0a220d2cb05e3199c96d781983ce346cf727fa9e8cb693901535b7656c0c1a4',
    2: '732ebb875f3f9b3a758f14c144cf0e425e24daa02430bcf2b8441094145427ba',
    4: 'f00e3d7ee8d2cdb1e959931853e15b047d73bae64e122c5b5acd408a57c5506c'}


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


def _digest(sample: dict) -> str:
    digest = hashlib.sha256()
    digest.update(sample['image'].tobytes())
    digest.update(sample['labels'].tobytes())
    for key in ('depth', 'raw_depth'):
        digest.update(np.rint(sample[key].astype(np.float64) * 1000)
                      .astype(np.uint16).tobytes())
    return digest.hexdigest()


def test_rooms_renders_the_same_bytes_as_before_the_variants():
    for index, expected in ROOMS_DIGESTS.items():
        sample = render_room(sample_rng(7, 'train', index), (24, 32))
        assert _digest(sample) == expected, index
        assert _digest(render_room(sample_rng(7, 'train', index), (24, 32),
                                   'rooms')) == expected
