"""Read the official NYUDepth v2 release and convert it to the on-disk layout.

Three files come from the official release (see ``docs/data.md``):

* ``nyu_depth_v2_labeled.mat``: MATLAB v7.3 (HDF5), read lazily with h5py one
  frame at a time. h5py sees MATLAB's arrays transposed: ``images``
  (N, 3, W, H) uint8, ``depths`` and ``rawDepths`` (N, W, H) float metres,
  ``labels`` (N, W, H) uint16 with 0 = unlabeled and 1..894 = NYU names.
  The release has W x H = 640 x 480; any frame size is accepted.
* ``splits.mat``: ``trainNdxs`` (795, 1) and ``testNdxs`` (654, 1), 1-based.
* ``classMapping40.mat``: ``mapClass`` (1, 894), values 1..40 (Gupta et al.).

Every structural check (keys, shapes, dtypes, index ranges) runs before
anything is written; value checks (label range, depth range) run per frame
before that frame's files are written. Output NAME is the frame's 1-based
index in the .mat, zero-padded to four digits (``0001``).
"""
from __future__ import annotations

import glob
import os.path as osp
import warnings
from dataclasses import dataclass

import h5py
import numpy as np
import scipy.io

from ..fileio import (SAMPLE_FOLDERS, SUFFIX, encode_sample, read_png,
                      sample_exists, sample_paths, write_sample)
from .nyu_classes import IGNORE_INDEX, NUM_NYU40_CLASSES

NUM_NYU_NAMES = 894
OFFICIAL_NUM_TRAIN = 795
OFFICIAL_NUM_TEST = 654


class OfficialFileError(ValueError):
    """An official input file (or a converted output) is not as expected."""


def _fail(path: str, problem: str) -> OfficialFileError:
    return OfficialFileError(f'{path}: {problem}')


def frame_name(frame: int) -> str:
    """Output NAME of a 1-based frame index: ``1 -> '0001'``."""
    return f'{frame:04d}'


def load_small_mat(path: str, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Read ``keys`` from a small .mat file in MATLAB's own orientation.

    Classic (v5) files are read with scipy; v7.3 (HDF5) files with h5py and
    transposed back, so both give e.g. ``mapClass`` as (1, 894).
    """
    if not osp.isfile(path):
        raise _fail(path, 'file not found')
    try:
        if h5py.is_hdf5(path):  # v7.3 .mat files are HDF5
            with h5py.File(path, 'r') as mat:
                contents = {
                    key: np.asarray(mat[key]).T
                    for key in keys if isinstance(mat.get(key), h5py.Dataset)
                }
        else:
            contents = scipy.io.loadmat(path, variable_names=list(keys))
    except Exception as error:  # scipy and h5py raise many types here
        raise _fail(path, f'cannot be read as a .mat file ({error})')
    for key in keys:
        if key not in contents:
            raise _fail(path, f"variable '{key}' is missing")
    return {key: contents[key] for key in keys}


def _integer_vector(path: str, key: str, array: np.ndarray) -> np.ndarray:
    """A (n, 1) or (1, n) numeric MATLAB array with integer values -> (n,)."""
    if array.ndim != 2 or min(array.shape) != 1:
        raise _fail(
            path, f"'{key}' has shape {array.shape}, expected a "
            '(n, 1) or (1, n) vector')
    if not np.issubdtype(array.dtype, np.number):
        raise _fail(path, f"'{key}' has dtype {array.dtype}, expected numbers")
    vector = array.reshape(-1)
    if not np.all(np.isfinite(vector)) or np.any(vector != np.round(vector)):
        raise _fail(path, f"'{key}' holds non-integer values")
    return vector.astype(np.int64)


def read_class_mapping(path: str) -> np.ndarray:
    """Read ``mapClass`` and build the 894 -> 40 lookup table.

    Returns:
        np.ndarray: (895,) uint8 lookup, ``lut[0] = 255`` (unlabeled) and
        ``lut[k] = mapClass[k - 1] - 1`` (0..39) for k in 1..894.
    """
    map_class = load_small_mat(path, ('mapClass', ))['mapClass']
    if map_class.shape != (1, NUM_NYU_NAMES):
        raise _fail(
            path, f"'mapClass' has shape {map_class.shape}, expected "
            f'(1, {NUM_NYU_NAMES})')
    values = _integer_vector(path, 'mapClass', map_class)
    if values.min() < 1 or values.max() > NUM_NYU40_CLASSES:
        raise _fail(
            path, f"'mapClass' holds values {values.min()}.."
            f'{values.max()}, expected 1..{NUM_NYU40_CLASSES}')
    return np.concatenate([[IGNORE_INDEX], values - 1]).astype(np.uint8)


def read_splits(path: str, num_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Read and check ``trainNdxs`` / ``testNdxs``.

    Args:
        path: ``splits.mat``.
        num_frames: N, the number of frames in the labeled .mat.

    Returns:
        (train, test): sorted 1-based frame indices, int64.

    Warns (UserWarning) when the counts differ from the official 795 / 654.
    """
    raw = load_small_mat(path, ('trainNdxs', 'testNdxs'))
    splits = []
    for key in ('trainNdxs', 'testNdxs'):
        frames = _integer_vector(path, key, raw[key])
        if frames.size == 0:
            raise _fail(path, f"'{key}' is empty")
        if frames.min() < 1 or frames.max() > num_frames:
            raise _fail(
                path, f"'{key}' holds indices {frames.min()}.."
                f'{frames.max()}, expected 1-based indices 1..'
                f'{num_frames} (frames in the labeled .mat)')
        if np.unique(frames).size != frames.size:
            raise _fail(path, f"'{key}' lists some frames twice")
        splits.append(np.sort(frames))
    shared = np.intersect1d(*splits)
    if shared.size:
        raise _fail(
            path, f'{shared.size} frames are in both trainNdxs and '
            f'testNdxs (e.g. {shared[0]}), expected disjoint splits')
    counts = (splits[0].size, splits[1].size)
    if counts != (OFFICIAL_NUM_TRAIN, OFFICIAL_NUM_TEST):
        warnings.warn(f'{path}: {counts[0]} train / {counts[1]} test frames, '
                      f'the official split has {OFFICIAL_NUM_TRAIN} / '
                      f'{OFFICIAL_NUM_TEST}')
    return splits[0], splits[1]


class LabeledMat:
    """Lazy reader of ``nyu_depth_v2_labeled.mat``; checks its structure.

    Args:
        path: the MATLAB v7.3 file. It stays open until :meth:`close` (or the
            end of a ``with`` block); open it in each worker process.
    """

    #: dataset -> (axes count, dtype kind check, expected dtype in words)
    DATASETS = dict(
        images=(4, lambda dt: dt == np.uint8, 'uint8'),
        depths=(3, lambda dt: dt.kind == 'f', 'float32 (metres)'),
        rawDepths=(3, lambda dt: dt.kind == 'f', 'float32 (metres)'),
        labels=(3, lambda dt: dt == np.uint16, 'uint16'))

    def __init__(self, path: str) -> None:
        self.path = path
        if not osp.isfile(path):
            raise _fail(path, 'file not found')
        try:
            self._file = h5py.File(path, 'r')
        except OSError as error:
            raise _fail(
                path, 'cannot be opened as a MATLAB v7.3 (HDF5) file '
                f'({error}); is it truncated or an older .mat?')
        try:
            self._check_structure()
        except BaseException:
            self._file.close()
            raise

    def _check_structure(self) -> None:
        for key, (ndim, dtype_ok, expected) in self.DATASETS.items():
            dataset = self._file.get(key)
            if not isinstance(dataset, h5py.Dataset):
                raise _fail(self.path, f"dataset '{key}' is missing")
            if dataset.ndim != ndim:
                raise _fail(
                    self.path, f"dataset '{key}' has shape "
                    f'{dataset.shape}, expected {ndim} axes')
            if not dtype_ok(dataset.dtype):
                raise _fail(
                    self.path, f"dataset '{key}' has dtype "
                    f'{dataset.dtype}, expected {expected}')
        images = self._file['images']
        num, channels, width, height = images.shape
        if channels != 3 or min(num, width, height) < 1:
            raise _fail(
                self.path, f"dataset 'images' has shape {images.shape}"
                ', expected (N, 3, W, H), e.g. (1449, 3, 640, 480)')
        for key in ('depths', 'rawDepths', 'labels'):
            if self._file[key].shape != (num, width, height):
                raise _fail(
                    self.path, f"dataset '{key}' has shape "
                    f'{self._file[key].shape}, expected '
                    f'{(num, width, height)} like images')
        self.num_frames, self.height, self.width = num, height, width
        try:  # reading the last frame catches most truncated downloads
            for key in self.DATASETS:
                self._file[key][num - 1]
        except OSError as error:
            raise _fail(
                self.path, f"cannot read the last frame of '{key}' "
                f'({error}); is the file truncated?')

    #: sample key -> the dataset of the .mat it comes from.
    SOURCES = dict(image='images', labels='labels', depth='depths',
                   raw_depth='rawDepths')

    def read_frame(self, frame: int, label_lut: np.ndarray) -> dict:
        """One frame as a sample (``jointdepthseg.fileio``), checked.

        Args:
            frame: 1-based frame index.
            label_lut: (895,) uint8 from :func:`read_class_mapping`.

        Returns:
            dict: ``image`` (H, W, 3) uint8 RGB, ``labels`` (H, W) uint8
            (0..39, 255), ``depth`` and ``raw_depth`` (H, W) float32 metres
            as stored in the .mat (NaN and <= 0 are written as 0).

        Raises:
            OfficialFileError: naming the frame and the .mat dataset, if a
                label is above 894 or a depth is infinite or more than a
                16-bit millimetre png holds.
        """
        where = f'{self.path}: frame {frame}'
        index = frame - 1
        try:
            sample = dict(
                image=np.ascontiguousarray(
                    self._file['images'][index].transpose(2, 1, 0)),
                labels=self._file['labels'][index].T,
                depth=self._file['depths'][index].T,
                raw_depth=self._file['rawDepths'][index].T)
        except OSError as error:
            raise OfficialFileError(f'{where}: cannot be read ({error})')
        if sample['labels'].max() > NUM_NYU_NAMES:
            raise OfficialFileError(f"{where}: 'labels' holds "
                                    f"{sample['labels'].max()}, expected "
                                    f'0..{NUM_NYU_NAMES}')
        sample['labels'] = label_lut[sample['labels']]
        for key in ('depth', 'raw_depth'):
            if np.isinf(sample[key]).any():
                raise OfficialFileError(
                    f"{where}: '{self.SOURCES[key]}' holds infinite depth, "
                    'expected metres or NaN')
        try:  # what the pngs will hold: refuses depths they cannot
            encode_sample(sample, {key: f"'{source}'"
                                   for key, source in self.SOURCES.items()})
        except ValueError as error:
            raise OfficialFileError(f'{where}: {error}') from None
        return sample

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> LabeledMat:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def read_official_inputs(mat: str, splits: str,
                         mapping: str) -> tuple[int, dict, np.ndarray]:
    """Check all three official files before anything is written.

    Returns:
        (num_frames, {'train': frames, 'test': frames}, label_lut).
    """
    label_lut = read_class_mapping(mapping)
    with LabeledMat(mat) as labeled:
        num_frames = labeled.num_frames
    train, test = read_splits(splits, num_frames)
    return num_frames, dict(train=train, test=test), label_lut


@dataclass(frozen=True)
class ConversionJob:
    """What a (worker) process needs to convert or verify frames; picklable.

    Args:
        mat_path: ``nyu_depth_v2_labeled.mat``.
        out_root: DATA_ROOT to write.
        label_lut: (895,) uint8 from :func:`read_class_mapping`.
        overwrite: rewrite frames whose four files already exist.
    """
    mat_path: str
    out_root: str
    label_lut: np.ndarray
    overwrite: bool = False

    def output_paths(self, split: str, frame: int) -> dict[str, str]:
        """``{sample key: png path}`` of one frame's four files."""
        return sample_paths(self.out_root, split, frame_name(frame))


def convert_frames(job: ConversionJob,
                   frames: list[tuple[int, str]]) -> tuple[int, int]:
    """Convert ``(frame, split)`` pairs; returns (converted, skipped).

    A frame whose four files all exist is skipped (each file is written
    atomically, so existing means complete) unless ``job.overwrite``.
    """
    converted = skipped = 0
    with LabeledMat(job.mat_path) as labeled:
        for frame, split in frames:
            name = frame_name(frame)
            if not job.overwrite and sample_exists(job.out_root, split, name):
                skipped += 1
                continue
            write_sample(job.out_root, split, name,
                         labeled.read_frame(frame, job.label_lut))
            converted += 1
    return converted, skipped


def verify_frames(job: ConversionJob, frames: list[tuple[int,
                                                         str]]) -> list[str]:
    """Re-read each frame's four pngs and compare them with the .mat.

    Returns:
        list[str]: one line per problem; empty when every file is exact.
    """
    problems = []
    with LabeledMat(job.mat_path) as labeled:
        for frame, split in frames:
            paths = job.output_paths(split, frame)
            expected = encode_sample(
                labeled.read_frame(frame, job.label_lut), paths)
            for key, path in paths.items():
                problem = _check_png(path, expected[key])
                if problem:
                    problems.append(f'{path}: {problem}')
    return problems


def _check_png(path: str, expected: np.ndarray) -> str | None:
    """What is wrong with the png at ``path`` compared with ``expected``."""
    if not osp.isfile(path):
        return 'missing'
    try:
        array = read_png(path, rgb=True)
    except ValueError:
        return 'cannot be decoded as png'
    if array.dtype != expected.dtype or array.shape != expected.shape:
        return (f'{array.dtype} {array.shape}, expected {expected.dtype} '
                f'{expected.shape}')
    if not np.array_equal(array, expected):
        wrong = int(np.count_nonzero(array != expected))
        return f'{wrong} values differ from the .mat'
    return None


def recount_outputs(out_root: str, splits: dict[str, np.ndarray]) -> list[str]:
    """Check that each output folder holds exactly the expected files.

    Reports missing and unexpected pngs and leftover temporary files.
    """
    problems = []
    for split, frames in splits.items():
        expected = {frame_name(frame) + SUFFIX for frame in frames}
        for folder in SAMPLE_FOLDERS.values():
            directory = osp.join(out_root, folder, split)
            found = {
                osp.basename(p)
                for p in glob.glob(osp.join(directory, '*' + SUFFIX))
            }
            leftovers = {
                osp.basename(p)
                for p in glob.glob(osp.join(directory, '.*.tmp'))
            }
            for kind, names in (('missing', expected - found),
                                ('unexpected', found - expected), ('temporary',
                                                                   leftovers)):
                if names:
                    problems.append(f'{directory}: {len(names)} {kind} '
                                    f'files, e.g. {sorted(names)[0]}')
    return problems
