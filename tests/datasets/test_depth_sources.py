"""Which depth is loaded: raw Kinect depth for training, in-painted for
evaluation, the measured depth as an input; and how it travels through the
augmentation and the packing."""
import copy
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

import jointdepthseg  # noqa: F401  registers the components
from jointdepthseg.datasets import layout
from mmseg.registry import DATASETS, TRANSFORMS
from tests.helpers.tiny_data import write_tiny_dataset

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SIZE = (24, 32)


def read_metres(path):
    import cv2
    return cv2.imread(path, cv2.IMREAD_UNCHANGED).astype(np.float32) * 1e-3


def sample_info(root, name='0001', split='train'):
    dataset = DATASETS.build(dict(type='NYUv2Dataset', data_root=root,
                                  split=split, pipeline=[]))
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    names = [osp.basename(info['img_path']) for info in infos]
    return infos[names.index(name + '.png')]


def load(info, **kwargs):
    results = TRANSFORMS.build(dict(type='LoadImageFromFile'))(
        copy.deepcopy(info))
    return TRANSFORMS.build(dict(type='LoadNYUAnnotations', **kwargs))(
        results)


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    return write_tiny_dataset(tmp_path_factory.mktemp('depth_sources'),
                              num_train=2, num_test=1, size=SIZE)


def test_depth_source_picks_the_raw_or_the_inpainted_png(root):
    info = sample_info(root)
    raw = read_metres(info['raw_depth_path'])
    inpainted = read_metres(info['depth_map_path'])
    # tiny_data's raw depth has holes (0) where the in-painted one has depth
    holes = (raw == 0) & (inpainted > 0)
    assert holes.sum() == 6
    from_raw = load(info, depth_source='raw')
    np.testing.assert_array_equal(from_raw['gt_depth_map'], raw)
    assert np.all(from_raw['gt_depth_map'][holes] == 0)
    default = load(info)  # in-painted, as before
    np.testing.assert_array_equal(default['gt_depth_map'], inpainted)
    assert 'measured_depth_map' not in default
    both = load(info, depth_source='inpainted', with_measured_depth=True)
    np.testing.assert_array_equal(both['gt_depth_map'], inpainted)
    np.testing.assert_array_equal(both['measured_depth_map'], raw)
    assert both['measured_depth_map'].dtype == np.float32
    assert both['seg_fields'] == ['gt_seg_map', 'gt_depth_map',
                                  'measured_depth_map']


def test_a_dataset_without_raw_depth_fails_in_one_line(tmp_path):
    root = write_tiny_dataset(tmp_path, num_train=1, num_test=0, size=SIZE,
                              with_raw=False)
    info = sample_info(root)
    for kwargs in (dict(depth_source='raw'), dict(with_measured_depth=True)):
        with pytest.raises(FileNotFoundError) as error:
            load(info, **kwargs)
        message = str(error.value)
        assert info['img_path'] in message and 'raw_depths' in message
        assert '\n' not in message
    with pytest.raises(ValueError, match="depth_source must be one of"):
        TRANSFORMS.build(dict(type='LoadNYUAnnotations', depth_source='rw'))


def test_measured_depth_moves_and_scales_with_the_ground_truth(tmp_path):
    """Loaded from the same raw png, the ground truth and the measured depth
    must stay identical through crops, flips and zooms (a zoom divides
    both by its factor)."""
    info = sample_info(write_tiny_dataset(tmp_path, num_train=1, num_test=0,
                                          size=SIZE))
    raw = read_metres(info['raw_depth_path'])
    raw[::3, ::3] = 0  # holes everywhere, so every crop keeps some
    layout.atomic_write_png(info['raw_depth_path'],
                            layout.metres_to_depth_png(raw))
    np.random.seed(3)
    results = load(info, depth_source='raw', with_measured_depth=True)
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


def test_pack_joint_seg_inputs_adds_the_measured_depth(root):
    info = sample_info(root)
    results = load(info, with_measured_depth=True)
    results = TRANSFORMS.build(dict(type='RandomFlip', prob=1.0))(results)
    expected = results['measured_depth_map'].copy()
    packed = TRANSFORMS.build(dict(type='PackJointSegInputs'))(results)
    sample = packed['data_samples']
    measured = sample.measured_depth_map.data
    assert tuple(measured.shape) == (1, *SIZE)
    assert str(measured.dtype) == 'torch.float32'
    np.testing.assert_array_equal(measured[0].numpy(), expected)
    assert 'gt_sem_seg' in sample and 'gt_depth_map' in sample
    plain = TRANSFORMS.build(dict(type='PackJointSegInputs'))(load(info))
    assert 'measured_depth_map' not in plain['data_samples']


def nyu_config(name='stage2_joint.py'):
    return Config.fromfile(osp.join(ROOT, 'configs', 'nyu', name))


def test_nyu_configs_train_on_the_augmented_set_and_raw_depth(root):
    cfg = nyu_config()
    train, test = cfg.train_dataloader.dataset, cfg.test_dataloader.dataset
    # Sec. 4.1: offline crops + mirrors from tools/augment_nyu.py
    assert train.data_root == 'data/nyu_v2_aug'
    assert test.data_root == 'data/nyu_v2'
    assert 'RandomFlip' not in [step.type for step in train.pipeline]
    for dataset, split in ((train, 'train'), (test, 'test')):
        dataset.data_root = root
        built = DATASETS.build(dataset)
        info = built.get_data_info(0)
        raw = read_metres(info['raw_depth_path'])
        inpainted = read_metres(info['depth_map_path'])
        depth = built[0]['data_samples'].gt_depth_map.data[0].numpy()
        if split == 'train':
            # raw holes stay 0 (ignored); a 513 crop keeps the whole image
            np.testing.assert_array_equal(depth == 0, raw == 0)
        else:
            np.testing.assert_array_equal(depth, inpainted)
