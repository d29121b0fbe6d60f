"""Write the paper's offline augmentation of a DATA_ROOT's training split.

Section 4.1: every training image, its mirror and 4 crops zoomed back to full
size with depth divided by the zoom factor (795 -> 4770 on NYUDepth v2). The
test split is copied unchanged, so OUT is a complete DATA_ROOT. Example::

    python tools/augment_nyu.py --data-root data/nyu_v2 --out data/nyu_v2_aug

See ``docs/data.md`` for what "scale the depth accordingly" means.
"""
from __future__ import annotations

import argparse
import glob
import os.path as osp
import sys
from functools import partial

import mmengine

from jointdepthseg.datasets.augmentation import (AugmentJob,
                                                 augment_training_samples)
from jointdepthseg.fileio import (IMAGE_DIR, RAW_DEPTH_DIR, SAMPLE_FOLDERS,
                                  SUFFIX, atomic_write_bytes)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        '--data-root',
        required=True,
        help='source DATA_ROOT (e.g. from convert_nyu.py)')
    parser.add_argument(
        '--out',
        required=True,
        help='DATA_ROOT to write; must differ from --data-root')
    parser.add_argument(
        '--zoom-range',
        type=float,
        nargs=2,
        default=(1.1, 1.4),
        metavar=('MIN', 'MAX'),
        help='each crop magnifies by a zoom drawn uniformly '
        'from [MIN, MAX] (>= 1); equal values fix it')
    parser.add_argument(
        '--placement',
        choices=('corners', 'random'),
        default='corners',
        help='crop i at corner i (TL, TR, BL, BR), or '
        'anywhere')
    parser.add_argument(
        '--num-crops',
        type=int,
        default=4,
        help='crops per training image (the paper used 4)')
    parser.add_argument(
        '--seed',
        type=int,
        default=0,
        help='crops are a function of (seed, image name)')
    parser.add_argument(
        '--no-raw-depth',
        action='store_true',
        help='do not write raw_depths even if the source has '
        'them')
    parser.add_argument(
        '--no-test',
        action='store_true',
        help='do not copy the test split to --out')
    parser.add_argument(
        '--workers', type=int, default=1, help='processes working in parallel')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='rewrite outputs that exist (by default a rerun '
        'skips them)')
    args = parser.parse_args(argv)
    if osp.realpath(args.data_root) == osp.realpath(args.out):
        parser.error('--out must differ from --data-root')
    low, high = args.zoom_range
    if not 1.0 <= low <= high:
        parser.error(f'--zoom-range needs 1 <= MIN <= MAX, got {low} {high}')
    if args.num_crops < 1 or args.workers < 1:
        parser.error('--num-crops and --workers must be at least 1')
    return args


def list_names(data_root: str, split: str) -> list[str]:
    """Sample names in ``images/{split}``, sorted."""
    folder = osp.join(data_root, IMAGE_DIR, split)
    if not osp.isdir(folder):
        raise FileNotFoundError(f'{folder}: folder not found (is '
                                '--data-root a DATA_ROOT?)')
    return sorted(
        osp.basename(path)[:-len(SUFFIX)]
        for path in glob.glob(osp.join(folder, '*' + SUFFIX)))


def copy_split(data_root: str, out_root: str, split: str,
               overwrite: bool) -> int:
    """Copy a split's files atomically; returns how many were copied."""
    copied = 0
    for folder in SAMPLE_FOLDERS.values():
        for src in sorted(
                glob.glob(osp.join(data_root, folder, split, '*' + SUFFIX))):
            dst = osp.join(out_root, folder, split, osp.basename(src))
            if osp.isfile(dst) and not overwrite:
                continue
            with open(src, 'rb') as file:
                atomic_write_bytes(dst, file.read())
            copied += 1
    return copied


def augment(args: argparse.Namespace) -> int:
    """Augment the training split, copy the test split; return exit code."""
    names = list_names(args.data_root, 'train')
    if not names:
        folder = osp.join(args.data_root, IMAGE_DIR, 'train')
        raise FileNotFoundError(f'{folder}: no png images to augment')
    with_raw = not args.no_raw_depth and osp.isdir(
        osp.join(args.data_root, RAW_DEPTH_DIR, 'train'))
    job = AugmentJob(args.data_root, args.out, tuple(args.zoom_range),
                     args.placement, args.num_crops, args.seed, with_raw,
                     args.overwrite)
    print(f'augmenting {len(names)} training images -> '
          f'{len(names) * (2 + args.num_crops)} in {args.out}')
    chunks = [names[start:start + 4] for start in range(0, len(names), 4)]
    func = partial(augment_training_samples, job)
    if args.workers > 1:
        counts = mmengine.track_parallel_progress(func, chunks, args.workers)
    else:
        counts = mmengine.track_progress(func, chunks)
    done = sum(counts)
    print(f'\naugmented {done} images, skipped {len(names) - done} done ones')
    if not args.no_test:
        copied = copy_split(args.data_root, args.out, 'test', args.overwrite)
        print(f'copied {copied} test files unchanged')
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return augment(args)
    except (ValueError, OSError) as error:  # a user's mistake: one line
        print(f'augment_nyu.py: error: {error}', file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main())
