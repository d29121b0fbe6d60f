"""The demo's pipeline over several seeds: mean ± std and paired differences.

Example::

    python tools/ablation.py --variant depth-cue --seeds 0 1 2 \
        --out outputs/ablation/depth-cue

runs, in this process, what ``tools/demo.py --variant V --seed S --out
DIR/seed_S --data-root DIR/seed_S/data --rgbd`` runs (with the RGB-D row) for
every seed (data and training seeded alike; a seed whose ``summary.json``
exists is reused, and the demo reuses finished stages, so an interrupted
ablation resumes), then writes ``DIR/ablation.json`` and ``DIR/ablation.md``:
each row's mean ± sample std (ddof=1) over seeds, the paired per-seed
differences that carry the paper's claims (``tools/experiments/stages.py``)
and the same for the depth-only classes' IoU. A difference is reported as
"no difference" unless |mean| > std of its per-seed values; see
``jointdepthseg/evaluation/seed_spread.py`` for why. ``--summaries-only``
aggregates the existing ``summary.json`` files without running anything.
Commit ``ablation.{json,md}`` under ``benchmarks/ablation/V/``, where
``tools/demo.py`` reads the spread from.
"""
from __future__ import annotations

import argparse
import json
import os.path as osp
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if ROOT not in sys.path:  # tools.experiments, when run as a script
    sys.path.insert(0, ROOT)

from tools.experiments.demo_options import VARIANTS  # noqa: E402

#: demo options the ablation sets itself, per seed.
OWN_OPTIONS = ('--variant', '--seed', '--out', '--data-root')


def log(message: str) -> None:
    print(f'[ablation {time.strftime("%H:%M:%S")}] {message}', flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--variant', choices=VARIANTS, default='rooms',
                        help='synthetic dataset variant (default: rooms)')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2],
                        help='seeds to run (default: 0 1 2)')
    parser.add_argument('--out', default=None,
                        help='folder for seed_S/ and ablation.{json,md} '
                        '(default: outputs/ablation/VARIANT)')
    parser.add_argument('--summaries-only', action='store_true',
                        help='only aggregate the seeds\' existing '
                        'summary.json files; run nothing')
    parser.add_argument('--demo-args', nargs=argparse.REMAINDER, default=[],
                        help='last: options of tools/demo.py for every '
                        'seed, e.g. --demo-args --show-num 0')
    args = parser.parse_args(argv)
    if len(set(args.seeds)) != len(args.seeds):
        parser.error(f'--seeds given twice: {args.seeds}')
    if any(seed < 0 for seed in args.seeds):
        parser.error(f'--seeds must be >= 0, got {args.seeds}')
    own = [arg for arg in args.demo_args
           if arg.split('=')[0] in OWN_OPTIONS]
    if own:
        parser.error(f'--demo-args must not set {own[0]}: the ablation sets '
                     f'{", ".join(OWN_OPTIONS)} per seed')
    args.out = osp.abspath(args.out or osp.join(ROOT, 'outputs', 'ablation',
                                                args.variant))
    # every seed's demo options, checked before anything runs
    args.seed_demo_args = {seed: seed_demo_args(args, seed, parser)
                           for seed in args.seeds}
    return args


def seed_folder(args, seed: int) -> str:
    return osp.join(args.out, f'seed_{seed}')


def seed_demo_args(args, seed: int, parser) -> argparse.Namespace:
    """The seed's options, as ``tools/demo.py`` would parse them."""
    from tools.experiments.demo_options import build_parser, parse_demo_args
    folder = seed_folder(args, seed)
    argv = ['--variant', args.variant, '--seed', str(seed), '--out', folder,
            '--data-root', osp.join(folder, 'data'), '--rgbd',
            *args.demo_args]
    demo_parser = build_parser()
    demo_parser.prog = f'{parser.prog} --demo-args'
    return parse_demo_args(argv, demo_parser)


def load_summary(args, seed: int) -> dict | None:
    """The seed's summary.json, checked; None if it does not exist yet."""
    from tools.experiments.summary import SUMMARY_FILE, check_summary
    path = osp.join(seed_folder(args, seed), SUMMARY_FILE)
    if not osp.isfile(path):
        return None
    try:
        with open(path) as file:
            summary = json.load(file)
    except json.JSONDecodeError as error:
        raise ValueError(f'{path} is not valid JSON: {error}') from None
    check_summary(summary, args.variant, seed, path)
    return summary


def run_seed(args, seed: int, index: int) -> dict:
    """The seed's summary, running the demo's pipeline where it is missing.
    """
    from tools.experiments.demo_pipeline import run_demo
    where = f'seed {seed} ({index + 1}/{len(args.seeds)})'
    summary = load_summary(args, seed)
    if summary is not None:
        log(f'{where}: reusing {seed_folder(args, seed)}/summary.json')
        return summary
    if args.summaries_only:
        raise ValueError(f'{where}: no summary.json in '
                         f'{seed_folder(args, seed)} (run without '
                         '--summaries-only to compute it)')
    log(f'{where}: running the demo (logged as [demo {args.variant} seed '
        f'{seed} ...])')
    start = time.time()
    summary = run_demo(args.seed_demo_args[seed])
    log(f'{where}: done in {(time.time() - start) / 60:.1f} min')
    return summary


def main(argv=None) -> dict:
    """Run or reuse every seed, then write ablation.json and ablation.md."""
    args = parse_args(argv)
    from jointdepthseg.fileio import atomic_write_json, atomic_write_text
    from tools.experiments.ablation import ablation_markdown, aggregate
    from tools.experiments.stage_runner import StageFailed
    try:
        summaries = {seed: run_seed(args, seed, index)
                     for index, seed in enumerate(args.seeds)}
        result = aggregate(summaries)
    except StageFailed as error:
        sys.exit(f'error: {error}; rerun to resume')
    except ValueError as error:
        sys.exit(f'error: {error}')
    json_path = osp.join(args.out, 'ablation.json')
    markdown_path = osp.join(args.out, 'ablation.md')
    atomic_write_json(json_path, result, ensure_ascii=False, allow_nan=False)
    markdown = ablation_markdown(result)
    atomic_write_text(markdown_path, markdown)
    print(markdown)
    log(f'wrote {json_path} and {markdown_path}')
    return result


if __name__ == '__main__':
    main()
