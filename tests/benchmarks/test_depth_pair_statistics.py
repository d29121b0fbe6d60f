"""benchmarks/depth_pair_statistics.py: boundary steps and the depth kernel's
retention against brute force, the CRF widths read from the config, the
rendered depth-cue pairs, and the script on a generated dataset."""
from __future__ import annotations

import importlib.util
import json
import math
import os.path as osp

import numpy as np
import pytest

from jointdepthseg.datasets.synthetic import generate_dataset
from tests.helpers.synthetic_rooms import (EXPECTED_PAIRS, SEEDS_WITH_PAIR,
                                           render)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs', 'synthetic', 'stage3_crf.py')
_spec = importlib.util.spec_from_file_location(
    'depth_pair_statistics',
    osp.join(ROOT, 'benchmarks', 'depth_pair_statistics.py'))
stats = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(stats)


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
    np.testing.assert_allclose(
        sorted(stats.boundary_depth_steps(labels, depth, 0, 2)),
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
        assert stats.depth_kernel_mass(labels, depth, a, b, 2.0, 0.2,
                                       chunk=3) \
            == pytest.approx((kernel, spatial), rel=1e-12)


def test_colour_gap_is_the_largest_channel_difference_of_the_means():
    labels = np.zeros((6, 10), np.int64)
    labels[:, 5:] = 4
    image = np.zeros((6, 10, 3), np.uint8)
    image[:, :5] = (10, 200, 30)
    image[:, 5:] = (40, 180, 31)
    image[0, 5] = (40, 180, 91)  # class 4's blue mean: 31 + 60 / 30 = 33
    # gaps |10 - 40|, |200 - 180|, |30 - 33|
    assert stats.colour_gap(image, labels, 0, 4) == pytest.approx(30.0)
    image[:, 5:, 1] = 120  # green gap 80
    assert stats.colour_gap(image, labels, 0, 4) == pytest.approx(80.0)
    labels[1:, :5] = 4  # class 0 keeps 5 pixels: too few for a gap
    assert stats.colour_gap(image, labels, 0, 4) is None


def test_equivalent_step_inverts_the_depth_factor():
    for step in (0.05, 0.2, 0.7):
        retention = math.exp(-step ** 2 / (2 * 0.2 ** 2))
        assert stats.equivalent_step(retention, 0.2) == pytest.approx(step)


def test_crf_widths_come_from_the_config_scaled_to_the_data():
    """stage3_crf.py's CRF runs on 120x160 images with theta_gamma = 50 / 4
    pixels (the paper's 50 at 640 wide) and theta_zeta = 0.2 m."""
    assert stats.crf_depth_widths(CONFIG, 160) == pytest.approx((12.5, 0.2))
    assert stats.crf_depth_widths(CONFIG, 320) == pytest.approx((25.0, 0.2))


@pytest.mark.parametrize('classes', list(EXPECTED_PAIRS))
def test_rendered_depth_step_is_seen_by_the_depth_kernel(classes):
    """In the rendered depth-cue rooms, 10 % or more of the boundary steps
    reach theta_zeta, and the CRF's depth kernel keeps at most 60 % of the
    spatial weight across the pair (equivalent step >= 0.2 m) while it keeps
    more than 70 % within the object class."""
    a, b = EXPECTED_PAIRS[classes]
    theta_gamma, theta_zeta = stats.crf_depth_widths(CONFIG, 80)
    samples = [render(seed)[1] for seed in SEEDS_WITH_PAIR[classes]]
    summary = stats.pair_statistics(samples, a, b, theta_gamma, theta_zeta)
    assert summary['images'] == len(SEEDS_WITH_PAIR[classes])
    assert summary['p90'] >= theta_zeta
    assert summary['equivalent_step'] >= theta_zeta
    assert summary['retention_cross'] <= 0.6
    assert summary['retention_within'] > 0.7


def test_script_reads_a_generated_dataset(tmp_path, capsys):
    # seed 3 at 30x40: train 0001 shows a bed with pillows, train 0003 a
    # sofa with pillows, test 0001 a bookshelf with books
    root = str(tmp_path / 'data')
    generate_dataset(root, 3, 1, seed=3, size=(30, 40), progress=False,
                     variant='depth-cue')
    out = str(tmp_path / 'rows.json')
    assert stats.main(['--data-root', root, '--config', CONFIG,
                       '--json', out]) == 0
    table = capsys.readouterr().out
    assert '4 images (all) 40 px wide' in table
    assert 'theta_gamma 3.125 px, theta_zeta 0.2 m' in table
    with open(out) as file:
        rows = json.load(file)
    assert [tuple(row['ids']) for row in rows] == list(EXPECTED_PAIRS.values())
    for row in rows:
        assert row['images'] == 1 and row['boundary_pixel_pairs'] > 0
        assert 0 <= row['p10'] <= row['median'] <= row['p90']
        assert 0 < row['retention_cross'] < 1
    assert stats.main(['--data-root', root, '--split', 'train']) == 0
    assert '| books / bookshelf | 0 | 0 | n/a' in capsys.readouterr().out
    rooms = str(tmp_path / 'rooms')
    generate_dataset(rooms, 3, 1, seed=3, size=(30, 40), progress=False)
    with pytest.raises(SystemExit, match='lists no depth-only pairs'):
        stats.main(['--data-root', rooms])
    assert stats.main(['--data-root', rooms, '--pairs', 'depth-cue']) == 0
    assert '| pillow / sofa | 1 |' in capsys.readouterr().out
    with pytest.raises(SystemExit, match='synthetic_meta.json not found'):
        stats.main(['--data-root', str(tmp_path)])
