"""Render a scene into the four arrays of one dataset sample."""
from __future__ import annotations

import numpy as np

from ..nyu_classes import IGNORE_INDEX
from .kinect_holes import kinect_raw_depth
from .raycast import cast_rays
from .room_layout import sample_scene
from .scene import Scene
from .shading import shade

DEFAULT_SIZE = (240, 320)


def render_scene(scene: Scene, rng: np.random.Generator) -> dict:
    """Ray-cast, shade and add Kinect holes.

    Args:
        scene: the scene (camera, primitives, materials, light).
        rng: randomness for lighting, sensor noise and raw-depth holes.

    Returns:
        dict with
        ``image`` (H, W, 3) uint8 RGB;
        ``labels`` (H, W) uint8, 0..39 NYU-40 ids, 255 = unlabeled;
        ``depth`` (H, W) float32 metres (z distance), 0 where no surface;
        ``raw_depth`` (H, W) float32 metres, 0 = Kinect hole.
    """
    hits = cast_rays(scene.camera, scene.primitives)
    hit = hits.index >= 0
    label_of = np.array([p.label for p in scene.primitives] + [IGNORE_INDEX],
                        dtype=np.uint8)
    labels = label_of[hits.index]
    depth = np.where(hit, hits.depth, 0.0)
    shaded = shade(hits, scene, rng)
    absorbing_of = np.array(
        [scene.materials[p.material].ir_absorbing for p in scene.primitives]
        + [False])
    raw = kinect_raw_depth(depth, shaded['albedo_luma'],
                           shaded['cos_incidence'], absorbing_of[hits.index],
                           scene.camera.fx, rng,
                           max_range_m=scene.kinect_max_range_m)
    return dict(image=shaded['image'], labels=labels,
                depth=depth.astype(np.float32), raw_depth=raw)


def render_room(rng: np.random.Generator,
                size: tuple[int, int] = DEFAULT_SIZE,
                variant: str = 'rooms') -> dict:
    """Draw a random furnished room and render it.

    Args:
        rng: the only source of randomness (same state -> same arrays).
        size: ``(height, width)`` in pixels, any positive size.
        variant: ``'rooms'`` or ``'depth-cue'`` (``variants.py``).

    Returns:
        dict with ``image``, ``labels``, ``depth``, ``raw_depth`` (see
        ``render_scene``).
    """
    size = tuple(int(s) for s in size)
    if len(size) != 2 or min(size) < 1:
        raise ValueError(f'size must be (height, width) with both >= 1, '
                         f'got {size}')
    return render_scene(sample_scene(rng, size, variant), rng)
