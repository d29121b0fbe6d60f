"""Write the embedded synthetic NYU-style dataset (no download needed).

Example::

    python tools/make_synthetic.py --out data/synthetic \
        --num-train 200 --num-test 50 --seed 0 --size 240x320 \
        [--variant depth-cue]

Writes ``{images,labels40,depths,raw_depths}/{train,test}/NNNN.png`` with the
NYU-40 class ids, like ``tools/convert_nyu.py``, and ``synthetic_meta.json``
(variant, seed, size, the depth-only pairs and their designed depth steps;
``benchmarks/depth_pair_statistics.py`` measures what the rendered depth shows
of them). See docs/data.md.
"""
from __future__ import annotations

import argparse
import re
import sys

from jointdepthseg.datasets.synthetic import (VARIANT_NAMES, generate_dataset,
                                              get_variant)


def parse_size(text: str) -> tuple[int, int]:
    """``'HxW'`` -> ``(H, W)``, both >= 1."""
    match = re.fullmatch(r'\s*(\d+)\s*[xX]\s*(\d+)\s*', text)
    if match is None:
        raise argparse.ArgumentTypeError(
            f'expected HEIGHTxWIDTH such as 240x320, got {text!r}')
    height, width = int(match.group(1)), int(match.group(2))
    if height < 1 or width < 1:
        raise argparse.ArgumentTypeError(
            f'height and width must be at least 1 pixel, got {text!r}')
    return height, width


def non_negative_int(text: str) -> int:
    """An integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'expected an integer, got {text!r}') from None
    if value < 0:
        raise argparse.ArgumentTypeError(f'must be >= 0, got {value}')
    return value


def positive_int(text: str) -> int:
    """An integer >= 1."""
    value = non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f'must be >= 1, got {value}')
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', required=True,
                        help='DATA_ROOT to write (created if missing; must '
                        'not hold pngs of another dataset)')
    parser.add_argument('--num-train', type=non_negative_int, required=True,
                        help='number of training images')
    parser.add_argument('--num-test', type=non_negative_int, required=True,
                        help='number of test images')
    parser.add_argument('--seed', type=non_negative_int, default=0,
                        help='dataset seed; the same seed and size give '
                        'byte-identical files (default: 0)')
    parser.add_argument('--size', type=parse_size, default=(240, 320),
                        help='image size HEIGHTxWIDTH in pixels '
                        '(default: 240x320, half the Kinect resolution)')
    parser.add_argument('--variant', choices=VARIANT_NAMES, default='rooms',
                        help='rooms: every object draws its own material; '
                        'depth-cue: pillow/sofa, pillow/bed and '
                        'books/bookshelf share one material per image, so '
                        'only depth separates them (default: rooms)')
    parser.add_argument('--workers', type=positive_int, default=1,
                        help='processes rendering in parallel; does not '
                        'change the output (default: 1)')
    parser.add_argument('--no-progress', action='store_true',
                        help='do not show a progress bar')
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        names = generate_dataset(args.out, args.num_train, args.num_test,
                                 args.seed, size=args.size,
                                 progress=not args.no_progress,
                                 workers=args.workers, variant=args.variant)
    except (OSError, ValueError) as error:
        print(f'make_synthetic.py: error: {error}', file=sys.stderr)
        return 1
    print(f'\nwrote {len(names["train"])} train and {len(names["test"])} '
          f'{args.variant} samples of {args.size[0]}x{args.size[1]} to '
          f'{args.out}')
    pairs = get_variant(args.variant).depth_only_pairs
    for pair in pairs:
        low, high = pair.design_step_m
        print(f'depth-only pair {pair.classes[0]} / {pair.classes[1]}: '
              f'designed depth step {low:.2f}-{high:.2f} m')
    if pairs:
        print('measure the rendered steps: python '
              f'benchmarks/depth_pair_statistics.py --data-root {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
