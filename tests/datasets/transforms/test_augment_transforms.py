"""datasets/transforms/augment_transforms.py: RandomZoomCrop (online zoom
crop, depth / zoom), and mmseg's RandomFlip on our fields."""
import math

import cv2
import numpy as np
import pytest
from mmcv.transforms import Compose
from mmseg.registry import TRANSFORMS

import jointdepthseg  # noqa: F401  (registers the transforms)
from jointdepthseg.datasets.transforms.augment_transforms import RandomZoomCrop
from jointdepthseg.fileio import atomic_write_png, sample_paths
from tests.helpers.tiny_data import data_info

HEIGHT, WIDTH = 30, 40


def make_results(rng):
    """A sample plus ``gt_index``, each pixel's flat index, to trace moves."""
    depth = rng.uniform(0.5, 9.0, (HEIGHT, WIDTH)).astype(np.float32)
    depth[rng.random(depth.shape) < 0.2] = 0.0
    return dict(
        img=rng.integers(0, 256, (HEIGHT, WIDTH, 3), np.uint8),
        gt_seg_map=rng.integers(0, 40, (HEIGHT, WIDTH)).astype(np.uint8),
        gt_depth_map=depth,
        gt_index=np.arange(HEIGHT * WIDTH).reshape(HEIGHT, WIDTH),
        seg_fields=['gt_seg_map', 'gt_depth_map', 'gt_index'])


def test_registered_under_its_own_name():
    transform = TRANSFORMS.build(
        dict(type='RandomZoomCrop', zoom_range=(1.2, 1.4), prob=0.5))
    assert isinstance(transform, RandomZoomCrop)
    assert 'RandomZoomCrop' in repr(transform)
    with pytest.raises(ValueError, match='zoom_range'):
        RandomZoomCrop(zoom_range=(0.9, 1.2))
    with pytest.raises(ValueError, match='prob'):
        RandomZoomCrop(prob=1.5)


def test_fields_move_together_and_depth_is_divided_by_the_zoom():
    rng = np.random.default_rng(0)
    transform = RandomZoomCrop(zoom_range=(1.1, 2.0))
    np.random.seed(0)
    for _ in range(20):
        source = make_results(rng)
        out = transform({
            k: (v.copy() if k != 'seg_fields' else list(v))
            for k, v in source.items()
        })
        top, left, crop_h, crop_w = out['zoom_crop']['box']
        zoom = out['zoom_crop']['zoom']
        assert zoom == pytest.approx(
            math.sqrt(HEIGHT / crop_h * WIDTH / crop_w))
        assert 1.1 - 0.1 < zoom < 2.0 + 0.1  # rounding to whole pixels
        index = out['gt_index']
        rows, cols = index // WIDTH, index % WIDTH
        assert rows.min() >= top and rows.max() < top + crop_h
        assert cols.min() >= left and cols.max() < left + crop_w
        # each output pixel takes the source pixel under its centre
        for i in range(HEIGHT):
            centre = top + (i + 0.5) * crop_h / HEIGHT
            assert rows[i, 0] <= centre < rows[i, 0] + 1
        np.testing.assert_array_equal(out['gt_seg_map'],
                                      source['gt_seg_map'].ravel()[index])
        assert out['gt_depth_map'].dtype == np.float32
        np.testing.assert_allclose(
            out['gt_depth_map'],
            source['gt_depth_map'].ravel()[index] / zoom,
            rtol=1e-6)
        assert np.array_equal(out['gt_depth_map'] == 0,
                              source['gt_depth_map'].ravel()[index] == 0)
        expected_img = cv2.resize(
            source['img'][top:top + crop_h, left:left + crop_w],
            (WIDTH, HEIGHT),
            interpolation=cv2.INTER_LINEAR)
        np.testing.assert_array_equal(out['img'], expected_img)


def test_probability_and_identity():
    rng = np.random.default_rng(1)
    source = make_results(rng)
    out = RandomZoomCrop(prob=0.0)(dict(source))
    assert out['zoom_crop'] is None and out['img'] is source['img']
    out = RandomZoomCrop(zoom_range=(1.0, 1.0))(dict(source))
    assert out['zoom_crop'] == dict(box=(0, 0, HEIGHT, WIDTH), zoom=1.0)
    for key in ('img', 'gt_seg_map', 'gt_depth_map'):
        np.testing.assert_array_equal(out[key], source[key])
    np.random.seed(3)
    zoomed = [
        RandomZoomCrop(prob=0.3)(dict(source))['zoom_crop'] is not None
        for _ in range(400)
    ]
    assert 0.22 < np.mean(zoomed) < 0.38
    twice = dict(source, seg_fields=['gt_depth_map', 'gt_depth_map'])
    out = RandomZoomCrop(zoom_range=(2.0, 2.0))(twice)
    top, left = out['zoom_crop']['box'][:2]  # 2x: each pixel once, halved
    rows, cols = top + np.arange(HEIGHT) // 2, left + np.arange(WIDTH) // 2
    np.testing.assert_allclose(out['gt_depth_map'],
                               source['gt_depth_map'][np.ix_(rows, cols)] / 2)
    bad = dict(source, gt_seg_map=source['gt_seg_map'][:, :-1])
    with pytest.raises(ValueError, match=r"results\['gt_seg_map'\] has shape"):
        RandomZoomCrop()(bad)


def test_mmseg_random_flip_flips_every_seg_field():
    rng = np.random.default_rng(2)
    source = make_results(rng)
    flip = TRANSFORMS.build(
        dict(type='RandomFlip', prob=1.0, direction='horizontal'))
    out = flip({
        k: (v.copy() if k != 'seg_fields' else list(v))
        for k, v in source.items()
    })
    for key in ('img', 'gt_seg_map', 'gt_depth_map'):
        np.testing.assert_array_equal(out[key], source[key][:, ::-1])


def test_in_a_loading_pipeline(tmp_path):
    rng = np.random.default_rng(3)
    paths = sample_paths(str(tmp_path), 'train', '0001')
    depth_mm = rng.integers(1, 9000, (HEIGHT, WIDTH)).astype(np.uint16)
    atomic_write_png(
        paths['image'],
        rng.integers(0, 256, (HEIGHT, WIDTH, 3), np.uint8),
        rgb=True)
    atomic_write_png(paths['labels'],
                     rng.integers(0, 40, (HEIGHT, WIDTH)).astype(np.uint8))
    atomic_write_png(paths['depth'], depth_mm)
    pipeline = Compose([
        dict(type='LoadImageFromFile'),
        dict(type='LoadNYUAnnotations'),
        dict(type='RandomZoomCrop', zoom_range=(1.5, 1.5)),
        dict(type='RandomFlip', prob=1.0),
        dict(type='PackSegInputs'),
    ])
    np.random.seed(0)
    packed = pipeline(data_info(str(tmp_path)))
    sample = packed['data_samples']
    zoom = math.sqrt(HEIGHT / 20 * WIDTH / 27)  # round(30/1.5), round(40/1.5)
    depth = sample.gt_depth_map.data.numpy()[0]
    assert depth.shape == (HEIGHT,
                           WIDTH) and packed['inputs'].shape == (3, HEIGHT,
                                                                 WIDTH)
    values = set(np.round(depth.ravel() * zoom * 1000).astype(int))
    assert values <= set(depth_mm.ravel().astype(int))
