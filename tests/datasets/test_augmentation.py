"""The paper's offline augmentation: crops, zoom, depth / zoom, mirror."""
import math
import os
import zlib
from fractions import Fraction

import cv2
import numpy as np
import pytest

from jointdepthseg.datasets.augmentation import (
    CORNERS, AugmentJob, CropBox, augment_training_samples, corner_box,
    crop_size_for_zoom, depth_after_zoom, mirror_sample, paper_augmentations,
    paper_crop_boxes, resize_crop_nearest, zoom_factor, zoom_sample)
from jointdepthseg.fileio import read_sample
from tests.helpers.tiny_data import write_random_sample


def test_crop_sizes_and_corners():
    assert crop_size_for_zoom(480, 640, 1.25) == (384, 512)
    assert crop_size_for_zoom(480, 640, 1.0) == (480, 640)
    with pytest.raises(ValueError, match='zoom must be >= 1'):
        crop_size_for_zoom(480, 640, 0.9)
    boxes = [corner_box(480, 640, 2.0, corner) for corner in CORNERS]
    assert boxes == [
        CropBox(0, 0, 240, 320),
        CropBox(0, 320, 240, 320),
        CropBox(240, 0, 240, 320),
        CropBox(240, 320, 240, 320)
    ]
    assert zoom_factor(boxes[0], 480, 640) == 2.0
    # rounding to whole pixels: the geometric mean of 48/33 and 64/44
    assert zoom_factor(CropBox(0, 0, 33, 44), 48,
                       64) == pytest.approx(math.sqrt(48 / 33 * 64 / 44))


def test_paper_crop_boxes_stay_inside_with_zoom_in_range():
    rng = np.random.default_rng(0)
    for placement in ('corners', 'random'):
        boxes = paper_crop_boxes(480, 640, rng, (1.1, 1.4), placement)
        assert len(boxes) == 4
        for box in boxes:
            assert 0 <= box.top and box.top + box.height <= 480
            assert 0 <= box.left and box.left + box.width <= 640
            assert 1.09 < zoom_factor(box, 480, 640) < 1.41
    corners = paper_crop_boxes(480, 640, rng, (1.2, 1.2))
    assert [(b.top > 0, b.left > 0) for b in corners] == [(False, False),
                                                          (False, True),
                                                          (True, False),
                                                          (True, True)]
    with pytest.raises(ValueError, match='zoom_range'):
        paper_crop_boxes(480, 640, rng, (0.8, 1.2))


def test_nearest_resize_takes_the_pixel_under_each_centre():
    rng = np.random.default_rng(1)
    array = rng.integers(0, 1000, (13, 17))
    box = CropBox(2, 3, 7, 11)
    out = resize_crop_nearest(array, box, 13, 17)
    for i in range(13):  # brute force with exact fractions
        for j in range(17):
            row = math.floor(Fraction(2 * i + 1, 2) * Fraction(7, 13))
            col = math.floor(Fraction(2 * j + 1, 2) * Fraction(11, 17))
            assert out[i, j] == array[2 + row, 3 + col]
    # an exact 2x zoom repeats each pixel of the crop in a 2 x 2 block
    half = resize_crop_nearest(array[:12, :16], CropBox(6, 8, 6, 8), 12, 16)
    np.testing.assert_array_equal(
        half, np.repeat(np.repeat(array[6:12, 8:16], 2, 0), 2, 1))


def render_square_scene(focal_px, side_m, square_depth_m, wall_depth_m):
    """A fronto-parallel square centred in front of a wall, pinhole camera."""
    height, width = 120, 160
    half_px = focal_px * side_m / square_depth_m / 2
    rows, cols = np.mgrid[:height, :width] + 0.5
    inside = (np.abs(rows - height / 2) < half_px) & (
        np.abs(cols - width / 2) < half_px)
    labels = np.where(inside, 10, 0).astype(np.uint8)
    depth = np.where(inside, square_depth_m, wall_depth_m)
    image = np.stack([labels * 20] * 3, -1).astype(np.uint8)
    return dict(image=image, labels=labels, depth=depth)


def test_zoomed_depth_matches_the_apparent_size_under_a_pinhole():
    focal, side = 100.0, 0.6
    sample = render_square_scene(focal, side, 3.0, 5.0)
    assert np.count_nonzero(sample['labels'][60]) == 20  # f * L / Z pixels
    zoomed, zoom = zoom_sample(sample, CropBox(30, 40, 60, 80))  # centre, 2x
    assert zoom == 2.0
    width_px = np.count_nonzero(zoomed['labels'][60])
    square_depth = zoomed['depth'][zoomed['labels'] == 10]
    np.testing.assert_allclose(square_depth, 1.5)
    # the zoomed view is what the same camera sees with the square at Z / s
    assert width_px == round(focal * side / square_depth[0])
    np.testing.assert_allclose(zoomed['depth'][zoomed['labels'] == 0], 2.5)


def test_zoom_sample_nearest_values_and_invalid_depth_stays_zero():
    rng = np.random.default_rng(2)
    depth = rng.integers(0, 3, (24, 32)) * rng.uniform(1, 8, (24, 32))
    sample = dict(
        image=rng.integers(0, 256, (24, 32, 3), np.uint8),
        labels=rng.integers(0, 40, (24, 32)).astype(np.uint8),
        depth=depth,
        raw_depth=np.where(depth > 4, 0.0, depth))
    box = CropBox(3, 5, 17, 23)
    zoomed, zoom = zoom_sample(sample, box)
    assert zoom == pytest.approx(math.sqrt(24 / 17 * 32 / 23))
    for key in ('depth', 'raw_depth'):
        crop_values = set(sample[key][3:20, 5:28].ravel() / zoom)
        assert set(zoomed[key].ravel()) <= crop_values
        nearest = resize_crop_nearest(sample[key], box, 24, 32)
        np.testing.assert_array_equal(zoomed[key] == 0, nearest == 0)
        np.testing.assert_allclose(zoomed[key], nearest / zoom)
    assert zoomed['labels'].dtype == np.uint8
    assert set(zoomed['labels'].ravel()) <= set(sample['labels'][3:20,
                                                               5:28].ravel())
    expected = cv2.resize(
        sample['image'][3:20, 5:28], (32, 24), interpolation=cv2.INTER_LINEAR)
    np.testing.assert_array_equal(zoomed['image'], expected)
    np.testing.assert_array_equal(depth_after_zoom(depth, 2.0), depth / 2.0)


def test_mirror_and_the_six_paper_variants():
    rng = np.random.default_rng(3)
    sample = dict(
        image=rng.integers(0, 256, (6, 8, 3), np.uint8),
        labels=rng.integers(0, 40, (6, 8)).astype(np.uint8),
        depth=rng.uniform(1, 5, (6, 8)))
    mirrored = mirror_sample(sample)
    for key in sample:
        for col in range(8):
            np.testing.assert_array_equal(mirrored[key][:, col],
                                          sample[key][:, 7 - col])
    boxes = paper_crop_boxes(6, 8, rng, (1.5, 1.5))
    variants = paper_augmentations(sample, boxes)
    assert [v[0] for v in variants
            ] == ['', '_flip', '_crop1', '_crop2', '_crop3', '_crop4']
    assert variants[0][1] is sample and variants[3][2]['box'] == [0, 3, 4, 5]
    assert all(v[1]['depth'].shape == (6, 8) for v in variants)


def test_augment_training_samples_files(tmp_path):
    rng = np.random.default_rng(4)
    for name in ('0001', '0007'):
        write_random_sample(tmp_path / 'src', 'train', name, rng,
                            raw_depth_divisor=2)
    job = AugmentJob(str(tmp_path / 'src'), str(tmp_path / 'out'), seed=5)
    assert augment_training_samples(job, ['0001', '0007']) == 2
    assert augment_training_samples(job, ['0001', '0007']) == 0  # all done
    written = sorted(os.listdir(tmp_path / 'out' / 'raw_depths' / 'train'))
    assert len(written) == 12 and written[:3] == [
        '0001.png', '0001_crop1.png', '0001_crop2.png'
    ]

    source = read_sample(job.data_root, 'train', '0007')
    boxes = paper_crop_boxes(24, 32,
                             np.random.default_rng([5, zlib.crc32(b'0007')]),
                             (1.1, 1.4))
    out = read_sample(job.out_root, 'train', '0007_crop3')
    zoom = zoom_factor(boxes[2], 24, 32)
    for key in ('depth', 'raw_depth'):
        depth_mm = np.rint(source[key] * 1000).astype(np.int64)
        expected_mm = np.rint(
            resize_crop_nearest(depth_mm, boxes[2], 24, 32) / zoom)
        np.testing.assert_array_equal(np.rint(out[key] * 1000), expected_mm)
    flipped = read_sample(job.out_root, 'train', '0007_flip')
    np.testing.assert_array_equal(flipped['image'], source['image'][:, ::-1])
    original = read_sample(job.out_root, 'train', '0007')
    np.testing.assert_array_equal(original['depth'], source['depth'])

    again = AugmentJob(job.data_root, str(tmp_path / 'again'), seed=5)
    augment_training_samples(again, ['0007'])
    for folder in ('images', 'depths', 'labels40'):
        name = os.path.join(folder, 'train', '0007_crop2.png')
        assert (tmp_path / 'out' / name).read_bytes() == (tmp_path / 'again' /
                                                          name).read_bytes()
