"""Embedded synthetic dataset: procedural NYU-style rooms (issue 4).

``render_room(rng, size)`` draws and renders one room; ``generate_dataset``
writes a whole dataset in the layout the converter writes, with the same
NYU-40 class ids, so every config and tool runs on it unchanged. See the
"Synthetic data" section of ``docs/data.md``.
"""
from .camera import PinholeCamera, nyu_intrinsics
from .raycast import cast_rays
from .render import render_room, render_scene
from .room_layout import sample_scene
from .writer import generate_dataset, sample_name, sample_rng

__all__ = [
    'PinholeCamera', 'nyu_intrinsics', 'cast_rays', 'render_room',
    'render_scene', 'sample_scene', 'generate_dataset', 'sample_name',
    'sample_rng'
]
