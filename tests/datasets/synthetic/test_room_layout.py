"""datasets/synthetic/room_layout.py: the furnished rooms it draws."""
from __future__ import annotations

import numpy as np

from jointdepthseg.datasets.synthetic import sample_scene
from jointdepthseg.datasets.synthetic.scene import Box, Quad, class_id

SMALL = (24, 32)


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
