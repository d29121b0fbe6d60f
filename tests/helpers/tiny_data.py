"""Writes a tiny dataset in the on-disk layout, for tests."""
from __future__ import annotations

import numpy as np

from jointdepthseg.fileio import write_sample


def write_tiny_dataset(root, num_train=4, num_test=2, size=(24, 32),
                       num_classes=40, seed=0, with_raw=True) -> str:
    """Random but structured samples: left half class 1 at 2 m, right half
    class 5 at 4 m, a few unlabeled pixels and depth holes. Returns root."""
    rng = np.random.default_rng(seed)
    height, width = size
    for split, count in (('train', num_train), ('test', num_test)):
        for index in range(count):
            image = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
            labels = np.full((height, width), 1, np.uint8)
            labels[:, width // 2:] = 5 % num_classes
            labels[0, :3] = 255
            depth = np.where(labels == 1, 2.0, 4.0) + rng.uniform(
                -0.2, 0.2, size)
            image[labels == 1] //= 2  # class 1 is darker: learnable
            depth[1, :2] = 0.0
            sample = dict(image=image, labels=labels, depth=depth)
            if with_raw:
                sample['raw_depth'] = depth.copy()
                sample['raw_depth'][-2:, -3:] = 0
            write_sample(str(root), split, f'{index + 1:04d}', sample)
    return str(root)


def data_info(root, name='0001', split='train') -> dict:
    """``NYUv2Dataset``'s data info of sample NAME (its file paths)."""
    from mmseg.registry import DATASETS
    dataset = DATASETS.build(dict(type='NYUv2Dataset', data_root=root,
                                  split=split, pipeline=[]))
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        if info['img_path'].endswith(f'{name}.png'):
            return info
    raise KeyError(f'no sample {name} in {root}/{split}')


def load_annotations(info: dict, **kwargs) -> dict:
    """``LoadImageFromFile`` then ``LoadNYUAnnotations(**kwargs)`` on a copy
    of ``info``."""
    import copy

    from mmseg.registry import TRANSFORMS
    results = TRANSFORMS.build(dict(type='LoadImageFromFile'))(
        copy.deepcopy(info))
    return TRANSFORMS.build(dict(type='LoadNYUAnnotations', **kwargs))(
        results)


def write_random_sample(root, split: str, name: str, rng, size=(24, 32),
                        raw_depth_divisor: int = 1) -> None:
    """Random pngs of one sample, written as stored: any RGB, labels 0..39,
    depth 0..9 m in whole millimetres (0 = invalid occurs), raw depth the
    depth's millimetres // ``raw_depth_divisor``."""
    from jointdepthseg.fileio import atomic_write_png, sample_paths
    paths = sample_paths(str(root), split, name)
    depth_mm = rng.integers(0, 9000, size).astype(np.uint16)
    atomic_write_png(paths['image'],
                     rng.integers(0, 256, tuple(size) + (3, ), np.uint8),
                     rgb=True)
    atomic_write_png(paths['labels'],
                     rng.integers(0, 40, size).astype(np.uint8))
    atomic_write_png(paths['depth'], depth_mm)
    atomic_write_png(paths['raw_depth'], depth_mm // raw_depth_divisor)
