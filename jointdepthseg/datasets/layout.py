"""The on-disk layout every reader and writer of data shares.

``DATA_ROOT/{images,labels40,depths,raw_depths}/{train,test}/NAME.png``; see
``docs/architecture.md``. Images are RGB 8-bit, labels 8-bit (0..39, 255 =
unlabeled), depths 16-bit millimetres (0 = invalid).
"""
from __future__ import annotations

import os
import os.path as osp
import tempfile

import cv2
import numpy as np

IMAGE_DIR = 'images'
LABEL_DIR = 'labels40'
DEPTH_DIR = 'depths'
RAW_DEPTH_DIR = 'raw_depths'
SPLITS = ('train', 'test')
SUFFIX = '.png'

#: Depth pngs store millimetres; multiply by this to get metres.
DEPTH_PNG_TO_METRES = 1e-3


def sample_paths(data_root: str, split: str, name: str) -> dict[str, str]:
    """Paths of one sample's files, keyed like mmseg data infos."""
    return dict(
        img_path=osp.join(data_root, IMAGE_DIR, split, name + SUFFIX),
        seg_map_path=osp.join(data_root, LABEL_DIR, split, name + SUFFIX),
        depth_map_path=osp.join(data_root, DEPTH_DIR, split, name + SUFFIX),
        raw_depth_path=osp.join(data_root, RAW_DEPTH_DIR, split,
                                name + SUFFIX))


def metres_to_depth_png(depth_m: np.ndarray) -> np.ndarray:
    """(H, W) float metres -> uint16 millimetres, rounded; <= 0 or NaN -> 0."""
    depth_m = np.nan_to_num(np.asarray(depth_m, dtype=np.float64), nan=0.0)
    depth_mm = np.rint(np.clip(depth_m, 0.0, None) / DEPTH_PNG_TO_METRES)
    if depth_mm.max(initial=0) > np.iinfo(np.uint16).max:
        raise ValueError('depth exceeds 65.535 m, which a 16-bit millimetre '
                         'png cannot hold')
    return depth_mm.astype(np.uint16)


def atomic_write_png(path: str, array: np.ndarray, rgb: bool = False) -> None:
    """Write ``array`` to ``path`` as png through a temporary file and a rename.

    Args:
        path: destination file; its folder is created if missing.
        array: (H, W) uint8/uint16 or (H, W, 3) uint8.
        rgb: if True, ``array`` is RGB and is written as a colour png
            (OpenCV writes BGR, so the channels are swapped here).

    Nothing half-written is ever left at ``path``: a crash leaves at most a
    hidden ``.tmp`` file beside it.
    """
    folder = osp.dirname(path) or '.'
    os.makedirs(folder, exist_ok=True)
    if rgb:
        array = np.ascontiguousarray(array[..., ::-1])
    ok, encoded = cv2.imencode(SUFFIX, array)
    if not ok:
        raise IOError(f'could not encode png for {path}')
    handle, tmp_path = tempfile.mkstemp(
        dir=folder, prefix='.' + osp.basename(path), suffix='.tmp')
    try:
        with os.fdopen(handle, 'wb') as file:
            file.write(encoded.tobytes())
        os.replace(tmp_path, path)
    except BaseException:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise
