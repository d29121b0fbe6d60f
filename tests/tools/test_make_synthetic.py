"""tools/make_synthetic.py: writes a dataset, one-line errors."""
from __future__ import annotations

import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

from jointdepthseg.datasets.synthetic import META_FILE
from jointdepthseg.fileio import DEPTH_DIR, IMAGE_DIR, read_image

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO, 'tools', 'make_synthetic.py')
_spec = importlib.util.spec_from_file_location('make_synthetic', SCRIPT)
make_synthetic = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_synthetic)


@pytest.mark.slow
def test_cli_writes_a_dataset(tmp_path):
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep +
               os.environ.get('PYTHONPATH', ''))
    result = subprocess.run(
        [sys.executable, SCRIPT,
         '--out', str(tmp_path), '--num-train', '2', '--num-test', '1',
         '--seed', '1', '--size', '16x20', '--no-progress'],
        capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    image = read_image(str(tmp_path / IMAGE_DIR / 'test' / '0001.png'))
    assert image.shape == (16, 20, 3)
    assert len(os.listdir(tmp_path / DEPTH_DIR / 'train')) == 2


@pytest.mark.parametrize('argv, message', [
    (['--size', '0x5'], 'at least 1 pixel'),
    (['--size', '240'], 'HEIGHTxWIDTH'),
    (['--num-train', '-3'], 'must be >= 0'),
])
def test_cli_bad_arguments_give_one_clear_line(tmp_path, capsys, argv,
                                               message):
    base = ['--out', str(tmp_path), '--num-train', '1', '--num-test', '1']
    with pytest.raises(SystemExit) as exit_info:
        make_synthetic.main(base + argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert message in err[-1] and 'Traceback' not in '\n'.join(err)
    assert not os.listdir(tmp_path)


def test_cli_reports_a_stale_dataset_in_one_line(tmp_path, capsys):
    stale = tmp_path / IMAGE_DIR / 'test' / '0042.png'
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b'')
    code = make_synthetic.main(['--out', str(tmp_path), '--num-train', '0',
                                '--num-test', '1', '--no-progress'])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1
    assert '0042.png is not a sample of this run' in err[0]


def test_cli_variant_option(tmp_path, capsys):
    assert make_synthetic.main(
        ['--out', str(tmp_path), '--num-train', '0', '--num-test', '1',
         '--seed', '3', '--size', '30x40', '--variant', 'depth-cue',
         '--no-progress']) == 0
    out = capsys.readouterr().out
    assert 'depth-only pair books / bookshelf: designed depth step ' \
        '0.27-0.37 m' in out
    assert ('benchmarks/depth_pair_statistics.py --data-root '
            f'{tmp_path}') in out
    with open(tmp_path / META_FILE) as file:
        assert json.load(file)['variant'] == 'depth-cue'
    with pytest.raises(SystemExit) as exit_info:
        make_synthetic.main(['--out', str(tmp_path / 'x'), '--num-train', '1',
                             '--num-test', '0', '--variant', 'kitchen'])
    assert exit_info.value.code == 2
    assert "invalid choice: 'kitchen'" in capsys.readouterr().err
