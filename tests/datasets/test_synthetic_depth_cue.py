"""Tests of the ``depth-cue`` synthetic variant (issue 9) and of ``rooms``
staying as it was.

In ``depth-cue`` the classes of a depth-only pair share one material per image
(so colour cannot separate them) and stand a documented depth step apart.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import os.path as osp

import numpy as np
import pytest

from jointdepthseg.datasets.synthetic import (
    CRF_THETA_ZETA_M, DEPTH_CUE_PAIRS, META_FILE, VARIANTS, cast_rays,
    crf_theta_gamma_px, generate_dataset, get_variant, measure_pair,
    read_metadata, render_room, render_scene, sample_rng, sample_scene,
    summarise_pair)
from jointdepthseg.datasets.synthetic.bookshelf import add_bookshelf
from jointdepthseg.datasets.synthetic.depth_steps import (
    boundary_depth_steps, depth_kernel_mass)
from jointdepthseg.datasets.synthetic.furniture import add_bed, add_sofa
from jointdepthseg.datasets.synthetic.scene import Box, Room, SceneBuilder

#: Expected pairs, with the NYU-40 ids written out by hand
#: (wall=0, floor=1, cabinet=2, bed=3, ..., sofa=5, ..., bookshelf=9, ...,
#: pillow=17, ..., books=22).
EXPECTED_PAIRS = {('pillow', 'sofa'): (17, 5), ('pillow', 'bed'): (17, 3),
                  ('books', 'bookshelf'): (22, 9)}
#: ``default_rng`` seeds whose 60x80 depth-cue render shows each pair.
SEEDS_WITH_PAIR = {('pillow', 'sofa'): (103, 105, 110),
                   ('pillow', 'bed'): (100, 101, 114),
                   ('books', 'bookshelf'): (101, 104, 105, 113)}
#: sha256 of ``render_room(sample_rng(7, 'train', i), (24, 32))`` (image,
#: labels, depth and raw depth in mm) computed with the code before the
#: variants existed (commit 9c328e4): rooms with sofa+bookshelf, books, bed.
ROOMS_DIGESTS = {
    0: 'd0a220d2cb05e3199c96d781983ce346cf727fa9e8cb693901535b7656c0c1a4',
    2: '732ebb875f3f9b3a758f14c144cf0e425e24daa02430bcf2b8441094145427ba',
    4: 'f00e3d7ee8d2cdb1e959931853e15b047d73bae64e122c5b5acd408a57c5506c'}


def render(seed: int, size=(60, 80), variant='depth-cue'):
    """Scene, rendered arrays and ray hits of one room."""
    rng = np.random.default_rng(seed)
    scene = sample_scene(rng, size, variant)
    return scene, render_scene(scene, rng), cast_rays(scene.camera,
                                                      scene.primitives)


# ------------------------------------------------------------- the pairs


def test_pairs_are_exposed_with_nyu40_ids():
    assert {p.classes: p.ids for p in DEPTH_CUE_PAIRS} == EXPECTED_PAIRS
    assert get_variant('depth-cue').depth_only_pairs == DEPTH_CUE_PAIRS
    assert get_variant('rooms').depth_only_pairs == ()
    for pair in DEPTH_CUE_PAIRS:  # each designed step is wider than theta_zeta
        assert CRF_THETA_ZETA_M < pair.design_step_m[0] \
            < pair.design_step_m[1]
    with pytest.raises(ValueError, match="unknown synthetic variant 'x'"):
        get_variant('x')


# --------------------------------------------------------------- material


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


# ------------------------------------------------------------- depth step


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


@pytest.mark.parametrize('classes', list(EXPECTED_PAIRS))
def test_rendered_depth_step_is_seen_by_the_depth_kernel(classes):
    """In the rendered depth, 10 % or more of the boundary steps reach
    theta_zeta, and the CRF's depth kernel keeps at most 60 % of the spatial
    weight across the pair (kernel-equivalent step >= 0.2 m) while it keeps
    more than 70 % within the object class."""
    a, b = EXPECTED_PAIRS[classes]
    theta_gamma = crf_theta_gamma_px(80)
    found = []
    for seed in SEEDS_WITH_PAIR[classes]:
        out = render(seed)[1]
        found.append(measure_pair(out['labels'], out['depth'], a, b,
                                  theta_gamma))
    summary = summarise_pair(found, theta_gamma)
    assert summary['images'] == len(SEEDS_WITH_PAIR[classes])
    assert summary['p90'] >= CRF_THETA_ZETA_M
    assert summary['kernel_equivalent_step'] >= CRF_THETA_ZETA_M
    assert summary['kernel_retention_cross'] <= 0.6
    assert summary['kernel_retention_within'] > 0.7


def test_boundary_steps_and_kernel_mass_match_brute_force():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, (5, 6))
    depth = rng.uniform(1.0, 3.0, (5, 6))
    expected = []
    for r in range(5):
        for c in range(6):
            for dr, dc in ((0, 1), (1, 0)):
                if r + dr < 5 and c + dc < 6 and {labels[r, c], labels[
                        r + dr, c + dc]} == {0, 2}:
                    expected.append(abs(depth[r, c] - depth[r + dr, c + dc]))
    np.testing.assert_allclose(sorted(boundary_depth_steps(labels, depth, 0,
                                                           2)),
                               sorted(expected))
    for a, b in ((0, 2), (1, 1)):
        kernel = spatial = 0.0
        for i in zip(*np.nonzero(labels == a)):
            for j in zip(*np.nonzero(labels == b)):
                if i == j:
                    continue
                ks = math.exp(-((i[0] - j[0]) ** 2 + (i[1] - j[1]) ** 2)
                              / (2 * 2.0 ** 2))
                spatial += ks
                kernel += ks * math.exp(-(depth[i] - depth[j]) ** 2
                                        / (2 * 0.2 ** 2))
        assert depth_kernel_mass(labels, depth, a, b, 2.0, 0.2, chunk=3) \
            == pytest.approx((kernel, spatial), rel=1e-12)


# ------------------------------------------------- rooms unchanged, files


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


def _read_all(root) -> dict[str, bytes]:
    out = {}
    for folder, _, names in os.walk(root):
        for name in names:
            with open(osp.join(folder, name), 'rb') as file:
                out[osp.relpath(osp.join(folder, name), root)] = file.read()
    return out


def test_depth_cue_dataset_is_deterministic_and_lists_its_pairs(tmp_path):
    # seed 3 at 30x40: train 0001 shows a bed with pillows, train 0003 a
    # sofa with pillows, test 0001 a bookshelf with books
    for name, workers in (('a', 1), ('b', 2)):
        generate_dataset(str(tmp_path / name), 3, 1, seed=3, size=(30, 40),
                         progress=False, workers=workers, variant='depth-cue')
    generate_dataset(str(tmp_path / 'r'), 3, 1, seed=3, size=(30, 40),
                     progress=False)
    a, b, r = (_read_all(tmp_path / x) for x in 'abr')
    assert len(a) == 4 * 4 + 1 and a == b  # same bytes, any worker count
    assert a.keys() == r.keys() and a['images/train/0003.png'] != r[
        'images/train/0003.png']
    meta = read_metadata(str(tmp_path / 'a'))
    assert meta == json.loads(a[META_FILE])
    assert (meta['variant'], meta['seed'], meta['size']) == ('depth-cue', 3,
                                                             [30, 40])
    assert (meta['num_train'], meta['num_test']) == (3, 1)
    assert {tuple(p['classes']): tuple(p['ids'])
            for p in meta['depth_only_pairs']} == EXPECTED_PAIRS
    for pair, spec in zip(meta['depth_only_pairs'], DEPTH_CUE_PAIRS):
        step = pair['depth_step_m']
        assert (step['design_min'], step['design_max']) == pytest.approx(
            spec.design_step_m)
        assert step['theta_gamma_px'] == pytest.approx(50 * 40 / 640)
        assert step['images'] == 1 and step['boundary_pixel_pairs'] > 0
        assert 0 <= step['p10'] <= step['median'] <= step['p90']
        assert 0 < step['kernel_retention_cross'] < 1
    assert read_metadata(str(tmp_path / 'r'))['depth_only_pairs'] == []
    with pytest.raises(FileNotFoundError, match='synthetic_meta.json'):
        read_metadata(str(tmp_path))
    with pytest.raises(ValueError, match='unknown synthetic variant'):
        generate_dataset(str(tmp_path / 'x'), 1, 0, seed=0, variant='Rooms')
    assert set(VARIANTS) == {'rooms', 'depth-cue'}


def test_cli_variant_option(tmp_path, capsys):
    import sys
    sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.dirname(
        osp.abspath(__file__)))), 'tools'))
    try:
        import make_synthetic
    finally:
        sys.path.pop(0)
    assert make_synthetic.main(
        ['--out', str(tmp_path), '--num-train', '0', '--num-test', '1',
         '--seed', '3', '--size', '30x40', '--variant', 'depth-cue',
         '--no-progress']) == 0
    out = capsys.readouterr().out
    assert 'depth-only pair books / bookshelf: touches in 1 images' in out
    assert read_metadata(str(tmp_path))['variant'] == 'depth-cue'
    with pytest.raises(SystemExit) as exit_info:
        make_synthetic.main(['--out', str(tmp_path / 'x'), '--num-train', '1',
                             '--num-test', '0', '--variant', 'kitchen'])
    assert exit_info.value.code == 2
    assert "invalid choice: 'kitchen'" in capsys.readouterr().err
