"""datasets/synthetic/writer.py: a generated dataset's files and metadata."""
from __future__ import annotations

import json
import os
import os.path as osp

import numpy as np
import pytest

from jointdepthseg.datasets.synthetic import (DEPTH_CUE_PAIRS, META_FILE,
                                              generate_dataset, render_room,
                                              sample_name, sample_rng)
from jointdepthseg.fileio import (IMAGE_DIR, LABEL_DIR, SAMPLE_FOLDERS,
                                  read_depth_png, read_image, read_sample)
from tests.helpers.synthetic_rooms import EXPECTED_PAIRS

SMALL = (24, 32)


def _read_all(root: str) -> dict[str, bytes]:
    files = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = osp.join(dirpath, name)
            with open(path, 'rb') as file:
                files[osp.relpath(path, root)] = file.read()
    return files


def test_generate_dataset_is_deterministic_for_a_seed(tmp_path):
    generate_dataset(str(tmp_path / 'a'), 2, 1, seed=3, size=SMALL,
                     progress=False)
    generate_dataset(str(tmp_path / 'b'), 2, 1, seed=3, size=SMALL,
                     progress=False, workers=2)
    generate_dataset(str(tmp_path / 'c'), 2, 1, seed=4, size=SMALL,
                     progress=False)
    a, b, c = (_read_all(str(tmp_path / x)) for x in 'abc')
    assert len(a) == 4 * 3 + 1 and a == b  # same bytes, any worker count
    assert 'synthetic_meta.json' in a
    assert a.keys() == c.keys()
    assert all(a[k] != c[k] for k in a if k.startswith(IMAGE_DIR))


def test_generate_dataset_writes_the_layout(tmp_path):
    names = generate_dataset(str(tmp_path), 3, 2, seed=0, size=SMALL,
                             progress=False)
    assert names == dict(train=['0001', '0002', '0003'],
                         test=['0001', '0002'])
    for split, split_names in names.items():
        for folder in SAMPLE_FOLDERS.values():
            assert sorted(os.listdir(tmp_path / folder / split)) == [
                n + '.png' for n in split_names]
        for name in split_names:  # read_sample checks dtypes and sizes
            sample = read_sample(str(tmp_path), split, name)
            assert sample['image'].shape == SMALL + (3,)
            assert set(np.unique(sample['labels'])) <= set(range(40)) | {255}
            depth, raw = sample['depth'], sample['raw_depth']
            assert np.all(depth > 0)  # closed room: every pixel has depth
            assert np.all(depth[raw > 0] > 0)
            assert 0.3 < np.median(depth) < 9.0


def test_png_round_trip_keeps_millimetres(tmp_path):
    generate_dataset(str(tmp_path), 1, 0, seed=9, size=SMALL, progress=False)
    sample = render_room(sample_rng(9, 'train', 0), SMALL)
    depth_mm = read_depth_png(str(tmp_path / 'depths' / 'train' / '0001.png'))
    np.testing.assert_array_equal(depth_mm, np.rint(sample['depth'] * 1000))
    image = read_image(str(tmp_path / IMAGE_DIR / 'train' / '0001.png'))
    np.testing.assert_array_equal(image, sample['image'])


def test_generate_dataset_refuses_stale_files_and_bad_arguments(tmp_path):
    stale = tmp_path / LABEL_DIR / 'train' / '0099.png'
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b'')
    with pytest.raises(FileExistsError, match='0099.png'):
        generate_dataset(str(tmp_path), 1, 0, seed=0, size=SMALL,
                         progress=False)
    with pytest.raises(ValueError, match='size'):
        generate_dataset(str(tmp_path / 'x'), 1, 0, seed=0, size=(0, 5))
    with pytest.raises(ValueError, match='seed'):
        generate_dataset(str(tmp_path / 'x'), 1, 0, seed=-1)
    assert sample_name(0, 10) == '0001' and sample_name(9999, 12000) == '10000'


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
    meta = json.loads(a[META_FILE])
    assert (meta['variant'], meta['seed'], meta['size']) == ('depth-cue', 3,
                                                             [30, 40])
    assert (meta['num_train'], meta['num_test']) == (3, 1)
    assert {tuple(p['classes']): tuple(p['ids'])
            for p in meta['depth_only_pairs']} == EXPECTED_PAIRS
    for pair, spec in zip(meta['depth_only_pairs'], DEPTH_CUE_PAIRS):
        # what describes the data, nothing measured in it
        assert pair['depth_step_m'] == dict(
            design_min=pytest.approx(spec.design_step_m[0]),
            design_max=pytest.approx(spec.design_step_m[1]))
    assert json.loads(r[META_FILE])['depth_only_pairs'] == []
    with pytest.raises(ValueError, match='unknown synthetic variant'):
        generate_dataset(str(tmp_path / 'x'), 1, 0, seed=0, variant='Rooms')
