"""datasets/synthetic/scene.py: a depth-cue pair's classes share one material
sample per image (``SceneBuilder.family_material``)."""
from __future__ import annotations

import numpy as np
import pytest

from jointdepthseg.datasets.synthetic import DEPTH_CUE_PAIRS, sample_scene


@pytest.mark.parametrize('pair', DEPTH_CUE_PAIRS, ids=lambda p: p.classes[1])
def test_pair_shares_one_material_sample_in_every_image(pair):
    """Every primitive of both classes points at the same Material."""
    a, b = pair.ids
    seen = 0
    for seed in range(40):
        scene = sample_scene(np.random.default_rng(seed), (12, 16),
                             'depth-cue')
        used = {cls: {p.material for p in scene.primitives if p.label == cls}
                for cls in (a, b)}
        if used[a] and used[b]:
            seen += 1
            assert len(used[a] | used[b]) == 1, (seed, used)
    assert seen >= 5
    # in rooms they draw independently: the test above would fail there
    rooms = [sample_scene(np.random.default_rng(s), (12, 16), 'rooms')
             for s in range(40)]
    assert any(
        {p.material for p in r.primitives if p.label == a}
        and {p.material for p in r.primitives if p.label == a}
        != {p.material for p in r.primitives if p.label == b} for r in rooms)
