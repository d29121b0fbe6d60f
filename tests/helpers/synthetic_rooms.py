"""Cameras, rays and rendered depth-cue rooms for the synthetic-data tests."""
from __future__ import annotations

import numpy as np

from jointdepthseg.datasets.synthetic import (PinholeCamera, cast_rays,
                                              render_scene, sample_scene)

#: Expected depth-only pairs, with the NYU-40 ids written out by hand
#: (wall=0, floor=1, cabinet=2, bed=3, ..., sofa=5, ..., bookshelf=9, ...,
#: pillow=17, ..., books=22).
EXPECTED_PAIRS = {('pillow', 'sofa'): (17, 5), ('pillow', 'bed'): (17, 3),
                  ('books', 'bookshelf'): (22, 9)}
#: ``default_rng`` seeds whose 60x80 depth-cue render shows each pair.
SEEDS_WITH_PAIR = {('pillow', 'sofa'): (103, 105, 110),
                   ('pillow', 'bed'): (100, 101, 114),
                   ('books', 'bookshelf'): (101, 104, 105, 113)}


def level_camera(size=(60, 80), position=(0.0, 0.0, 0.0), yaw=0.0, pitch=0.0,
                 roll=0.0) -> PinholeCamera:
    """The NYU camera at ``position``, turned by the given angles."""
    return PinholeCamera.nyu(size, position, yaw=yaw, pitch=pitch, roll=roll)


def unit_rays(camera: PinholeCamera) -> np.ndarray:
    """(H, W, 3) camera-frame rays (x', y', 1), computed here, not by the
    camera."""
    v, u = np.mgrid[0:camera.height, 0:camera.width].astype(np.float64)
    return np.stack([(u - camera.cx) / camera.fx, (v - camera.cy) / camera.fy,
                     np.ones_like(u)], axis=-1)


def render(seed: int, size=(60, 80), variant='depth-cue'):
    """Scene, rendered arrays and ray hits of one room."""
    rng = np.random.default_rng(seed)
    scene = sample_scene(rng, size, variant)
    return scene, render_scene(scene, rng), cast_rays(scene.camera,
                                                      scene.primitives)
