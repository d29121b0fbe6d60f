"""Fig. 4: CRF weights from a state dict, heatmaps, png and the tool, and the
orientation of the drawn matrices (rows = label l of pixel i)."""
import json
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
from scipy import ndimage

from jointdepthseg.models.refiners import DenseCRF
from jointdepthseg.visualization.crf_weights import (
    CMAP, PANELS, crf_matrices_from_state_dict, fig4_crf_weights,
    plot_crf_weights)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
NAMES = ['wall', 'floor', 'bed', 'chair', 'table']


def stage3_state_dict(with_depth=True):
    crf = DenseCRF(5, w_depth=4. if with_depth else None)
    with torch.no_grad():
        crf.compatibility.copy_(torch.arange(25.).view(5, 5))
    state = {'refiner.' + k: v for k, v in crf.state_dict().items()}
    state['backbone.conv.weight'] = torch.zeros(2)
    return state


def test_matrices_are_found_under_any_prefix():
    matrices = crf_matrices_from_state_dict(stage3_state_dict())
    assert set(matrices) == {'compatibility', 'weight_appearance',
                             'weight_depth'}
    assert np.array_equal(matrices['compatibility'],
                          np.arange(25.).reshape(5, 5))
    assert np.allclose(matrices['weight_depth'], np.full((5, 5), 4.))
    without = crf_matrices_from_state_dict(stage3_state_dict(False))
    assert 'weight_depth' not in without


def test_learned_weights_are_read_from_the_logits_and_old_checkpoints():
    state = stage3_state_dict()
    logits = torch.randn(3, 5, 5)
    for logit, kernel in zip(logits, ('appearance', 'depth', 'smooth')):
        state[f'refiner.weight_logit_{kernel}'] = logit
    matrices = crf_matrices_from_state_dict(state)
    # w(m) = 14 * exp(s_m) / sum_k exp(s_k), written out
    expected = 14. * logits.exp() / logits.exp().sum(0)
    assert np.allclose(matrices['weight_appearance'], expected[0].numpy())
    assert np.allclose(matrices['weight_depth'], expected[1].numpy())
    old = {'refiner.compatibility': torch.ones(5, 5),
           'refiner.weight_appearance': torch.full((5, 5), 6.5),
           'refiner.weight_depth': torch.full((5, 5), 2.)}
    matrices = crf_matrices_from_state_dict(old)
    assert np.array_equal(matrices['weight_depth'], np.full((5, 5), 2.))


def test_state_dict_without_or_with_two_crfs_is_an_error():
    with pytest.raises(KeyError, match='no DenseCRF'):
        crf_matrices_from_state_dict({'backbone.w': torch.zeros(1)})
    two = stage3_state_dict()
    two.update({'other.' + k[len('refiner.'):]: v
                for k, v in stage3_state_dict().items()
                if k.startswith('refiner.')})
    with pytest.raises(KeyError, match='several DenseCRF'):
        crf_matrices_from_state_dict(two)


def test_heatmaps_depend_on_the_matrices_and_drop_the_depth_panel():
    matrices = crf_matrices_from_state_dict(stage3_state_dict())
    rgb = fig4_crf_weights(matrices, NAMES)
    assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3
    changed = dict(matrices, weight_appearance=np.eye(5))
    assert not np.array_equal(rgb, fig4_crf_weights(changed, NAMES))
    two_panels = fig4_crf_weights(
        crf_matrices_from_state_dict(stage3_state_dict(False)), NAMES)
    assert two_panels.shape[1] < rgb.shape[1] * 0.8
    with pytest.raises(ValueError, match='expected \\(4, 4\\)'):
        fig4_crf_weights(matrices, NAMES[:4])


def test_png_is_written(tmp_path):
    path = str(tmp_path / 'out' / 'fig4.png')
    rgb = plot_crf_weights(stage3_state_dict(), NAMES, path)
    written = cv2.imread(path)[..., ::-1]
    assert np.array_equal(written, rgb)


@pytest.mark.slow
def test_tool_plots_a_checkpoint(tmp_path):
    ckpt = str(tmp_path / 'iter_10.pth')
    torch.save({'meta': {}, 'state_dict': stage3_state_dict()}, ckpt)
    out = str(tmp_path / 'fig4.png')
    tool = osp.join(ROOT, 'tools', 'plot_crf_weights.py')
    done = subprocess.run([sys.executable, tool, ckpt, '--out', out],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert cv2.imread(out) is not None
    missing = subprocess.run([sys.executable, tool, str(tmp_path / 'no.pth'),
                              '--out', out], capture_output=True, text=True,
                             cwd=ROOT)
    assert missing.returncode != 0
    assert 'file not found' in missing.stderr
    assert 'Traceback' not in missing.stderr


@pytest.mark.slow
def test_tool_summarises_the_depth_only_pairs(tmp_path):
    """--pairs-from: the pair table's means against a hand computation."""
    crf = DenseCRF(5)
    with torch.no_grad():
        crf.weight_logit_depth[1, 2] = crf.weight_logit_depth[2, 1] = 2.
    state = {'refiner.' + k: v for k, v in crf.state_dict().items()}
    ckpt = str(tmp_path / 'iter_10.pth')
    torch.save({'meta': {}, 'state_dict': state}, ckpt)
    meta = tmp_path / 'synthetic_meta.json'
    meta.write_text(json.dumps({'depth_only_pairs': [{'ids': [1, 2]}]}))
    out = str(tmp_path / 'fig4.png')
    tool = osp.join(ROOT, 'tools', 'plot_crf_weights.py')
    done = subprocess.run([sys.executable, tool, ckpt, '--out', out,
                           '--pairs-from', str(meta)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / 'fig4_pairs.json').read_text())
    # the pair's w: 14 * exp(s) / sum exp(s) with s = log 7, 2, log 3
    exps = np.array([7., np.exp(2.), 3.])
    w = 14. * exps / exps.sum()
    pair = summary['depth-only pairs']
    assert pair['w2'] == pytest.approx(w[1], rel=1e-5)
    assert pair['w1'] == pytest.approx(w[0], rel=1e-5)
    assert pair['depth_share'] == pytest.approx(w[1] / (w[0] + w[1]))
    assert summary['other pairs']['w2'] == pytest.approx(4., rel=1e-5)
    assert summary['initial'] == pytest.approx(dict(
        w1=7., w2=4., mu=1., depth_share=4. / 11.), rel=1e-6)
    assert '| depth-only pairs |' in (tmp_path / 'fig4_pairs.md').read_text()
    bad = tmp_path / 'bad.json'
    bad.write_text('{}')
    done = subprocess.run([sys.executable, tool, ckpt, '--out', out,
                           '--pairs-from', str(bad)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode != 0 and 'depth_only_pairs' in done.stderr
    assert 'Traceback' not in done.stderr


def test_highlighted_pairs_are_outlined_where_the_pair_is():
    matrices = crf_matrices_from_state_dict(stage3_state_dict())
    plain = fig4_crf_weights(matrices, NAMES)
    marked = fig4_crf_weights(matrices, NAMES, highlight=[(0, 4)])
    changed = np.argwhere(np.any(plain != marked, axis=2))
    assert len(changed) > 0
    # the outlines sit at the corners (row 0, col 4) and (row 4, col 0) of
    # each panel: both top and bottom rows of the heatmap are touched
    rows = changed[:, 0]
    assert rows.max() - rows.min() > plain.shape[0] * 0.4


# ----------------------------------------------------------------------
# Fig. 4 is drawn with rows = label l of pixel i, columns = label l'.
#
# A C x C matrix that is zero except one asymmetric entry ``(row 0, column
# 3)`` goes into every panel; in the rendered image the entry's bright cell
# must lie in the heatmap's first row and fourth column (a transposed drawing
# puts it in the fourth row, first column).  The heatmap is found as the large
# region of the colour map's lowest colour, its cells by dividing it into
# C x C.
# ----------------------------------------------------------------------

NAMES = ['wall', 'floor', 'bed', 'chair', 'table']
MARKED = (0, 3)  # (row l, column l')


def colour_mask(rgb, colour, tolerance=12):
    return (np.abs(rgb.astype(int) - np.asarray(colour)).max(-1)
            <= tolerance)


def cmap_colour(value):
    from matplotlib import colormaps
    return np.round(np.asarray(colormaps[CMAP](value)[:3]) * 255)


def marked_cells(rgb, size):
    """(row, column) of the bright cell in each heatmap, left to right."""
    low = colour_mask(rgb, cmap_colour(0.0))
    high = colour_mask(rgb, cmap_colour(1.0))
    labels, count = ndimage.label(low)
    cells = []
    for index, box in enumerate(ndimage.find_objects(labels), start=1):
        height = box[0].stop - box[0].start
        width = box[1].stop - box[1].start
        area = (labels[box] == index).sum()
        # a heatmap: square, (C*C - 1) / (C*C) of its box in the low colour
        # (a colour bar's low end is a thin strip)
        if height < 100 or abs(height - width) > 0.05 * width or \
                area < 0.9 * height * width * (size * size - 1) / size**2:
            continue
        rows, cols = np.nonzero(high[box])
        assert rows.size > 0.5 * height * width / size**2, 'bright cell'
        cell_h, cell_w = height / size, width / size
        cell = (int(rows.mean() // cell_h), int(cols.mean() // cell_w))
        cells.append((box[1].start, cell))
    return [cell for _, cell in sorted(cells)]


def test_a_marked_entry_lands_in_its_row_and_column():
    size = len(NAMES)
    matrix = np.zeros((size, size))
    matrix[MARKED] = 1.0
    matrices = {key: matrix for key, _ in PANELS}
    rgb = fig4_crf_weights(matrices, NAMES)
    assert marked_cells(rgb, size) == [MARKED] * len(PANELS)


def test_the_transposed_matrix_lands_in_the_mirrored_cell():
    """The check tells the two orientations apart."""
    size = len(NAMES)
    matrix = np.zeros((size, size))
    matrix[MARKED[::-1]] = 1.0
    rgb = fig4_crf_weights({key: matrix for key, _ in PANELS}, NAMES)
    assert marked_cells(rgb, size) == [MARKED[::-1]] * len(PANELS)


def load_plot_tool():
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'plot_crf_weights_tool', osp.join(ROOT, 'tools',
                                          'plot_crf_weights.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('config, expected', [
    (None, dict(w1=7., w2=4., mu=1.)),  # Sec. 4.1, DenseCRF's defaults
    ('stage3_crf.py', dict(w1=7., w2=4., mu=1.)),
    ('stage3_crf_nodepth.py', dict(w1=7., w2=0., mu=1.)),
])
def test_initial_values_come_from_the_built_crf(config, expected):
    """The pair table's starting values are read from a DenseCRF built as
    the config says (no copy of the paper's numbers in the tool)."""
    path = config and osp.join(ROOT, 'configs', 'synthetic', config)
    values = load_plot_tool().initial_values(path, 40)
    assert values == {key: pytest.approx(value, rel=1e-6)
                      for key, value in expected.items()}
