"""The demo's command line (``tools/demo.py``), shared by the ablation.

``tools/ablation.py`` builds each seed's demo options with the same parser,
so a seed of the ablation is exactly ``tools/demo.py --seed S ...``.
"""
from __future__ import annotations

import argparse
import os.path as osp
from typing import Optional, Sequence

from .stages import IMAGE_SIZE

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
VARIANTS = ('rooms', 'depth-cue')
DATA_ROOTS = {'rooms': 'data/synthetic',
              'depth-cue': 'data/synthetic_depth_cue'}
OUT_DIRS = {'rooms': 'outputs/demo', 'depth-cue': 'outputs/demo_depth_cue'}
#: The seed ablation's result for a variant, committed by whoever ran it.
SPREAD_FILE = 'benchmarks/ablation/{variant}/ablation.json'
DESCRIPTION = ("The paper's pipeline end to end on the embedded synthetic "
               'rooms (`make demo`).')


def size_text(size: Sequence[int] = IMAGE_SIZE) -> str:
    """(H, W) -> 'HxW', as tools/make_synthetic.py's --size."""
    return f'{size[0]}x{size[1]}'


def build_parser(description: str = DESCRIPTION) -> argparse.ArgumentParser:
    """The demo's arguments (every one with help)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('--variant', choices=VARIANTS, default='rooms',
                        help='synthetic dataset variant (default: rooms)')
    parser.add_argument('--out', default=None,
                        help='folder for everything the demo writes '
                        '(default: outputs/demo for rooms, '
                        'outputs/demo_depth_cue for depth-cue)')
    parser.add_argument('--data-root', default=None,
                        help='where the synthetic dataset is written '
                        '(default: data/synthetic for rooms, '
                        'data/synthetic_depth_cue for depth-cue)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the dataset and of training')
    parser.add_argument('--num-train', type=int, default=240,
                        help='synthetic training images')
    parser.add_argument('--num-test', type=int, default=60,
                        help='synthetic test images')
    parser.add_argument('--rgbd', action='store_true',
                        help='also train and test the CRF on the measured '
                        '(RGB-D) depth (about 1.5 min more on 2 CPU cores)')
    parser.add_argument('--show-num', type=int, default=6,
                        help='test images drawn as Fig. 2/3 panels per run')
    parser.add_argument('--spread', default=None,
                        help='ablation.json of tools/ablation.py whose '
                        'seed-to-seed spread the summary compares with '
                        f'(default: {SPREAD_FILE})')
    parser.add_argument('--iters-scale', type=float, default=1.0,
                        help='for smoke tests only: multiply every stage\'s '
                        'schedule (iterations, learning-rate decay, '
                        'checkpoint and log intervals; e.g. 0.02 with '
                        '--num-train 8 --num-test 4); the numbers are then '
                        'meaningless')
    return parser


def parse_demo_args(argv: Optional[Sequence[str]] = None,
                    parser: Optional[argparse.ArgumentParser] = None
                    ) -> argparse.Namespace:
    """The demo's options, paths made absolute and defaults per variant."""
    parser = parser or build_parser()
    args = parser.parse_args(argv)
    if args.iters_scale <= 0:
        parser.error(f'--iters-scale must be > 0, got {args.iters_scale}')
    for name in ('num_train', 'num_test', 'show_num', 'seed'):
        if getattr(args, name) < 0:
            parser.error(f'--{name.replace("_", "-")} must be >= 0, got '
                         f'{getattr(args, name)}')
    args.out = osp.abspath(args.out or osp.join(ROOT,
                                                OUT_DIRS[args.variant]))
    args.data_root = osp.abspath(args.data_root or osp.join(
        ROOT, DATA_ROOTS[args.variant]))
    args.spread = args.spread or osp.join(
        ROOT, SPREAD_FILE.format(variant=args.variant))
    return args


def demo_settings(args: argparse.Namespace) -> dict:
    """What the results in ``--out`` depend on besides the code."""
    return dict(variant=args.variant, seed=args.seed,
                num_train=args.num_train, num_test=args.num_test,
                size=size_text(), data_root=args.data_root,
                iters_scale=args.iters_scale)
