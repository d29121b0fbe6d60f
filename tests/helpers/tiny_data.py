"""Writes a tiny dataset in the on-disk layout, for tests."""
from __future__ import annotations

import numpy as np

from jointdepthseg.datasets import layout


def write_tiny_dataset(root, num_train=4, num_test=2, size=(24, 32),
                       num_classes=40, seed=0, with_raw=True) -> str:
    """Random but structured samples: left half class 1 at 2 m, right half
    class 5 at 4 m, a few unlabeled pixels and depth holes. Returns root."""
    rng = np.random.default_rng(seed)
    height, width = size
    for split, count in (('train', num_train), ('test', num_test)):
        for index in range(count):
            name = f'{index + 1:04d}'
            paths = layout.sample_paths(str(root), split, name)
            image = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
            labels = np.full((height, width), 1, np.uint8)
            labels[:, width // 2:] = 5 % num_classes
            labels[0, :3] = 255
            depth = np.where(labels == 1, 2.0, 4.0) + rng.uniform(
                -0.2, 0.2, size)
            image[labels == 1] //= 2  # class 1 is darker: learnable
            depth[1, :2] = 0.0
            layout.atomic_write_png(paths['img_path'], image, rgb=True)
            layout.atomic_write_png(paths['seg_map_path'], labels)
            layout.atomic_write_png(paths['depth_map_path'],
                                    layout.metres_to_depth_png(depth))
            if with_raw:
                raw = depth.copy()
                raw[-2:, -3:] = 0
                layout.atomic_write_png(paths['raw_depth_path'],
                                        layout.metres_to_depth_png(raw))
    return str(root)
