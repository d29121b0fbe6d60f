"""Reading, checking and converting files shaped like the official release."""
import os
import os.path as osp

import h5py
import numpy as np
import pytest
import scipy.io

from jointdepthseg.datasets.nyu_official import (
    ConversionJob, LabeledMat, OfficialFileError, convert_frames,
    load_small_mat, read_class_mapping, read_official_inputs, read_splits,
    recount_outputs, verify_frames)
from jointdepthseg.fileio import (atomic_write_png, metres_to_depth_png,
                                  read_image, read_labels)
from tests.helpers.official_nyu import (HEIGHT, WIDTH, write_labeled_mat,
                                        write_official_files)

NUM_FRAMES = 4


@pytest.fixture(scope='module')
def official(tmp_path_factory):
    root = tmp_path_factory.mktemp('official')
    made = write_official_files(str(root), train=[1, 3], test=[4, 2])
    return dict(made, root=root)


def expected_label(labels, map_class):
    """Independent per-name loop: 0 -> 255, k -> mapClass[k] - 1."""
    out = np.full(labels.shape, 255, np.uint8)
    for name in np.unique(labels):
        if name:
            out[labels == name] = int(map_class[name - 1]) - 1
    return out


def test_read_frame_is_upright_and_mapped(official):
    lut = read_class_mapping(official['files']['mapping'])
    up = official['upright']
    with LabeledMat(official['files']['mat']) as labeled:
        assert (labeled.num_frames, labeled.height,
                labeled.width) == (NUM_FRAMES, HEIGHT, WIDTH)
        for frame in range(1, NUM_FRAMES + 1):
            sample = labeled.read_frame(frame, lut)
            index = frame - 1
            np.testing.assert_array_equal(sample['image'], up['images'][index])
            np.testing.assert_array_equal(
                sample['labels'],
                expected_label(up['labels'][index], official['map_class']))
            for key, stored in (('depth', 'depths'),
                                ('raw_depth', 'rawDepths')):
                assert sample[key].dtype == np.float32  # metres, as stored
                np.testing.assert_array_equal(sample[key],
                                              up[stored][index])
                np.testing.assert_array_equal(  # what the png will hold
                    metres_to_depth_png(sample[key]), up[key + '_mm'][index])
    assert sample['labels'][0, 1] == 255
    assert sample['labels'][0, 0] == official['map_class'][893] - 1


def test_class_mapping_lut(official):
    lut = read_class_mapping(official['files']['mapping'])
    assert lut.shape == (895, ) and lut.dtype == np.uint8 and lut[0] == 255
    np.testing.assert_array_equal(lut[1:], official['map_class'] - 1)


def test_v73_small_mat_is_read_in_matlab_orientation(tmp_path):
    path = str(tmp_path / 'classMapping40.mat')
    map_class = np.arange(894) % 40 + 1
    with h5py.File(path, 'w') as mat:  # MATLAB (1, 894) is (894, 1) in h5py
        mat.create_dataset('mapClass', data=map_class.reshape(894, 1))
    assert load_small_mat(path, ('mapClass', ))['mapClass'].shape == (1, 894)
    np.testing.assert_array_equal(read_class_mapping(path)[1:], map_class - 1)


@pytest.mark.parametrize('overrides, message', [
    (dict(labels=None), "dataset 'labels' is missing"),
    (dict(labels=np.zeros((4, WIDTH, HEIGHT))),
     "dataset 'labels' has dtype float64, expected uint16"),
    (dict(images=np.zeros((4, 3, WIDTH, HEIGHT), np.float32)),
     "dataset 'images' has dtype float32, expected uint8"),
    (dict(depths=np.zeros((4, WIDTH, HEIGHT), np.int32)),
     "dataset 'depths' has dtype int32, expected float32"),
    (dict(rawDepths=np.zeros((3, WIDTH, HEIGHT), np.float32)),
     "dataset 'rawDepths' has shape (3, 640, 480), expected (4, 640, 480)"),
    (dict(images=np.zeros((4, 4, WIDTH, HEIGHT), np.uint8)),
     "expected (N, 3, W, H)"),
    (dict(depths=np.zeros((4, WIDTH), np.float32)),
     "dataset 'depths' has shape (4, 640), expected 3 axes"),
])
def test_labeled_mat_structure_errors(official, tmp_path, overrides, message):
    path = str(tmp_path / 'bad.mat')
    write_labeled_mat(path, official['upright'], overrides)
    with pytest.raises(OfficialFileError) as error:
        LabeledMat(path)
    assert str(error.value).startswith(path + ': ')
    assert message in str(error.value)


def test_truncated_missing_and_v5_files_are_named(official, tmp_path):
    truncated = str(tmp_path / 'truncated.mat')
    with open(official['files']['mat'], 'rb') as src:
        data = src.read()
    with open(truncated, 'wb') as dst:
        dst.write(data[:len(data) // 2])
    for path, message in ((truncated, 'truncated'),
                          (str(tmp_path / 'absent.mat'), 'file not found'),
                          (official['files']['splits'], 'MATLAB v7.3')):
        with pytest.raises(OfficialFileError, match=message) as error:
            LabeledMat(path)
        assert str(error.value).startswith(path + ': ')


def test_frame_values_are_checked_per_frame(official, tmp_path):
    path = str(tmp_path / 'bad_values.mat')
    upright = dict(official['upright'])
    upright['labels'] = upright['labels'].copy()
    upright['labels'][2, 10, 20] = 895
    upright['rawDepths'] = upright['rawDepths'].copy()
    upright['rawDepths'][3, 0, 0] = 70.0
    upright['depths'] = upright['depths'].copy()
    upright['depths'][0, 5, 5] = -np.inf
    write_labeled_mat(path, upright)
    lut = read_class_mapping(official['files']['mapping'])
    with LabeledMat(path) as labeled:
        labeled.read_frame(2, lut)
        with pytest.raises(
                OfficialFileError,
                match=r"frame 3: 'labels' holds 895, expected 0..894"):
            labeled.read_frame(3, lut)
        with pytest.raises(OfficialFileError,
                           match="frame 4: 'rawDepths': depth reaches 70 m, "
                           "expected at most 65.535 m"):
            labeled.read_frame(4, lut)
        with pytest.raises(OfficialFileError,
                           match=r"frame 1: 'depths' holds infinite depth"):
            labeled.read_frame(1, lut)


def test_splits_checks(tmp_path):

    def splits_file(**variables):
        path = str(tmp_path / 'splits.mat')
        scipy.io.savemat(path, variables)
        return path

    col = lambda *values: np.array(values, np.float64).reshape(-1, 1)  # noqa
    with pytest.warns(UserWarning, match='the official split has 795 / 654'):
        train, test = read_splits(
            splits_file(trainNdxs=col(5, 1), testNdxs=col(2)), 5)
    np.testing.assert_array_equal(train, [1, 5])
    np.testing.assert_array_equal(test, [2])
    bad = [(dict(trainNdxs=col(1, 6), testNdxs=col(2)), r"'trainNdxs' holds "
            r'indices 1..6, expected 1-based indices 1..5'),
           (dict(trainNdxs=col(0, 1), testNdxs=col(2)), 'indices 0..1'),
           (dict(trainNdxs=col(1, 2), testNdxs=col(2, 3)),
            '1 frames are in both trainNdxs and testNdxs'),
           (dict(trainNdxs=col(1, 1), testNdxs=col(2)), 'twice'),
           (dict(trainNdxs=col(1.5), testNdxs=col(2)), 'non-integer'),
           (dict(trainNdxs=col(1)), "variable 'testNdxs' is missing"),
           (dict(trainNdxs=np.ones((2, 2)), testNdxs=col(3)), 'vector')]
    for variables, message in bad:
        with pytest.raises(OfficialFileError, match=message):
            read_splits(splits_file(**variables), 5)
    with pytest.warns(UserWarning, match='the official split has 795 / 654'):
        read_splits(splits_file(trainNdxs=col(1), testNdxs=col(2)), 5)


def test_mapping_checks(tmp_path):
    path = str(tmp_path / 'classMapping40.mat')
    for map_class, message in ((np.ones(
        (1, 893)), r'shape \(1, 893\)'), (np.full(
            (1, 894), 41.0), 'values 41..41'), (np.zeros(
                (1, 894)), 'expected 1..40')):
        scipy.io.savemat(path, dict(mapClass=map_class))
        with pytest.raises(OfficialFileError, match=message):
            read_class_mapping(path)


def test_convert_skip_verify_and_recount(official, tmp_path):
    files = official['files']
    with pytest.warns(UserWarning):
        num_frames, splits, lut = read_official_inputs(**files)
    assert num_frames == 4
    frames = [(int(f), s) for s, fs in splits.items() for f in fs]
    job = ConversionJob(files['mat'], str(tmp_path), lut)
    assert convert_frames(job, frames) == (4, 0)
    assert convert_frames(job, frames) == (0, 4)  # a rerun skips them
    assert sorted(os.listdir(tmp_path / 'depths' /
                             'test')) == ['0002.png', '0004.png']
    image = read_image(str(tmp_path / 'images' / 'train' / '0003.png'))
    np.testing.assert_array_equal(image, official['upright']['images'][2])
    assert verify_frames(job, frames) == [] and recount_outputs(
        str(tmp_path), splits) == []

    label_path = str(tmp_path / 'labels40' / 'train' / '0001.png')
    label = read_labels(label_path)
    label[5, 5] = (label[5, 5] + 1) % 40
    atomic_write_png(label_path, label)
    os.remove(tmp_path / 'raw_depths' / 'test' / '0004.png')
    depth_path = str(tmp_path / 'depths' / 'test' / '0002.png')
    atomic_write_png(depth_path, np.zeros((HEIGHT, WIDTH), np.uint8))
    (tmp_path / 'images' / 'test' / '0003.png').write_bytes(b'')
    problems = verify_frames(job, frames)
    assert f'{label_path}: 1 values differ from the .mat' in problems
    assert (f'{depth_path}: uint8 (480, 640), expected uint16 (480, 640)'
            in problems)
    assert any(p.endswith('0004.png: missing') for p in problems)
    recount = recount_outputs(str(tmp_path), splits)
    assert recount == [
        f"{osp.join(tmp_path, 'images', 'test')}: 1 unexpected files, "
        'e.g. 0003.png',
        f"{osp.join(tmp_path, 'raw_depths', 'test')}: 1 missing files, "
        'e.g. 0004.png'
    ]
