"""tools/convert_nyu.py end to end on files shaped like the official ones."""
import importlib.util
import os
import os.path as osp
import subprocess
import sys

import h5py
import numpy as np
import pytest

from jointdepthseg.fileio import (SAMPLE_FOLDERS, atomic_write_png,
                                  read_depth_png, read_image, read_labels)
from tests.helpers.official_nyu import HEIGHT, WIDTH, write_official_files

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO, 'tools', 'convert_nyu.py')
TRAIN, TEST = [4, 1], [2, 3]  # 1-based, as in splits.mat


def run_cli(*args):
    env = dict(os.environ, PYTHONPATH=REPO)
    return subprocess.run([sys.executable, SCRIPT, *map(str, args)],
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=120)


def load_tool():
    """The CLI as a module, to call ``main(argv)`` in this process."""
    spec = importlib.util.spec_from_file_location('convert_nyu_tool', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def official(tmp_path_factory):
    """4 frames in the exact v7.3 layout (transposed), splits and mapping."""
    made = write_official_files(str(tmp_path_factory.mktemp('official')),
                                TRAIN, TEST, seed=1)
    return dict(made, up=made['upright'])


def cli_inputs(files):
    return [
        '--mat',
        str(files['mat']), '--splits',
        str(files['splits']), '--mapping',
        str(files['mapping'])
    ]


@pytest.mark.slow
def test_convert_frame_by_frame_then_rerun(official, tmp_path, capsys):
    out = tmp_path / 'nyu'
    result = run_cli(*cli_inputs(official['files']), '--out', out, '--workers',
                     2, '--chunk-size', 1, '--verify')
    assert result.returncode == 0, result.stderr
    assert 'warning:' in result.stderr and '795 / 654' in result.stderr
    assert 'converted 4 frames' in result.stdout
    assert 'verify: all 4 frames and file counts are exact' in result.stdout
    up, lut = official['up'], official['map_class']
    for split, frames in (('train', TRAIN), ('test', TEST)):
        for folder in SAMPLE_FOLDERS.values():
            assert sorted(os.listdir(out / folder / split)) == sorted(
                f'{frame:04d}.png' for frame in frames)
        for frame in frames:
            i, name = frame - 1, f'{frame:04d}.png'
            image = read_image(str(out / 'images' / split / name))
            assert image.shape == (HEIGHT, WIDTH, 3)  # upright 480 x 640
            np.testing.assert_array_equal(image, up['images'][i])
            label = read_labels(str(out / 'labels40' / split / name))
            labels = up['labels'][i].astype(np.int64)
            expected = np.where(labels == 0, 255, lut[labels - 1] - 1)
            np.testing.assert_array_equal(label, expected)
            for folder, key in (('depths', 'depth_mm'), ('raw_depths',
                                                         'raw_depth_mm')):
                depth = read_depth_png(str(out / folder / split / name))
                np.testing.assert_array_equal(depth, up[key][i])

    # in this process (a subprocess costs seconds of imports): a rerun skips
    # all frames, and its --verify catches a png changed behind its back
    atomic_write_png(str(out / 'depths' / 'test' / '0002.png'),
                     np.zeros((HEIGHT, WIDTH), np.uint16))
    tool = load_tool()
    assert tool.main(
        cli_inputs(official['files']) +
        ['--out', str(out), '--verify']) == 1
    captured = capsys.readouterr()
    assert 'converted 0 frames, skipped 4 already converted' in captured.out
    assert '0002.png: 307200 values differ from the .mat' in captured.err


@pytest.mark.slow
def test_bad_input_is_one_line_and_writes_nothing(official, tmp_path, capsys):
    bad_mat = tmp_path / 'nyu_depth_v2_labeled.mat'
    with h5py.File(official['files']['mat'], 'r') as src, \
            h5py.File(bad_mat, 'w') as dst:
        for key in ('images', 'depths', 'rawDepths'):
            src.copy(key, dst)
        dst['labels'] = src['labels'][()].astype(np.float64)
    files = dict(official['files'], mat=bad_mat)
    out = tmp_path / 'out'
    result = run_cli(*cli_inputs(files), '--out', out)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"convert_nyu.py: error: {bad_mat}: dataset 'labels' has dtype "
        'float64, expected uint16')
    assert not out.exists()

    files = dict(official['files'], splits=tmp_path / 'no.mat')
    assert load_tool().main(cli_inputs(files) + ['--out', str(out)]) == 1
    assert capsys.readouterr().err == (
        f'convert_nyu.py: error: {tmp_path / "no.mat"}: file not found\n')
