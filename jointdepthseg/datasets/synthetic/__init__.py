"""Embedded synthetic dataset: procedural NYU-style rooms.

``render_room(rng, size, variant)`` draws and renders one room;
``generate_dataset`` writes a whole dataset in the layout the converter
writes, with the same NYU-40 class ids, so every config and tool runs on it
unchanged, plus ``synthetic_meta.json``. Variants: ``'rooms'`` (default) and
``'depth-cue'``, where the pairs of ``DEPTH_CUE_PAIRS`` share one material per
image so that only depth separates them. See the "Synthetic data" section of
``docs/data.md``.
"""
from .camera import PinholeCamera, nyu_intrinsics
from .metadata import META_FILE, read_depth_only_pairs
from .raycast import cast_rays
from .render import render_room, render_scene
from .room_layout import sample_scene
from .variants import (DEPTH_CUE_PAIRS, VARIANT_NAMES, VARIANTS, DepthCuePair,
                       Variant, get_variant)
from .writer import generate_dataset, sample_name, sample_rng

__all__ = [
    'PinholeCamera', 'nyu_intrinsics', 'cast_rays', 'render_room',
    'render_scene', 'sample_scene', 'generate_dataset', 'sample_name',
    'sample_rng', 'DEPTH_CUE_PAIRS', 'VARIANT_NAMES', 'VARIANTS',
    'DepthCuePair', 'Variant', 'get_variant', 'META_FILE',
    'read_depth_only_pairs'
]
