"""datasets/transforms/loading.py: LoadNYUAnnotations. Which depth is loaded
(raw Kinect depth for training, in-painted for evaluation, the measured depth
as an input), how it travels through the augmentation, and bad files failing
as they load, naming the file."""
import os

import numpy as np
import pytest

import jointdepthseg  # noqa: F401  registers the components
from jointdepthseg.datasets import NYUv2Dataset
from jointdepthseg.fileio import (atomic_write_png, metres_to_depth_png,
                                  read_depth_m, read_depth_png, sample_paths)
from mmseg.registry import TRANSFORMS
from tests.helpers.tiny_data import (data_info, load_annotations,
                                     write_tiny_dataset)

SIZE = (24, 32)
PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadNYUAnnotations'),
            dict(type='PackSegInputs')]


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    return write_tiny_dataset(tmp_path_factory.mktemp('depth_sources'),
                              num_train=2, num_test=1, size=SIZE)


def test_loads_labels_and_depth_in_metres(tmp_path):
    root = write_tiny_dataset(tmp_path, num_train=1, num_test=1)
    dataset = NYUv2Dataset(data_root=root, split='test', pipeline=PIPELINE)
    sample = dataset[0]['data_samples']
    labels = sample.gt_sem_seg.data[0].numpy()
    depth = sample.gt_depth_map.data[0].numpy()
    assert labels.shape == depth.shape == (24, 32)
    assert set(np.unique(labels)) == {1, 5, 255}
    assert depth.dtype == np.float32
    assert depth[1, 0] == 0.0  # the hole stays invalid
    assert 1.7 < depth[5, 2] < 2.3 and 3.7 < depth[5, 30] < 4.3
    png = read_depth_png(sample_paths(root, 'test', '0001')['depth'])
    np.testing.assert_array_equal(depth, png.astype(np.float32) * 1e-3)


def test_depth_source_picks_the_raw_or_the_inpainted_png(root):
    info = data_info(root)
    raw = read_depth_m(info['raw_depth_path'])
    inpainted = read_depth_m(info['depth_map_path'])
    # tiny_data's raw depth has holes (0) where the in-painted one has depth
    holes = (raw == 0) & (inpainted > 0)
    assert holes.sum() == 6
    from_raw = load_annotations(info, depth_source='raw')
    np.testing.assert_array_equal(from_raw['gt_depth_map'], raw)
    assert np.all(from_raw['gt_depth_map'][holes] == 0)
    default = load_annotations(info)  # in-painted, as before
    np.testing.assert_array_equal(default['gt_depth_map'], inpainted)
    assert 'measured_depth_map' not in default
    both = load_annotations(info, depth_source='inpainted',
                            with_measured_depth=True)
    np.testing.assert_array_equal(both['gt_depth_map'], inpainted)
    np.testing.assert_array_equal(both['measured_depth_map'], raw)
    assert both['measured_depth_map'].dtype == np.float32
    assert both['seg_fields'] == ['gt_seg_map', 'gt_depth_map',
                                  'measured_depth_map']


def test_a_dataset_without_raw_depth_fails_in_one_line(tmp_path):
    root = write_tiny_dataset(tmp_path, num_train=1, num_test=0, size=SIZE,
                              with_raw=False)
    info = data_info(root)
    for kwargs in (dict(depth_source='raw'), dict(with_measured_depth=True)):
        with pytest.raises(FileNotFoundError) as error:
            load_annotations(info, **kwargs)
        message = str(error.value)
        assert info['img_path'] in message and 'raw_depths' in message
        assert '\n' not in message
    with pytest.raises(ValueError, match="depth_source must be one of"):
        TRANSFORMS.build(dict(type='LoadNYUAnnotations', depth_source='rw'))


def test_measured_depth_moves_and_scales_with_the_ground_truth(tmp_path):
    """Loaded from the same raw png, the ground truth and the measured depth
    must stay identical through crops, flips and zooms (a zoom divides
    both by its factor)."""
    info = data_info(write_tiny_dataset(tmp_path, num_train=1, num_test=0,
                                        size=SIZE))
    raw = read_depth_m(info['raw_depth_path'])
    raw[::3, ::3] = 0  # holes everywhere, so every crop keeps some
    atomic_write_png(info['raw_depth_path'], metres_to_depth_png(raw))
    np.random.seed(3)
    results = load_annotations(info, depth_source='raw',
                               with_measured_depth=True)
    steps = [dict(type='RandomCrop', crop_size=(20, 26)),
             dict(type='RandomFlip', prob=1.0),
             dict(type='RandomZoomCrop', zoom_range=(1.3, 1.3), prob=1.0)]
    for step in steps:
        results = TRANSFORMS.build(step)(results)
    np.testing.assert_array_equal(results['measured_depth_map'],
                                  results['gt_depth_map'])
    assert results['measured_depth_map'].shape == (20, 26)
    zoom = results['zoom_crop']['zoom']
    assert zoom == pytest.approx(1.3, rel=0.05)
    # every value is a raw reading / zoom (or a hole)
    measured = results['measured_depth_map']
    valid = measured > 0
    scaled = np.unique(np.round(raw[raw > 0] / zoom, 5))
    assert np.isin(np.round(measured[valid], 5), scaled).all()
    assert (~valid).any()  # holes survive as 0


def corrupt_and_load(tmp_path, which, array):
    root = write_tiny_dataset(tmp_path, num_train=1, num_test=1)
    path = sample_paths(root, 'test', '0001')[which]
    if array is None:
        with open(path, 'r+b') as file:
            file.truncate(40)
    else:
        atomic_write_png(path, array)
    dataset = NYUv2Dataset(data_root=root, split='test', pipeline=PIPELINE)
    return path, dataset


@pytest.mark.parametrize('which,array,message', [
    ('labels', np.full((24, 32), 40, np.uint8), r'label values \[40\]'),
    ('labels', np.zeros((24, 32), np.uint16), 'single-channel 8-bit'),
    ('labels', np.zeros((20, 32), np.uint8), 'does not match'),
    ('depth', np.zeros((24, 32), np.uint8), '16-bit'),
    ('depth', np.zeros((24, 31), np.uint16), 'does not match'),
    ('depth', None, 'not a readable png'),
])
def test_bad_files_fail_as_they_load_naming_the_file(tmp_path, which, array,
                                                     message):
    path, dataset = corrupt_and_load(tmp_path, which, array)
    with pytest.raises(ValueError) as error:
        dataset[0]
    assert path in str(error.value)
    assert error.match(message)


def test_a_file_removed_after_listing_is_named(tmp_path):
    root = write_tiny_dataset(tmp_path, num_train=1, num_test=1)
    dataset = NYUv2Dataset(data_root=root, split='test', pipeline=PIPELINE)
    path = sample_paths(root, 'test', '0001')['labels']
    os.remove(path)
    with pytest.raises(FileNotFoundError, match=f'{path}: file not found'):
        dataset[0]
