"""The one way jointdepthseg reads and writes files: the data layout, pngs,
samples, and atomic writes.

The on-disk layout every tool and config shares (``docs/data.md``)::

    DATA_ROOT/{images,labels40,depths,raw_depths}/{train,test}/NAME.png

A *sample* is a dict with these keys (:data:`SAMPLE_KEYS`), in memory and on
disk alike:

* ``image``: (H, W, 3) uint8 RGB, ``images/``;
* ``labels``: (H, W) uint8, 0..39 the NYU-40 classes, 255 unlabeled,
  ``labels40/``;
* ``depth``: (H, W) float metres, 0 = invalid, ``depths/`` (NYU's in-painted
  depth, or the synthetic rooms' exact depth);
* ``raw_depth``: (H, W) float metres, 0 = Kinect hole, ``raw_depths/``.

Depth pngs hold 16-bit millimetres, rounded, with 0 = invalid: 65.535 m is the
largest depth they hold; NaN and values <= 0 are written as 0.

Every write goes to a hidden temporary file beside the destination
(``.NAME<random>.tmp``) and is renamed over it, so a file that exists is
complete: a failure before the rename (an encoder error, an exception while
writing, a full disk) removes the temporary file and leaves the destination
as it was. Errors name the file and what was expected.

This module imports neither ``datasets/`` nor ``models/``, so every part of
the package (``evaluation/`` included) may use it.
"""
from __future__ import annotations

import json
import os
import os.path as osp
import secrets
from typing import Any, Iterable

import cv2
import numpy as np

IMAGE_DIR = 'images'
LABEL_DIR = 'labels40'
DEPTH_DIR = 'depths'
RAW_DEPTH_DIR = 'raw_depths'
SPLITS = ('train', 'test')
SUFFIX = '.png'
#: Sample key -> its folder under DATA_ROOT; the keys of every sample dict.
SAMPLE_FOLDERS = dict(image=IMAGE_DIR, labels=LABEL_DIR, depth=DEPTH_DIR,
                      raw_depth=RAW_DEPTH_DIR)
SAMPLE_KEYS = tuple(SAMPLE_FOLDERS)
DEPTH_KEYS = ('depth', 'raw_depth')

#: Depth pngs store millimetres; multiply by this to get metres.
DEPTH_PNG_TO_METRES = 1e-3
#: The largest depth a 16-bit millimetre png holds, metres.
MAX_DEPTH_PNG_M = np.iinfo(np.uint16).max * DEPTH_PNG_TO_METRES

# ------------------------------------------------------------ atomic writes


def atomic_write_bytes(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    Args:
        path: destination file; its folder is created if missing. The file
            gets the permissions of any new file (``0o666`` less the umask),
            which ``tempfile.mkstemp``'s private ``0o600`` would not give.
        data: the file's whole content.
    """
    folder = osp.dirname(path) or '.'
    os.makedirs(folder, exist_ok=True)
    while True:  # a name nobody holds: O_EXCL refuses an existing one
        tmp_path = osp.join(folder, f'.{osp.basename(path)}'
                            f'{secrets.token_hex(4)}.tmp')
        try:
            handle = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                             0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(handle, 'wb') as file:
            file.write(data)
        os.replace(tmp_path, path)
    except BaseException:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise


def atomic_write_text(path: str, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file and a
    rename."""
    atomic_write_bytes(path, text.encode('utf-8'))


def atomic_write_json(path: str, obj: Any, **dumps_kwargs: Any) -> None:
    """Write ``obj`` as JSON (``indent=2``, a final newline) atomically.

    Args:
        path: destination file.
        obj: anything ``json.dumps`` accepts.
        **dumps_kwargs: passed to ``json.dumps`` (e.g. ``allow_nan=False``).
    """
    dumps_kwargs.setdefault('indent', 2)
    atomic_write_text(path, json.dumps(obj, **dumps_kwargs) + '\n')


def atomic_write_png(path: str, array: np.ndarray, rgb: bool = False) -> None:
    """Write ``array`` as a png, atomically.

    Args:
        path: destination file; its folder is created if missing.
        array: (H, W) uint8/uint16 or (H, W, 3) uint8.
        rgb: ``array`` is (H, W, 3) RGB (OpenCV writes BGR, so the channels
            are swapped here).

    Raises:
        ValueError: naming ``path``, if OpenCV cannot encode ``array``
            (nothing is written then).
    """
    if rgb:
        array = np.ascontiguousarray(array[..., ::-1])
    problem = (f'{path}: cannot encode a {array.dtype} array of shape '
               f'{array.shape} as png, expected (H, W) uint8 / uint16 or '
               '(H, W, 3) uint8')
    try:
        ok, encoded = cv2.imencode(SUFFIX, array)
    except cv2.error as error:
        raise ValueError(f'{problem} (OpenCV: {error.err})') from None
    if not ok:
        raise ValueError(problem)
    atomic_write_bytes(path, encoded.tobytes())


# ------------------------------------------------------------- depth pngs


def metres_to_depth_png(depth_m: np.ndarray) -> np.ndarray:
    """(H, W) metres -> (H, W) uint16 millimetres, rounded; NaN, <= 0 -> 0.

    Raises:
        ValueError: a depth above 65.535 m (or +inf), which a 16-bit
            millimetre png cannot hold.
    """
    depth_m = np.nan_to_num(np.asarray(depth_m, dtype=np.float64), nan=0.0,
                            posinf=np.inf, neginf=0.0)
    depth_mm = np.rint(np.clip(depth_m, 0.0, None) / DEPTH_PNG_TO_METRES)
    largest = depth_mm.max(initial=0)
    if largest > np.iinfo(np.uint16).max:
        raise ValueError(f'depth reaches {largest * DEPTH_PNG_TO_METRES:.6g} '
                         f'm, expected at most {MAX_DEPTH_PNG_M} m (what a '
                         '16-bit millimetre png holds)')
    return depth_mm.astype(np.uint16)


def depth_png_to_metres(depth_png: np.ndarray, dtype=np.float32,
                        scale: float = DEPTH_PNG_TO_METRES) -> np.ndarray:
    """(H, W) uint16 millimetres -> (H, W) metres of ``dtype``; 0 stays 0.

    ``scale`` is the png unit in metres.
    """
    return depth_png.astype(dtype) * np.dtype(dtype).type(scale)


# ------------------------------------------------------------- png reads


def read_png(path: str, rgb: bool = False) -> np.ndarray:
    """A png (or other image) as stored: its own bit depth and channels.

    Args:
        path: the file.
        rgb: return 3-channel images as RGB (OpenCV reads BGR), the
            counterpart of :func:`atomic_write_png`'s ``rgb``.

    Raises:
        FileNotFoundError: naming ``path``, if there is no such file.
        ValueError: naming ``path``, if it cannot be decoded (truncated, not
            an image).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: file not found')
    array = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if array is None:
        raise ValueError(f'{path}: not a readable png (truncated or not an '
                         'image)')
    if rgb and array.ndim == 3:
        array = np.ascontiguousarray(array[..., ::-1])
    return array


def _expect(array: np.ndarray, path: str, dtype, channels: int,
            what: str) -> np.ndarray:
    """``array`` if it has ``dtype`` and ``channels`` (1: (H, W)), else a
    ValueError naming ``path``."""
    shape_ok = (array.ndim == 2 if channels == 1 else
                array.ndim == 3 and array.shape[2] == channels)
    if array.dtype != dtype or not shape_ok:
        shape = '(H, W)' if channels == 1 else f'(H, W, {channels})'
        raise ValueError(f'{path}: {array.dtype} {array.shape}, expected '
                         f'{what}: {np.dtype(dtype)} {shape}')
    return array


def read_image(path: str) -> np.ndarray:
    """(H, W, 3) uint8 RGB from an 8-bit colour image file."""
    return _expect(read_png(path, rgb=True), path, np.uint8, 3,
                   'an 8-bit colour image')


def read_labels(path: str, num_classes: int | None = None,
                ignore_index: int = 255) -> np.ndarray:
    """(H, W) uint8 labels from a single-channel 8-bit png.

    Args:
        path: the file.
        num_classes: if given, every value must lie in ``0..num_classes-1``
            or be ``ignore_index``.
        ignore_index: the unlabeled value.
    """
    labels = _expect(read_png(path), path, np.uint8, 1,
                     'a single-channel 8-bit label png')
    if num_classes is not None:
        values = np.unique(labels)
        bad = values[(values >= num_classes) & (values != ignore_index)]
        if bad.size:
            raise ValueError(
                f'{path}: label values {bad.tolist()[:10]} are outside '
                f'0..{num_classes - 1} and {ignore_index} (unlabeled)')
    return labels


def read_depth_png(path: str) -> np.ndarray:
    """(H, W) uint16 millimetres from a 16-bit depth png, as stored."""
    return _expect(read_png(path), path, np.uint16, 1,
                   'a single-channel 16-bit millimetre depth png')


def read_depth_m(path: str, dtype=np.float32) -> np.ndarray:
    """(H, W) metres (``dtype``) from a 16-bit millimetre png; 0 = invalid."""
    return depth_png_to_metres(read_depth_png(path), dtype)


def check_same_size(array: np.ndarray, image_hw: tuple, path: str,
                    image_path: str) -> None:
    """ValueError naming both files unless ``array`` is ``image_hw`` in
    size."""
    if tuple(array.shape[:2]) != tuple(image_hw):
        raise ValueError(
            f'{path}: size {array.shape[0]}x{array.shape[1]} does not match '
            f'its image {image_path} ({image_hw[0]}x{image_hw[1]})')


# ----------------------------------------------------------------- samples


def sample_paths(data_root: str, split: str, name: str,
                 keys: Iterable[str] = SAMPLE_KEYS) -> dict[str, str]:
    """``{key: DATA_ROOT/FOLDER/SPLIT/NAME.png}`` of one sample's files."""
    return {key: osp.join(data_root, SAMPLE_FOLDERS[key], split,
                          name + SUFFIX) for key in keys}


def sample_exists(data_root: str, split: str, name: str,
                  keys: Iterable[str] = SAMPLE_KEYS) -> bool:
    """Whether all of the sample's files ``keys`` exist (each was written
    atomically, so existing means complete)."""
    return all(map(osp.isfile,
                   sample_paths(data_root, split, name, keys).values()))


def read_sample(data_root: str, split: str, name: str,
                keys: Iterable[str] = SAMPLE_KEYS) -> dict[str, np.ndarray]:
    """Read one sample, checking each file's dtype and size.

    Args:
        data_root, split, name: which sample.
        keys: which of :data:`SAMPLE_KEYS` to read; ``image`` always is.

    Returns:
        dict: ``image`` (H, W, 3) uint8 RGB, ``labels`` (H, W) uint8 and
        ``depth`` / ``raw_depth`` (H, W) float64 metres (0 = invalid); float64
        so that a depth written back unchanged is the same millimetres.
    """
    keys = ['image'] + [key for key in keys if key != 'image']
    paths = sample_paths(data_root, split, name, keys)
    sample = {'image': read_image(paths['image'])}
    for key in keys[1:]:
        path = paths[key]
        sample[key] = (read_labels(path) if key == 'labels' else
                       read_depth_m(path, np.float64))
        check_same_size(sample[key], sample['image'].shape[:2], path,
                        paths['image'])
    return sample


def encode_sample(sample: dict, paths: dict[str, str]) -> dict:
    """The arrays the pngs of a sample hold: depths in uint16 millimetres.

    Args:
        sample: a sample dict (any subset of :data:`SAMPLE_KEYS`).
        paths: ``{key: path}`` of the sample's files, named in errors.

    Raises:
        ValueError: naming the file, for an array of the wrong dtype or
            shape, a depth a png cannot hold, or sizes that differ.
    """
    encoded = {}
    for key, value in sample.items():
        path, value = paths[key], np.asarray(value)
        if key in DEPTH_KEYS:
            if value.ndim != 2:
                raise ValueError(f'{path}: depth of shape {value.shape}, '
                                 'expected (H, W) metres')
            try:
                value = metres_to_depth_png(value)
            except ValueError as error:
                raise ValueError(f'{path}: {error}') from None
        else:
            _expect(value, path, np.uint8, 3 if key == 'image' else 1,
                    'an RGB image' if key == 'image' else 'labels')
        encoded[key] = value
    sizes = {key: value.shape[:2] for key, value in encoded.items()}
    if len(set(sizes.values())) > 1:
        listed = ', '.join(f'{paths[key]} {h}x{w}'
                           for key, (h, w) in sizes.items())
        raise ValueError(f'the files of one sample differ in size: {listed}')
    return encoded


def write_sample(data_root: str, split: str, name: str, sample: dict) -> None:
    """Write the pngs of a sample (every key it has), atomically.

    Everything is encoded before the first file is written, so a bad array
    writes nothing of the sample.

    Raises:
        ValueError: a key that is not one of :data:`SAMPLE_KEYS`, or (naming
            the file) an array :func:`encode_sample` refuses.
    """
    unknown = [key for key in sample if key not in SAMPLE_FOLDERS]
    if unknown:
        raise ValueError(f'sample {name!r}: unknown keys {unknown}, expected '
                         f'some of {SAMPLE_KEYS}')
    paths = sample_paths(data_root, split, name, sample)
    for key, value in encode_sample(sample, paths).items():
        atomic_write_png(paths[key], value, rgb=key == 'image')
