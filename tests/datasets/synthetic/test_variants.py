"""datasets/synthetic/variants.py: the depth-cue variant's contract. Its pairs
share one material per image (so colour cannot separate them) and stand a
documented depth step apart, wider than the CRF's depth-kernel width."""
from __future__ import annotations

import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

import jointdepthseg  # noqa: F401  registers DenseCRF
from jointdepthseg.datasets.synthetic import (DEPTH_CUE_PAIRS, VARIANTS,
                                              get_variant)
from jointdepthseg.datasets.synthetic.bookshelf import add_bookshelf
from jointdepthseg.datasets.synthetic.furniture import add_bed, add_sofa
from jointdepthseg.datasets.synthetic.scene import Box, Room, SceneBuilder
from mmseg.registry import MODELS
from tests.helpers.synthetic_rooms import (EXPECTED_PAIRS, SEEDS_WITH_PAIR,
                                           render)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))


def test_pairs_are_exposed_with_nyu40_ids():
    assert {p.classes: p.ids for p in DEPTH_CUE_PAIRS} == EXPECTED_PAIRS
    assert get_variant('depth-cue').depth_only_pairs == DEPTH_CUE_PAIRS
    assert get_variant('rooms').depth_only_pairs == ()
    assert set(VARIANTS) == {'rooms', 'depth-cue'}
    with pytest.raises(ValueError, match="unknown synthetic variant 'x'"):
        get_variant('x')


def test_designed_steps_are_wider_than_the_crf_depth_width():
    """Each pair's designed step exceeds theta_zeta of the synthetic CRF
    config (DenseCRF's default where the config does not set it)."""
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'synthetic',
                                   'stage3_crf.py'))
    theta_zeta = MODELS.build(cfg.model.refiner).thetas['theta_zeta']
    for pair in DEPTH_CUE_PAIRS:
        assert theta_zeta < pair.design_step_m[0] < pair.design_step_m[1]


def _same_normal_colour_gaps(classes) -> list[float]:
    """Largest per-channel gap (grey levels) between the two classes' mean
    colours over pixels facing the same way (same light), per image and
    normal; only groups of >= 8 pixels of each class."""
    a, b = EXPECTED_PAIRS[classes]
    gaps = []
    for seed in SEEDS_WITH_PAIR[classes]:
        _, out, hits = render(seed)
        normal = np.rint(hits.normals() @ [1, 3, 9]).astype(int)
        image, labels = out['image'].astype(np.float64), out['labels']
        for key in np.unique(normal):
            in_a = (labels == a) & (normal == key)
            in_b = (labels == b) & (normal == key)
            if in_a.sum() >= 8 and in_b.sum() >= 8:
                gaps.append(float(np.abs(image[in_a].mean(0)
                                         - image[in_b].mean(0)).max()))
    return gaps


@pytest.mark.parametrize('classes', list(EXPECTED_PAIRS))
def test_pair_colours_match_where_the_light_is_the_same(classes):
    """Same material under the same light: mean colours of same-facing
    pixels agree to a few grey levels (independent draws differ by 15-135)."""
    gaps = _same_normal_colour_gaps(classes)
    assert len(gaps) >= 3
    assert max(gaps) <= 12.0 and float(np.median(gaps)) <= 5.0, gaps


def _front_steps(builder_fn, object_class: int, support_class: int,
                 seeds=range(12)) -> list[float]:
    """Against the 'front' wall (z = room depth, room side = smaller z):
    distance along z from each object box's front face back to the nearest
    support box behind it that overlaps it in x and y."""
    steps = []
    for seed in seeds:
        b = SceneBuilder(Room(width=4.0, depth=4.0, height=2.8),
                         variant=get_variant('depth-cue'))
        if builder_fn(b, np.random.default_rng(seed), 'front') is None:
            continue
        boxes = [p for p in b.primitives if isinstance(p, Box)]
        for obj in (p for p in boxes if p.label == object_class):
            behind = [s.lo[2] for s in boxes if s.label == support_class
                      and s.lo[2] >= obj.hi[2] - 1e-9
                      and all(s.lo[k] < obj.hi[k] - 1e-9
                              and obj.lo[k] < s.hi[k] - 1e-9 for k in (0, 1))]
            steps.append(min(behind) - obj.lo[2])
    return steps


@pytest.mark.parametrize('builder_fn, pair', [
    (add_sofa, DEPTH_CUE_PAIRS[0]), (add_bed, DEPTH_CUE_PAIRS[1]),
    (add_bookshelf, DEPTH_CUE_PAIRS[2])], ids=['sofa', 'bed', 'bookshelf'])
def test_designed_depth_step_is_within_the_documented_range(builder_fn, pair):
    steps = _front_steps(builder_fn, *pair.ids)
    assert len(steps) >= 10
    lo, hi = pair.design_step_m
    assert lo - 1e-9 <= min(steps) and max(steps) <= hi + 1e-9, \
        (min(steps), max(steps))
