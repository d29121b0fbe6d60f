"""datasets/nyu_v2.py: NYUv2Dataset lists a DATA_ROOT's samples, names what
is missing, and says which tool makes a missing DATA_ROOT."""
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

import jointdepthseg  # noqa: F401  registers the components
from jointdepthseg.datasets import NYU40_CLASSES, NYUv2Dataset
from jointdepthseg.fileio import read_depth_m, sample_paths
from mmseg.registry import DATASETS
from tests.helpers.tiny_data import write_tiny_dataset

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


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
    assert info['raw_depth_path'].endswith(os.path.join('raw_depths',
                                                        'train', '0001.png'))
    assert dataset.metainfo['classes'] == NYU40_CLASSES
    assert len(dataset.metainfo['palette']) == 40
    os.remove(sample_paths(root, 'train', '0002')['raw_depth'])
    infos = [dataset.get_data_info(i) for i in range(3)]
    dataset = NYUv2Dataset(data_root=root, split='train')
    assert ['raw_depth_path' in dataset.get_data_info(i)
            for i in range(3)] == [True, False, True]
    assert infos[0] == dataset.get_data_info(0)


@pytest.mark.parametrize('missing', ['root', 'split', 'labels', 'depth'])
def test_missing_files_name_the_path(tmp_path, missing):
    root = write_tiny_dataset(tmp_path / 'data', num_train=2, num_test=1)
    paths = sample_paths(root, 'train', '0002')
    if missing == 'root':
        root, expected = str(tmp_path / 'nowhere'), 'nowhere'
    elif missing == 'split':
        os.rename(os.path.join(root, 'depths', 'train'),
                  os.path.join(root, 'depths', 'moved'))
        expected = os.path.join('depths', 'train')
    else:
        os.remove(paths[missing])
        expected = paths[missing]
    with pytest.raises(FileNotFoundError, match=expected):
        NYUv2Dataset(data_root=root, split='train')


@pytest.mark.parametrize('made_by, command', [
    ('convert_nyu', 'python tools/convert_nyu.py --mat '
     'nyu_depth_v2_labeled.mat --splits splits.mat --mapping '
     'classMapping40.mat --out {root} '),
    ('augment_nyu', 'python tools/augment_nyu.py --data-root CONVERTED_ROOT '
     '--out {root} '),
    ('make_synthetic', 'python tools/make_synthetic.py --out {root} '),
])
def test_a_missing_root_names_the_tool_that_makes_it(tmp_path, made_by,
                                                     command):
    """The config's made_by, not the folder's name, picks the tool: an
    augmented set named like a converted one still gets augment_nyu.py."""
    root = str(tmp_path / 'data' / 'nyu_v2')
    with pytest.raises(FileNotFoundError) as error:
        NYUv2Dataset(data_root=root, made_by=made_by)
    message = str(error.value)
    assert message.startswith(f'NYUv2Dataset: data_root {root!r} is not a '
                              'folder; make it with: '
                              + command.format(root=root))
    assert '\n' not in message
    # only the tool that makes this root is offered (augment_nyu's hint also
    # names convert_nyu.py, which makes its input)
    offered = {tool for tool in ('convert_nyu', 'augment_nyu',
                                 'make_synthetic')
               if f'tools/{tool}.py' in message}
    assert offered == ({'augment_nyu', 'convert_nyu'}
                       if made_by == 'augment_nyu' else {made_by})


def test_without_made_by_all_three_tools_are_named(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        NYUv2Dataset(data_root=str(tmp_path / 'data' / 'nyu_v2_aug'))
    message = str(error.value)
    for tool in ('convert_nyu.py', 'augment_nyu.py', 'make_synthetic.py'):
        assert f'tools/{tool}' in message
    assert 'made_by' in message
    with pytest.raises(ValueError, match="made_by must be one of"):
        NYUv2Dataset(data_root=str(tmp_path), made_by='augment')


def test_nyu_configs_train_on_the_augmented_set_and_raw_depth(tmp_path):
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'nyu',
                                   'stage2_joint.py'))
    train, test = cfg.train_dataloader.dataset, cfg.test_dataloader.dataset
    # Sec. 4.1: offline crops + mirrors from tools/augment_nyu.py
    assert train.data_root == 'data/nyu_v2_aug'
    assert test.data_root == 'data/nyu_v2'
    assert 'RandomFlip' not in [step.type for step in train.pipeline]
    root = write_tiny_dataset(tmp_path, num_train=2, num_test=1)
    for dataset, split in ((train, 'train'), (test, 'test')):
        dataset.data_root = root
        built = DATASETS.build(dataset)
        info = built.get_data_info(0)
        raw = read_depth_m(info['raw_depth_path'])
        inpainted = read_depth_m(info['depth_map_path'])
        depth = built[0]['data_samples'].gt_depth_map.data[0].numpy()
        if split == 'train':
            # raw holes stay 0 (ignored); a 513 crop keeps the whole image
            np.testing.assert_array_equal(depth == 0, raw == 0)
        else:
            np.testing.assert_array_equal(depth, inpainted)
