"""NYUv2Dataset and the loading / training-target transforms."""
import os

import numpy as np
import pytest

import jointdepthseg  # noqa: F401
from jointdepthseg.datasets import NYU40_CLASSES, NYUv2Dataset, layout
from jointdepthseg.datasets.transforms import (DepthTrainingTarget,
                                               make_depth_training_target)
from mmseg.registry import DATASETS
from tests.helpers.tiny_data import write_tiny_dataset

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadNYUAnnotations'),
            dict(type='PackSegInputs')]


def test_lists_the_three_files_and_the_raw_depth(tmp_path):
    root = write_tiny_dataset(tmp_path, num_train=3, num_test=2)
    dataset = DATASETS.build(dict(type='NYUv2Dataset', data_root=root,
                                  split='train'))
    assert len(dataset) == 3
    info = dataset.get_data_info(0)
    assert info['img_path'].endswith(os.path.join('images', 'train',
                                                  '0001.png'))
    assert info['seg_map_path'].endswith(os.path.join('labels40', 'train',
                                                      '0001.png'))
    assert info['depth_map_path'].endswith(os.path.join('depths', 'train',
                                                        '0001.png'))
    assert 'raw_depth_path' in info
    assert dataset.metainfo['classes'] == NYU40_CLASSES
    assert len(dataset.metainfo['palette']) == 40


def test_loads_labels_and_depth_in_metres(tmp_path):
    root = write_tiny_dataset(tmp_path, num_train=1, num_test=1)
    dataset = NYUv2Dataset(data_root=root, split='test', pipeline=PIPELINE)
    sample = dataset[0]['data_samples']
    labels = sample.gt_sem_seg.data[0].numpy()
    depth = sample.gt_depth_map.data[0].numpy()
    assert labels.shape == depth.shape == (24, 32)
    assert set(np.unique(labels)) == {1, 5, 255}
    png = layout.metres_to_depth_png(depth)
    assert depth.dtype == np.float32
    assert depth[1, 0] == 0.0  # the hole stays invalid
    assert 1.7 < depth[5, 2] < 2.3 and 3.7 < depth[5, 30] < 4.3
    assert png[5, 2] == round(depth[5, 2] * 1000)


@pytest.mark.parametrize('missing', ['root', 'split', 'label', 'depth'])
def test_missing_files_name_the_path(tmp_path, missing):
    root = write_tiny_dataset(tmp_path / 'data', num_train=2, num_test=1)
    paths = layout.sample_paths(root, 'train', '0002')
    if missing == 'root':
        root, expected = str(tmp_path / 'nowhere'), 'nowhere'
    elif missing == 'split':
        os.rename(os.path.join(root, 'depths', 'train'),
                  os.path.join(root, 'depths', 'moved'))
        expected = os.path.join('depths', 'train')
    elif missing == 'label':
        os.remove(paths['seg_map_path'])
        expected = paths['seg_map_path']
    else:
        os.remove(paths['depth_map_path'])
        expected = paths['depth_map_path']
    with pytest.raises(FileNotFoundError, match=expected):
        NYUv2Dataset(data_root=root, split='train')


def corrupt_and_load(tmp_path, which, array):
    root = write_tiny_dataset(tmp_path, num_train=1, num_test=1)
    path = layout.sample_paths(root, 'test', '0001')[which]
    if array is None:
        with open(path, 'r+b') as file:
            file.truncate(40)
    else:
        layout.atomic_write_png(path, array)
    dataset = NYUv2Dataset(data_root=root, split='test', pipeline=PIPELINE)
    return path, dataset


@pytest.mark.parametrize('which,array,message', [
    ('seg_map_path', np.full((24, 32), 40, np.uint8), r'label values \[40\]'),
    ('seg_map_path', np.zeros((24, 32), np.uint16), 'single-channel 8-bit'),
    ('seg_map_path', np.zeros((20, 32), np.uint8), 'does not match'),
    ('depth_map_path', np.zeros((24, 32), np.uint8), '16-bit'),
    ('depth_map_path', np.zeros((24, 31), np.uint16), 'does not match'),
    ('depth_map_path', None, 'not a readable png'),
])
def test_bad_files_fail_as_they_load_naming_the_file(tmp_path, which, array,
                                                     message):
    path, dataset = corrupt_and_load(tmp_path, which, array)
    with pytest.raises((ValueError, IOError)) as error:
        dataset[0]
    assert path in str(error.value)
    assert error.match(message)


def test_training_target_clips_and_rounds_sec42():
    depth = np.array([[0.0, 0.05, 0.20, 0.22], [3.0, 6.95, 7.5, 12.0]])
    target = make_depth_training_target(depth, max_depth_m=7.0,
                                        bin_size_m=0.14)
    expected = np.array([[0.0, 0.14, 0.14, 0.28], [2.94, 7.0, 7.0, 7.0]])
    np.testing.assert_allclose(target, expected, atol=1e-6)
    for value in target[target > 0]:
        assert abs(value / 0.14 - round(value / 0.14)) < 1e-5


def test_training_target_transform_needs_depth():
    with pytest.raises(KeyError, match='LoadNYUAnnotations'):
        DepthTrainingTarget()(dict(img=np.zeros((2, 2, 3))))
    with pytest.raises(ValueError, match='bin_size'):
        DepthTrainingTarget(max_depth=1.0, bin_size=2.0)
