"""tools/augment_nyu.py: 6 variants per training image, test split copied."""
import importlib.util
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

from jointdepthseg.fileio import (SAMPLE_FOLDERS, atomic_write_png,
                                  read_depth_png)
from tests.helpers.tiny_data import write_random_sample

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO, 'tools', 'augment_nyu.py')


def load_tool():
    spec = importlib.util.spec_from_file_location('augment_nyu_tool', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_augment_cli(tmp_path, capsys):
    rng = np.random.default_rng(0)
    src, out = tmp_path / 'src', tmp_path / 'out'
    for name in ('0001', '0002', '0005'):
        write_random_sample(src, 'train', name, rng, (30, 40))
    write_random_sample(src, 'test', '0003', rng, (30, 40))
    env = dict(os.environ, PYTHONPATH=REPO)
    result = subprocess.run([
        sys.executable, SCRIPT, '--data-root',
        str(src), '--out',
        str(out), '--workers', '2', '--zoom-range', '1.25', '1.25'
    ],
                            env=env,
                            capture_output=True,
                            text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert 'augmenting 3 training images -> 18' in result.stdout
    assert 'copied 4 test files unchanged' in result.stdout
    for folder in SAMPLE_FOLDERS.values():
        names = sorted(os.listdir(out / folder / 'train'))
        assert len(names) == 18 and names[:6] == [
            '0001.png', '0001_crop1.png', '0001_crop2.png', '0001_crop3.png',
            '0001_crop4.png', '0001_flip.png'
        ]
        assert os.listdir(out / folder / 'test') == ['0003.png']
        assert (out / folder / 'test' /
                '0003.png').read_bytes() == (src / folder / 'test' /
                                             '0003.png').read_bytes()
    depth = read_depth_png(str(out / 'depths' / 'train' / '0002_crop4.png'))
    source = read_depth_png(str(src / 'depths' / 'train' / '0002.png'))
    assert depth.shape == (30, 40)
    # crop 4 = bottom-right 24 x 32 window, zoomed exactly 1.25x back to
    # 30 x 40 (nearest, pixel centres aligned), depth divided by 1.25
    rows = 6 + np.floor((np.arange(30) + 0.5) * 24 / 30).astype(int)
    cols = 8 + np.floor((np.arange(40) + 0.5) * 32 / 40).astype(int)
    expected = np.rint(source[np.ix_(rows, cols)] / 1.25)
    np.testing.assert_array_equal(depth, expected)

    tool = load_tool()
    assert tool.main(['--data-root', str(src), '--out', str(out)]) == 0
    assert 'augmented 0 images, skipped 3 done ones' in capsys.readouterr().out

    atomic_write_png(str(src / 'depths' / 'train' / '0005.png'),
                     np.zeros((30, 40), np.uint8))
    assert tool.main(
        ['--data-root',
         str(src), '--out',
         str(tmp_path / 'o2'), '--no-test']) == 1
    assert capsys.readouterr().err == (
        f"augment_nyu.py: error: {src / 'depths' / 'train' / '0005.png'}: "
        'uint8 (30, 40), expected a single-channel 16-bit millimetre depth '
        'png: uint16 (H, W)\n')
