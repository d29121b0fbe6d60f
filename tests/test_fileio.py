"""jointdepthseg/fileio.py: depth png round trips, samples on disk, atomic
writes that leave nothing half-written, errors that name the file."""
import json
import os
import stat

import cv2
import numpy as np
import pytest

from jointdepthseg import fileio
from jointdepthseg.fileio import (SAMPLE_KEYS, atomic_write_bytes,
                                  atomic_write_json, atomic_write_png,
                                  atomic_write_text, depth_png_to_metres,
                                  metres_to_depth_png, read_depth_m,
                                  read_depth_png, read_image, read_labels,
                                  read_png, read_sample, sample_exists,
                                  sample_paths, write_sample)


def random_sample(rng, size=(6, 8)) -> dict:
    depth = rng.uniform(0.3, 9.0, size)
    depth[0, :3] = 0.0
    return dict(image=rng.integers(0, 256, size + (3,), np.uint8),
                labels=rng.integers(0, 40, size).astype(np.uint8),
                depth=depth, raw_depth=np.where(depth > 5, 0.0, depth))


def folder_listing(root) -> list:
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _, files in os.walk(root) for f in files)


# --------------------------------------------------------------- depth pngs


def test_metres_to_png_and_back_within_half_a_millimetre(tmp_path):
    rng = np.random.default_rng(0)
    depth = rng.uniform(0.0, 65.5, (50, 60))
    depth[:5, 0] = [0.0, 65.535, 65.5354, 1e-4, 0.0016]  # edges
    path = str(tmp_path / 'd.png')
    atomic_write_png(path, metres_to_depth_png(depth))
    # float32 carries ~4 um of its own rounding at 65 m
    for dtype, slack in ((np.float32, 1e-5), (np.float64, 1e-9)):
        back = read_depth_m(path, dtype)
        assert back.dtype == dtype
        assert np.abs(back - depth).max() <= 0.0005 + slack
    png = read_depth_png(path)
    assert png.dtype == np.uint16
    np.testing.assert_array_equal(png[:5, 0], [0, 65535, 65535, 0, 2])


def test_invalid_depth_is_zero_and_too_far_is_refused():
    depth = np.array([[0.0, -1.0, np.nan, -np.inf, 2.0]])
    np.testing.assert_array_equal(metres_to_depth_png(depth),
                                  [[0, 0, 0, 0, 2000]])
    for too_far in (65.5356, 70.0, np.inf):
        with pytest.raises(ValueError, match='expected at most 65.535 m'):
            metres_to_depth_png(np.array([[1.0, too_far]]))
    assert metres_to_depth_png(np.array([[65.535]]))[0, 0] == 65535


def test_png_to_metres_matches_the_readers_of_before():
    """float32: ``png.astype(float32) * float32(1e-3)`` (the loader);
    float64: ``png * 1e-3`` (the offline augmentation)."""
    png = np.arange(0, 65536, 7, dtype=np.uint16).reshape(-1, 1)
    np.testing.assert_array_equal(depth_png_to_metres(png),
                                  png.astype(np.float32) * np.float32(1e-3))
    np.testing.assert_array_equal(depth_png_to_metres(png, np.float64),
                                  png * 1e-3)
    assert depth_png_to_metres(png).dtype == np.float32


# ------------------------------------------------------------- png readers


def test_readers_check_dtype_and_channels_naming_the_file(tmp_path):
    path = str(tmp_path / 'x.png')
    cases = [
        (read_image, np.zeros((4, 5), np.uint8), 'an 8-bit colour image'),
        (read_labels, np.zeros((4, 5, 3), np.uint8), 'label png'),
        (read_labels, np.zeros((4, 5), np.uint16), 'label png'),
        (read_depth_png, np.zeros((4, 5), np.uint8), '16-bit millimetre'),
        (read_depth_m, np.zeros((4, 5, 3), np.uint8), '16-bit millimetre'),
    ]
    for reader, array, expected in cases:
        cv2.imwrite(path, array)
        with pytest.raises(ValueError, match=expected) as error:
            reader(path)
        assert str(error.value).startswith(path + ': ')
    with pytest.raises(FileNotFoundError, match='gone.png: file not found'):
        read_png(str(tmp_path / 'gone.png'))
    (tmp_path / 'cut.png').write_bytes(b'\x89PNG\r\n')
    with pytest.raises(ValueError, match='cut.png: not a readable png'):
        read_png(str(tmp_path / 'cut.png'))


def test_label_values_are_checked_when_asked(tmp_path):
    path = str(tmp_path / 'l.png')
    labels = np.array([[0, 39, 255, 40, 41]], np.uint8)
    atomic_write_png(path, labels)
    np.testing.assert_array_equal(read_labels(path), labels)
    with pytest.raises(ValueError, match=r'l.png: label values \[40, 41\] '
                       r'are outside 0..39 and 255'):
        read_labels(path, num_classes=40, ignore_index=255)


def test_rgb_is_swapped_on_write_and_read(tmp_path):
    rgb = np.zeros((2, 3, 3), np.uint8)
    rgb[..., 0] = 200  # red
    path = str(tmp_path / 'red.png')
    atomic_write_png(path, rgb, rgb=True)
    assert (cv2.imread(path)[..., 2] == 200).all()  # OpenCV: BGR
    np.testing.assert_array_equal(read_png(path, rgb=True), rgb)
    np.testing.assert_array_equal(read_image(path), rgb)


# ----------------------------------------------------------------- samples


def test_sample_round_trip_in_the_layout(tmp_path):
    sample = random_sample(np.random.default_rng(1))
    write_sample(str(tmp_path), 'train', '0007', sample)
    assert folder_listing(tmp_path) == [
        os.path.join(folder, 'train', '0007.png')
        for folder in ('depths', 'images', 'labels40', 'raw_depths')]
    assert sample_paths('R', 'test', 'n') == dict(
        image=os.path.join('R', 'images', 'test', 'n.png'),
        labels=os.path.join('R', 'labels40', 'test', 'n.png'),
        depth=os.path.join('R', 'depths', 'test', 'n.png'),
        raw_depth=os.path.join('R', 'raw_depths', 'test', 'n.png'))
    back = read_sample(str(tmp_path), 'train', '0007')
    assert list(back) == list(SAMPLE_KEYS)
    np.testing.assert_array_equal(back['image'], sample['image'])
    np.testing.assert_array_equal(back['labels'], sample['labels'])
    for key in ('depth', 'raw_depth'):
        assert back[key].dtype == np.float64
        assert np.abs(back[key] - sample[key]).max() <= 0.0005 + 1e-9
        assert (back[key] == 0).sum() == (sample[key] == 0).sum()
    # written back unchanged: the same bytes
    write_sample(str(tmp_path / 'again'), 'train', '0007', back)
    for path, again in zip(
            sample_paths(str(tmp_path), 'train', '0007').values(),
            sample_paths(str(tmp_path / 'again'), 'train', '0007').values()):
        with open(path, 'rb') as a, open(again, 'rb') as b:
            assert a.read() == b.read()
    assert sample_exists(str(tmp_path), 'train', '0007')
    assert not sample_exists(str(tmp_path), 'train', '0008')
    only = read_sample(str(tmp_path), 'train', '0007', ('depth',))
    assert list(only) == ['image', 'depth']


def test_bad_samples_are_refused_before_any_file_is_written(tmp_path):
    rng = np.random.default_rng(2)
    root = str(tmp_path)
    paths = sample_paths(root, 'train', '0001')
    bad = [
        (dict(depth=np.full((6, 8), 80.0)), f"{paths['depth']}: depth "
         'reaches 80 m, expected at most 65.535 m'),
        (dict(labels=np.zeros((6, 8), np.int64)), f"{paths['labels']}: "
         'int64'),
        (dict(image=np.zeros((6, 8), np.uint8)), f"{paths['image']}: uint8 "
         r'\(6, 8\), expected an RGB image'),
        (dict(raw_depth=np.zeros((6, 9))), 'differ in size: .*raw_depths'),
        (dict(label=np.zeros((6, 8), np.uint8)), "unknown keys \\['label'\\]"),
    ]
    for change, message in bad:
        sample = dict(random_sample(rng), **change)
        with pytest.raises(ValueError, match=message):
            write_sample(root, 'train', '0001', sample)
        assert folder_listing(tmp_path) == []


def test_read_sample_names_the_file_that_is_wrong(tmp_path):
    root = str(tmp_path)
    write_sample(root, 'train', '0001',
                 random_sample(np.random.default_rng(3)))
    paths = sample_paths(root, 'train', '0001')
    cv2.imwrite(paths['depth'], np.zeros((6, 7), np.uint16))
    with pytest.raises(ValueError, match=f"{paths['depth']}: size 6x7 does "
                       f"not match its image {paths['image']}"):
        read_sample(root, 'train', '0001')
    os.remove(paths['raw_depth'])
    with pytest.raises(FileNotFoundError, match=f"{paths['raw_depth']}"):
        read_sample(root, 'train', '0001', ('raw_depth',))


# ----------------------------------------------------------- atomic writes


def test_atomic_writes_write_what_they_are_given(tmp_path):
    atomic_write_text(str(tmp_path / 'a' / 't.txt'), 'héllo\n')
    assert (tmp_path / 'a' / 't.txt').read_text(encoding='utf-8') == 'héllo\n'
    atomic_write_json(str(tmp_path / 'j.json'), dict(b=[1, 2.5], a=None))
    text = (tmp_path / 'j.json').read_text()
    assert text == json.dumps(dict(b=[1, 2.5], a=None), indent=2) + '\n'
    atomic_write_json(str(tmp_path / 'n.json'), [float('nan')])
    with pytest.raises(ValueError):
        atomic_write_json(str(tmp_path / 'n.json'), [float('nan')],
                          allow_nan=False)
    assert (tmp_path / 'n.json').read_text() == '[\n  NaN\n]\n'
    atomic_write_bytes(str(tmp_path / 'b.bin'), b'\x00\x01')
    assert (tmp_path / 'b.bin').read_bytes() == b'\x00\x01'


def test_new_files_get_the_usual_permissions(tmp_path):
    """0o666 less the umask, like any new file (mkstemp's would be 0o600)."""
    umask = os.umask(0o022)
    try:
        atomic_write_bytes(str(tmp_path / 'p.bin'), b'x')
    finally:
        os.umask(umask)
    assert stat.S_IMODE(os.stat(tmp_path / 'p.bin').st_mode) == 0o644


class FailingFile:
    """A file that writes half of what it is given, then fails."""

    def __init__(self, file):
        self.file = file

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.file.close()

    def write(self, data):
        self.file.write(data[:len(data) // 2])
        raise OSError('disk full')


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path,
                                                             monkeypatch):
    path = str(tmp_path / 'metrics.json')
    atomic_write_text(path, 'old\n')
    real_fdopen = os.fdopen
    monkeypatch.setattr(fileio.os, 'fdopen',
                        lambda *a, **k: FailingFile(real_fdopen(*a, **k)))
    with pytest.raises(OSError, match='disk full'):
        atomic_write_text(path, 'new content\n' * 100)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ['metrics.json']
    assert (tmp_path / 'metrics.json').read_text() == 'old\n'

    def interrupted_rename(src, dst):
        raise KeyboardInterrupt
    monkeypatch.setattr(fileio.os, 'replace', interrupted_rename)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_bytes(path, b'new')
    assert os.listdir(tmp_path) == ['metrics.json']
    assert (tmp_path / 'metrics.json').read_text() == 'old\n'


def test_an_encoder_error_writes_nothing_and_names_the_file(tmp_path):
    path = str(tmp_path / 'figure.png')
    atomic_write_png(path, np.zeros((2, 2), np.uint8))
    before = (tmp_path / 'figure.png').read_bytes()
    for array in (np.zeros((2, 2, 2), np.float64),
                  np.zeros((0, 4), np.uint8)):
        with pytest.raises(ValueError,
                           match=f'{path}: cannot encode') as error:
            atomic_write_png(path, array)
        assert '\n' not in str(error.value)  # one line
    assert os.listdir(tmp_path) == ['figure.png']
    assert (tmp_path / 'figure.png').read_bytes() == before
