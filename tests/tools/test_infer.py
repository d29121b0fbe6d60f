"""tools/infer.py: label, 16-bit depth and panel pngs for files and folders,
equal to the inference API's output; one-line errors."""
import importlib.util
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch

from jointdepthseg.apis import inference, init_model
from jointdepthseg.datasets import NYU40_CLASSES, NYU40_PALETTE
from jointdepthseg.fileio import (atomic_write_png, metres_to_depth_png,
                                  read_png)
from jointdepthseg.visualization.figures import colorize_labels
from tests.helpers.tiny_configs import random_rgb, write_config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(ROOT, 'tools', 'infer.py')
_spec = importlib.util.spec_from_file_location('infer_tool', SCRIPT)
infer = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(infer)


@pytest.fixture(scope='module')
def model_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp('infer')
    config = write_config(folder)
    torch.manual_seed(2)
    model = init_model(config)
    model.init_weights()
    checkpoint = str(folder / 'model.pth')
    torch.save(dict(state_dict=model.state_dict(), meta={}), checkpoint)
    return config, checkpoint


def read(path):
    return read_png(str(path), rgb=True)


def test_writes_labels_depth_and_panel_for_files_and_folders(model_files,
                                                               tmp_path):
    config, checkpoint = model_files
    folder = tmp_path / 'photos'
    images = {'a': random_rgb(23, 31, 0), 'b': random_rgb(40, 18, 1),
              'c': random_rgb(12, 50, 2)}
    atomic_write_png(str(folder / 'a.png'), images['a'], rgb=True)
    cv2.imwrite(str(folder / 'b.bmp'), images['b'][..., ::-1])
    (folder / 'notes.txt').write_text('not an image')
    atomic_write_png(str(tmp_path / 'c.png'), images['c'], rgb=True)
    out = tmp_path / 'out'
    infer.main([config, checkpoint, str(folder), str(tmp_path / 'c.png'),
                '--out', str(out)])

    model = init_model(config, checkpoint)
    palette = model.dataset_meta['palette']
    classes = model.dataset_meta['classes']
    for name, rgb in images.items():
        expected = inference(model, rgb)
        height, width = rgb.shape[:2]
        labels = read(out / f'{name}_labels.png')
        assert labels.dtype == np.uint8 and labels.shape == (height, width)
        np.testing.assert_array_equal(labels, expected.labels)
        depth = read(out / f'{name}_depth.png')
        assert depth.dtype == np.uint16
        np.testing.assert_array_equal(depth,
                                      metres_to_depth_png(expected.depth))
        assert (depth >= 140).all() and (depth <= 7000).all()  # Eq. 3, mm
        panel = read(out / f'{name}_panel.png')
        gap = infer.GAP_PX
        legend = infer.draw_legend(
            infer.legend_entries(expected.labels, classes), palette, height)
        legend_px = legend.shape[1]
        assert legend_px > 0
        assert panel.shape == (height, 3 * width + 3 * gap + legend_px +
                               infer.SCALE_BAR_PX + infer.SCALE_TEXT_PX, 3)
        np.testing.assert_array_equal(panel[:, :width], rgb)
        np.testing.assert_array_equal(
            panel[:, width + gap:2 * width + gap],
            colorize_labels(expected.labels, palette))
        np.testing.assert_array_equal(
            panel[:, 2 * width + gap:2 * width + gap + legend_px], legend)
        np.testing.assert_array_equal(
            panel[:, 2 * width + 2 * gap + legend_px:
                  3 * width + 2 * gap + legend_px],
            infer.colorize_depth(expected.depth, expected.depth.max()))
        assert (panel[:, width:width + gap] == 255).all()
    assert not (out / 'notes_labels.png').exists()


def test_colorize_depth_spans_the_colour_map_and_blacks_out_holes():
    depth = np.array([[0.0, 1.0], [2.0, np.nan]])
    rgb = infer.colorize_depth(depth, 2.0)
    from matplotlib import colormaps
    cmap = colormaps['turbo']
    np.testing.assert_array_equal(rgb[0, 0], [0, 0, 0])
    np.testing.assert_array_equal(rgb[1, 1], [0, 0, 0])
    np.testing.assert_array_equal(
        rgb[0, 1], np.round(np.array(cmap(0.5)[:3]) * 255).astype(np.uint8))
    np.testing.assert_array_equal(
        rgb[1, 0], np.round(np.array(cmap(1.0)[:3]) * 255).astype(np.uint8))


def test_panel_without_depth_has_two_parts():
    rgb = random_rgb(6, 9)
    labels = np.arange(54).reshape(6, 9) % 40
    palette = [[k, 2 * k, 3 * k] for k in range(40)]
    panel = infer.make_panel(rgb, labels, None, palette, NYU40_CLASSES)
    legend = infer.draw_legend(infer.legend_entries(labels, NYU40_CLASSES),
                               palette, 6)
    assert panel.shape == (6, 2 * 9 + infer.GAP_PX + legend.shape[1], 3)
    np.testing.assert_array_equal(panel[:, 9 + infer.GAP_PX:18 +
                                        infer.GAP_PX],
                                  colorize_labels(labels, palette))
    np.testing.assert_array_equal(panel[:, -legend.shape[1]:], legend)


def swatch_colours(legend: np.ndarray, count: int, rows: int,
                   column_px: int) -> list:
    """The colour at the centre of each of ``count`` swatches, read at
    positions computed here: entry i in column i // rows, row i % rows."""
    pad, row_px, side = (infer.LEGEND_PAD_PX, infer.LEGEND_ROW_PX,
                         infer.LEGEND_SWATCH_PX)
    colours = []
    for index in range(count):
        column, row = divmod(index, rows)
        top = pad + row * row_px
        left = column * column_px + pad
        square = legend[top:top + side, left:left + side]
        assert (square == square[0, 0]).all()  # a filled square
        colours.append(square[0, 0].tolist())
    return colours


def test_legend_lists_exactly_the_classes_present():
    labels = np.full((60, 80), 7, np.int64)
    labels[:10, :10] = 3
    labels[30:, 40:] = 12
    labels[0, 0] = 255  # no class: not listed
    entries = infer.legend_entries(labels, NYU40_CLASSES)
    assert entries == [(3, NYU40_CLASSES[3]), (7, NYU40_CLASSES[7]),
                       (12, NYU40_CLASSES[12])]
    legend = infer.draw_legend(entries, NYU40_PALETTE, 60)
    name_px = max(cv2.getTextSize(n, cv2.FONT_HERSHEY_SIMPLEX, 0.35, 1)[0][0]
                  for _, n in entries)
    column_px = infer.LEGEND_SWATCH_PX + name_px + 3 * infer.LEGEND_PAD_PX
    assert legend.shape == (60, column_px, 3)  # one column: 4 rows fit
    assert swatch_colours(legend, 3, 4, column_px) == [
        list(NYU40_PALETTE[k]) for k in (3, 7, 12)]
    # no swatch of a class that is absent
    shown = {tuple(c) for c in legend.reshape(-1, 3).tolist()}
    absent = {tuple(NYU40_PALETTE[k]) for k in range(40)} - {
        tuple(NYU40_PALETTE[k]) for k in (3, 7, 12)}
    assert not shown & absent
    # each entry has its name written (dark pixels) right of its swatch
    text_left = infer.LEGEND_PAD_PX * 2 + infer.LEGEND_SWATCH_PX
    for row in range(3):
        top = infer.LEGEND_PAD_PX + row * infer.LEGEND_ROW_PX
        text = legend[top:top + infer.LEGEND_ROW_PX, text_left:]
        assert (text.max(axis=2) < 128).sum() >= 10
    below = legend[infer.LEGEND_PAD_PX + 3 * infer.LEGEND_ROW_PX:]
    assert (below == 255).all()  # nothing after the last entry


def test_legend_wraps_into_columns_on_short_images():
    entries = [(k, NYU40_CLASSES[k]) for k in (0, 1, 5, 9, 17)]
    height = infer.LEGEND_PAD_PX + 2 * infer.LEGEND_ROW_PX  # 2 rows fit
    legend = infer.draw_legend(entries, NYU40_PALETTE, height)
    assert legend.shape[1] % 3 == 0
    column_px = legend.shape[1] // 3
    assert swatch_colours(legend, 5, 2, column_px) == [
        list(NYU40_PALETTE[k]) for k, _ in entries]
    assert infer.draw_legend([], NYU40_PALETTE, height).shape == (height, 0,
                                                                  3)


def test_same_output_name_twice_is_refused(tmp_path):
    for folder in ('x', 'y'):
        atomic_write_png(str(tmp_path / folder / 'room.png'),
                         random_rgb(4, 4), rgb=True)
    with pytest.raises(SystemExit, match='both write room'):
        infer.list_images([str(tmp_path / 'x'), str(tmp_path / 'y')])
    (tmp_path / 'empty').mkdir()
    with pytest.raises(SystemExit, match='no images'):
        infer.list_images([str(tmp_path / 'empty')])


def run_cli(*args):
    return subprocess.run(
        [sys.executable, SCRIPT, *args],
        capture_output=True, text=True, timeout=120, cwd=ROOT)


@pytest.mark.slow
def test_missing_inputs_give_one_error_line(model_files, tmp_path):
    config, checkpoint = model_files
    image = tmp_path / 'img.png'
    atomic_write_png(str(image), random_rgb(8, 8), rgb=True)
    cases = {
        'config file not found': [str(tmp_path / 'no.py'), checkpoint],
        'checkpoint file not found': [config, str(tmp_path / 'no.pth')],
    }
    for message, paths in cases.items():
        result = run_cli(*paths, str(image), '--out', str(tmp_path / 'o'))
        missing = paths[0] if message.startswith('config') else paths[1]
        assert result.returncode == 1
        assert result.stderr.strip().splitlines() == [
            f'error: {message}: {missing}']
    result = run_cli(config, checkpoint, str(tmp_path / 'gone.png'),
                     '--out', str(tmp_path / 'o'))
    assert result.returncode == 1
    assert result.stderr.strip() == \
        f'error: image not found: {tmp_path / "gone.png"}'
    (tmp_path / 'bad.png').write_bytes(b'garbage')
    with pytest.raises(SystemExit, match='cannot decode image file'):
        infer.main([config, checkpoint, str(tmp_path / 'bad.png'), '--out',
                    str(tmp_path / 'o')])


def test_scale_option_resizes_each_photo_and_writes_at_its_size(model_files,
                                                                tmp_path):
    config, checkpoint = model_files  # its inference_scale is None
    rgb = random_rgb(40, 60, seed=5)
    atomic_write_png(str(tmp_path / 'p.png'), rgb, rgb=True)
    out = tmp_path / 'out'
    infer.main([config, checkpoint, str(tmp_path / 'p.png'), '--out',
                str(out), '--scale', '32', '24'])
    scaled = init_model(config, checkpoint,
                        cfg_options={'inference_scale': (32, 24)})
    expected = inference(scaled, rgb)
    labels = read(out / 'p_labels.png')
    depth = read(out / 'p_depth.png')
    assert labels.shape == depth.shape == (40, 60)
    np.testing.assert_array_equal(labels, expected.labels)
    np.testing.assert_array_equal(depth, metres_to_depth_png(expected.depth))
    at_own_size = inference(init_model(config, checkpoint), rgb)
    assert not np.array_equal(depth, metres_to_depth_png(at_own_size.depth))


@pytest.mark.slow
def test_bad_scales_are_refused_in_one_line(model_files, tmp_path):
    config, checkpoint = model_files
    image = tmp_path / 'img.png'
    atomic_write_png(str(image), random_rgb(8, 8), rgb=True)
    result = run_cli(config, checkpoint, str(image), '--out',
                     str(tmp_path / 'o'), '--scale', '0', '24')
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].endswith(
        '--scale needs two positive integers, got [0, 24]')
    own_resize = tmp_path / 'own_resize.py'
    own_resize.write_text(
        f'_base_ = [{config!r}]\n'
        'test_dataloader = dict(dataset=dict(pipeline=[\n'
        "    dict(type='LoadImageFromFile'),\n"
        "    dict(type='Resize', scale=(32, 24), keep_ratio=True),\n"
        "    dict(type='PackSegInputs')]))\n")
    with pytest.raises(SystemExit, match='already resizes') as error:
        infer.main([str(own_resize), checkpoint, str(image), '--out',
                    str(tmp_path / 'o'), '--scale', '32', '24'])
    assert '\n' not in str(error.value)
