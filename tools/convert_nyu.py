"""Convert the official NYUDepth v2 release to the jointdepthseg data layout.

Example::

    python tools/convert_nyu.py --mat nyu_depth_v2_labeled.mat \
        --splits splits.mat --mapping classMapping40.mat \
        --out data/nyu_v2 --workers 4 --verify

Writes ``{images,labels40,depths,raw_depths}/{train,test}/NNNN.png`` where
NNNN is the frame's 1-based index in the .mat. See ``docs/data.md``.
"""
from __future__ import annotations

import argparse
import sys
import warnings
from functools import partial

import mmengine

from jointdepthseg.datasets.nyu_official import (
    ConversionJob, OfficialFileError, convert_frames, read_official_inputs,
    recount_outputs, verify_frames)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        '--mat', required=True, help='nyu_depth_v2_labeled.mat (MATLAB v7.3)')
    parser.add_argument(
        '--splits',
        required=True,
        help='splits.mat with trainNdxs / testNdxs (1-based)')
    parser.add_argument(
        '--mapping',
        required=True,
        help='classMapping40.mat with mapClass (1 x 894)')
    parser.add_argument(
        '--out', required=True, help='DATA_ROOT to write (created if missing)')
    parser.add_argument(
        '--workers',
        type=int,
        default=1,
        help='processes converting frames in parallel')
    parser.add_argument(
        '--chunk-size',
        type=int,
        default=8,
        help='frames per task (each task opens the .mat once)')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='rewrite frames that are already converted '
        '(by default a rerun skips them)')
    parser.add_argument(
        '--verify',
        action='store_true',
        help='afterwards, recount the output files and '
        'compare every png with the .mat')
    args = parser.parse_args(argv)
    if args.workers < 1 or args.chunk_size < 1:
        parser.error('--workers and --chunk-size must be at least 1')
    return args


def run_chunks(func, chunks: list, workers: int) -> list:
    """Map ``func`` over ``chunks`` in ``workers`` processes, with progress."""
    if workers > 1:
        return mmengine.track_parallel_progress(func, chunks, nproc=workers)
    return mmengine.track_progress(func, chunks)


def convert(args: argparse.Namespace) -> int:
    """Check the inputs, convert, optionally verify; returns the exit code."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        num_frames, splits, label_lut = read_official_inputs(
            args.mat, args.splits, args.mapping)
    for warning in caught:
        print(f'warning: {warning.message}', file=sys.stderr)
    frames = [(int(frame), split) for split, split_frames in splits.items()
              for frame in split_frames]
    chunks = [
        frames[start:start + args.chunk_size]
        for start in range(0, len(frames), args.chunk_size)
    ]
    job = ConversionJob(args.mat, args.out, label_lut, args.overwrite)

    print(f'converting {len(frames)} of {num_frames} frames '
          f"({len(splits['train'])} train, {len(splits['test'])} test) "
          f'to {args.out}')
    counts = run_chunks(partial(convert_frames, job), chunks, args.workers)
    converted = sum(count[0] for count in counts)
    print(f'\nconverted {converted} frames, skipped '
          f'{len(frames) - converted} already converted')
    if not args.verify:
        return 0

    print('verifying every output against the .mat')
    problems = recount_outputs(args.out, splits)
    for chunk_problems in run_chunks(
            partial(verify_frames, job), chunks, args.workers):
        problems.extend(chunk_problems)
    if problems:
        print(f'\nverify: {len(problems)} problems', file=sys.stderr)
        for problem in problems[:20]:
            print(f'  {problem}', file=sys.stderr)
        return 1
    print(f'\nverify: all {len(frames)} frames and file counts are exact')
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return convert(args)
    except (OfficialFileError, OSError) as error:  # a user's mistake: one line
        print(f'convert_nyu.py: error: {error}', file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main())
