"""Write rendered rooms in the on-disk layout of ``docs/architecture.md``.

``DATA_ROOT/{images,labels40,depths,raw_depths}/{train,test}/NAME.png`` with
``NAME`` the 1-based sample number zero-padded to at least four digits
(``0001``), like the converter's frame numbers. Every file is written
atomically (``jointdepthseg.fileio.write_sample``). Each sample draws its
randomness from ``(seed, split, index)`` alone, so the bytes written do not
depend on the number of worker processes or on the order samples are rendered
in. Afterwards ``DATA_ROOT/synthetic_meta.json`` records what the data is: the
variant, the seed, the size and the depth-only pairs with their designed depth
steps (``metadata.py``). The generator measures nothing in what it rendered:
``benchmarks/depth_pair_statistics.py`` does, from the files.
"""
from __future__ import annotations

import glob
import multiprocessing
import os.path as osp

import numpy as np
from mmengine.utils import ProgressBar

from ...fileio import SAMPLE_FOLDERS, SPLITS, SUFFIX, write_sample
from .metadata import dataset_metadata, write_metadata
from .render import DEFAULT_SIZE, render_room
from .variants import get_variant


def sample_rng(seed: int, split: str, index: int) -> np.random.Generator:
    """The generator of one sample, seeded from ``(seed, split, index)``."""
    return np.random.default_rng(
        np.random.SeedSequence([seed, SPLITS.index(split), index]))


def sample_name(index: int, total: int) -> str:
    """File stem of sample ``index`` (0-based) of ``total``: 1-based,
    zero-padded to ``max(4, digits of total)``."""
    return f'{index + 1:0{max(4, len(str(total)))}d}'


def _render_and_write(job: tuple) -> None:
    """Render and write one sample; a module-level function so that worker
    processes can run it."""
    data_root, split, index, total, seed, size, variant = job
    sample = render_room(sample_rng(seed, split, index), size, variant)
    write_sample(data_root, split, sample_name(index, total), sample)


def _check_arguments(num_train, num_test, seed, size, workers) -> tuple:
    for arg, value in (('num_train', num_train), ('num_test', num_test),
                       ('seed', seed)):
        if isinstance(value, bool) or not isinstance(
                value, (int, np.integer)) or value < 0:
            raise ValueError(f'generate_dataset: {arg} must be an integer '
                             f'>= 0, got {value!r}')
    if isinstance(workers, bool) or not isinstance(workers, int) \
            or workers < 1:
        raise ValueError(f'generate_dataset: workers must be an integer >= 1,'
                         f' got {workers!r}')
    size = tuple(size)
    if len(size) != 2 or not all(
            isinstance(s, (int, np.integer)) and s >= 1 for s in size):
        raise ValueError(f'generate_dataset: size must be (height, width) '
                         f'with integers >= 1, got {size!r}')
    return tuple(int(s) for s in size)


def _check_no_stale_files(out_root: str, names: dict) -> None:
    """Refuse to mix with pngs another run left (they would be read as
    samples of this dataset)."""
    for split, split_names in names.items():
        expected = {name + SUFFIX for name in split_names}
        for folder in SAMPLE_FOLDERS.values():
            for path in glob.glob(osp.join(out_root, folder, split,
                                           '*' + SUFFIX)):
                if osp.basename(path) not in expected:
                    raise FileExistsError(
                        f'{path} is not a sample of this run; write to an '
                        f'empty folder or remove the old dataset first')


def generate_dataset(out_root: str, num_train: int, num_test: int,
                     seed: int, size: tuple[int, int] = DEFAULT_SIZE,
                     progress: bool = True, workers: int = 1,
                     variant: str = 'rooms') -> dict[str, list[str]]:
    """Render and write a synthetic NYU-style dataset and its metadata.

    Args:
        out_root: DATA_ROOT to write (created if missing). Existing files
            with this run's names are overwritten; other pngs in the split
            folders raise ``FileExistsError`` before anything is written.
        num_train, num_test: number of samples per split (>= 0).
        seed: dataset seed (>= 0); same seed and size -> identical bytes.
        size: ``(height, width)`` of every image, pixels.
        progress: show a progress bar.
        workers: processes rendering in parallel (output is the same).
        variant: ``'rooms'`` or ``'depth-cue'`` (``variants.py``).

    Returns:
        ``{'train': [names], 'test': [names]}`` (file stems written).
    """
    size = _check_arguments(num_train, num_test, seed, size, workers)
    spec = get_variant(variant)
    counts = dict(train=int(num_train), test=int(num_test))
    names = {split: [sample_name(i, n) for i in range(n)]
             for split, n in counts.items()}
    _check_no_stale_files(out_root, names)
    jobs = [(out_root, split, i, n, int(seed), size, spec.name)
            for split, n in counts.items() for i in range(n)]
    bar = ProgressBar(len(jobs)) if progress and jobs else None
    if workers > 1 and len(jobs) > 1:
        with multiprocessing.Pool(min(workers, len(jobs))) as pool:
            for _ in pool.imap_unordered(_render_and_write, jobs):
                if bar is not None:
                    bar.update()
    else:
        for job in jobs:
            _render_and_write(job)
            if bar is not None:
                bar.update()
    write_metadata(out_root, dataset_metadata(spec, seed, size, counts))
    return names
