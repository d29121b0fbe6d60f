"""Tiny files with the structure of the official NYUDepth v2 release.

``nyu_depth_v2_labeled.mat`` (MATLAB v7.3: HDF5 with MATLAB's transposed
axes and its text header in the user block), ``splits.mat`` (1-based
``trainNdxs`` / ``testNdxs``) and ``classMapping40.mat`` (``mapClass``, one
NYU-40 class per NYU name), as docs/data.md describes them.
"""
from __future__ import annotations

import os.path as osp

import h5py
import numpy as np
import scipy.io

HEIGHT, WIDTH = 480, 640
MATLAB_HEADER = b'MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: test'
NUM_NAMES = 894


def make_upright_frames(rng: np.random.Generator, num_frames: int,
                        height: int = HEIGHT, width: int = WIDTH) -> dict:
    """The frames as a user sees them: (N, H, W[, 3]), metres, 894 names.

    Depths are whole millimetres plus at most 0.3 mm, so rounding to mm is
    unambiguous; 30 % of the raw depth are holes (0); the largest name (894)
    and unlabeled (0) both occur.
    """
    images = rng.integers(0, 256, (num_frames, height, width, 3), np.uint8)
    depth_mm = rng.integers(500, 9900, (num_frames, height, width))
    depths = (depth_mm + rng.uniform(-0.3, 0.3, depth_mm.shape)) / 1000.0
    holes = rng.random(depths.shape) < 0.3
    raw = np.where(holes, 0.0, depths)
    labels = rng.integers(0, NUM_NAMES + 1,
                          (num_frames, height, width)).astype(np.uint16)
    labels[:, 0, 0] = NUM_NAMES
    labels[:, 0, 1] = 0
    return dict(
        images=images,
        depths=depths.astype(np.float32),
        rawDepths=raw.astype(np.float32),
        labels=labels,
        depth_mm=depth_mm,
        raw_depth_mm=np.where(holes, 0, depth_mm))


def write_labeled_mat(path: str, upright: dict,
                      overrides: dict | None = None) -> None:
    """Write the frames as MATLAB v7.3 stores them (axes transposed).

    Args:
        path: the .mat file to write.
        upright: from :func:`make_upright_frames`.
        overrides: stored arrays to replace (None drops a dataset), for
            files with a wrong structure.
    """
    stored = dict(
        images=upright['images'].transpose(0, 3, 2, 1),
        depths=upright['depths'].transpose(0, 2, 1),
        rawDepths=upright['rawDepths'].transpose(0, 2, 1),
        labels=upright['labels'].transpose(0, 2, 1))
    stored.update(overrides or {})
    with h5py.File(path, 'w', userblock_size=512) as mat:
        for key, array in stored.items():
            if array is not None:
                mat.create_dataset(key, data=array)
    with open(path, 'r+b') as file:  # MATLAB's text header in the user block
        file.write(MATLAB_HEADER)


def write_official_files(root: str, train: list[int], test: list[int],
                         seed: int = 0, height: int = HEIGHT,
                         width: int = WIDTH) -> dict:
    """The three official files in ``root``.

    Args:
        root: folder to write into.
        train, test: 1-based frame numbers of each split (together they
            number the frames 1..N).
        seed: randomness of the frames and of the class mapping.
        height, width: frame size (480x640 in the release).

    Returns:
        dict: ``files`` (``mat``, ``splits``, ``mapping`` paths), ``upright``
        (the frames, see :func:`make_upright_frames`) and ``map_class``
        ((894,) int, the NYU-40 class (1..40) of each NYU name).
    """
    rng = np.random.default_rng(seed)
    num_frames = len(train) + len(test)
    if sorted(train + test) != list(range(1, num_frames + 1)):
        raise ValueError(f'train {train} and test {test} must number the '
                         f'frames 1..{num_frames} once each')
    upright = make_upright_frames(rng, num_frames, height, width)
    map_class = rng.integers(1, 41, (1, NUM_NAMES))
    files = dict(
        mat=osp.join(root, 'nyu_depth_v2_labeled.mat'),
        splits=osp.join(root, 'splits.mat'),
        mapping=osp.join(root, 'classMapping40.mat'))
    write_labeled_mat(files['mat'], upright)
    scipy.io.savemat(
        files['splits'],
        dict(trainNdxs=np.array(train, float).reshape(-1, 1),
             testNdxs=np.array(test, float).reshape(-1, 1)))
    scipy.io.savemat(files['mapping'],
                     dict(mapClass=map_class.astype(np.float64)))
    return dict(files=files, upright=upright, map_class=map_class[0])
