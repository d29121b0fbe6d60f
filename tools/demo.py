"""The paper's pipeline end to end on the embedded synthetic rooms (`make demo`).

Generates the synthetic dataset (``--variant rooms``, or ``depth-cue`` where
some class pairs share their material so that only depth separates them),
trains stage 1 (semantics), a no-depth control, stage 2 (joint, from stage 1),
stage 3 (CRF with depth, from stage 2) and the CRF without its depth kernel
(with ``--rgbd`` also the CRF on the measured depth, as tools/ablation.py
does), tests each, and writes one report in
the layout of the paper's Tables 2 and 3, the Fig. 2-4 pictures and
``summary.json`` (the mIoUs tools/ablation.py reduces over seeds) into one
folder. Re-running reuses what is already done (the data, finished stages,
finished tests).

    python tools/demo.py [--variant depth-cue] [--seed 0] [--out DIR] [--rgbd]
"""
from __future__ import annotations

import argparse
import json
import os.path as osp
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOOLS = osp.join(ROOT, 'tools')
VARIANTS = ('rooms', 'depth-cue')
DATA_ROOTS = {'rooms': 'data/synthetic',
              'depth-cue': 'data/synthetic_depth_cue'}
OUT_DIRS = {'rooms': 'outputs/demo', 'depth-cue': 'outputs/demo_depth_cue'}
#: The seed ablation's result for a variant, committed by whoever ran it.
SPREAD_FILE = 'benchmarks/ablation/{variant}/ablation.json'
SETTINGS_FILE = 'demo_settings.json'

# (run name, config, the run whose checkpoint it starts from, report row)
STAGES = (
    ('stage1_sem', 'configs/synthetic/stage1_sem.py', None, 'Unary-Sem'),
    # not in the paper: stage 1 trained as long again as stage 2, no depth
    ('stage2_sem_control', 'configs/synthetic/stage2_sem_control.py',
     'stage1_sem', 'Unary-Sem (same iterations, no depth)'),
    ('stage2_joint', 'configs/synthetic/stage2_joint.py', 'stage1_sem',
     'Unary-Sem+Depth'),
    ('stage3_crf_nodepth', 'configs/synthetic/stage3_crf_nodepth.py',
     'stage2_joint', 'Sem-CRF'),
    ('stage3_crf', 'configs/synthetic/stage3_crf.py', 'stage2_joint',
     'Sem-CRF+'),
    # not in the paper's table: the CRF's depth from the Kinect-like depth
    ('stage3_crf_rgbd', 'configs/synthetic/stage3_crf_rgbd.py',
     'stage2_joint', 'RGB-D Sem-CRF+'),
)
CONFIGS = {name: config for name, config, _, _ in STAGES}
#: Runs only with ``--rgbd`` (about 2.5 min more on 2 cores): `make demo`
#: keeps within its time, the ablation reports the row.
RGBD_STAGES = ('stage3_crf_rgbd',)


def selected_stages(args) -> tuple:
    """The ``STAGES`` entries this run trains: all with ``--rgbd``."""
    return tuple(stage for stage in STAGES
                 if args.rgbd or stage[0] not in RGBD_STAGES)


def shown(path: str) -> str:
    """``path`` relative to the repository if inside it."""
    inside = osp.commonpath([path, ROOT]) == ROOT
    return osp.relpath(path, ROOT) if inside else path


def log(message: str, args=None) -> None:
    where = '' if args is None else f' {args.variant} seed {args.seed}'
    print(f'[demo{where} {time.strftime("%H:%M:%S")}] {message}', flush=True)


def run(command: list[str], args) -> None:
    """Runs a tool, its output streaming through; stops the demo on failure."""
    log(' '.join(shown(c) if c.startswith(ROOT) else c for c in command),
        args)
    result = subprocess.run(command, cwd=ROOT)
    if result.returncode != 0:
        raise SystemExit(f'demo: step failed (exit {result.returncode}): '
                         f'{" ".join(command)}')


def stage_iters(config: str, scale: float) -> int:
    """The config's max_iters times ``--iters-scale`` (at least 1)."""
    from mmengine.config import Config
    max_iters = Config.fromfile(osp.join(ROOT, config)).train_cfg.max_iters
    return max(1, round(max_iters * scale))


def final_checkpoint(args, name: str) -> str:
    return osp.join(args.out, 'work', name,
                    f'iter_{stage_iters(CONFIGS[name], args.iters_scale)}'
                    '.pth')


def write_json(path: str, value) -> None:
    from jointdepthseg.evaluation.reports import atomic_write_text
    atomic_write_text(path, json.dumps(value, indent=2, allow_nan=False) +
                      '\n')


def settings(args) -> dict:
    """What the results in ``--out`` depend on besides the code."""
    return dict(variant=args.variant, seed=args.seed,
                num_train=args.num_train, num_test=args.num_test,
                size='120x160', data_root=args.data_root,
                iters_scale=args.iters_scale)


def claim_out_dir(args) -> None:
    """Refuse an --out that holds another demo's results; else record ours."""
    path = osp.join(args.out, SETTINGS_FILE)
    wanted = settings(args)
    if osp.isfile(path):
        with open(path) as file:
            found = json.load(file)
        if found != wanted:
            changed = ', '.join(f'{key} {found.get(key)!r} -> {value!r}'
                                for key, value in wanted.items()
                                if found.get(key) != value)
            raise SystemExit(f'demo: error: {args.out} holds a demo run '
                             f'with other settings ({changed}); use another '
                             '--out or delete it')
        return
    if any(osp.exists(osp.join(args.out, sub)) for sub in ('work',
                                                           'results')):
        raise SystemExit(f'demo: error: {args.out} holds results without '
                         f'{SETTINGS_FILE} (an older demo); use another '
                         '--out or delete it')
    write_json(path, wanted)


def make_data(args) -> None:
    marker = osp.join(args.data_root, 'demo_dataset.json')
    wanted = dict(num_train=args.num_train, num_test=args.num_test,
                  seed=args.seed, size='120x160', variant=args.variant)
    if osp.isfile(marker) and json.load(open(marker)) == wanted:
        log(f'reusing the synthetic dataset in {args.data_root}', args)
        return
    run([sys.executable, osp.join(TOOLS, 'make_synthetic.py'), '--out',
         args.data_root, '--variant', args.variant, '--num-train',
         str(args.num_train), '--num-test', str(args.num_test), '--seed',
         str(args.seed), '--size', '120x160', '--workers', '2'], args)
    write_json(marker, wanted)


def depth_only_pairs(data_root: str) -> list[tuple[str, str]]:
    """Class-name pairs that only depth separates in the depth-cue variant.

    From ``DATA_ROOT/synthetic_meta.json``; where it names none (``rooms``),
    the depth-cue variant's pairs, so that both variants report the same
    classes.
    """
    from jointdepthseg.datasets.synthetic import (DEPTH_CUE_PAIRS, META_FILE,
                                                  read_depth_only_pairs)
    meta = osp.join(data_root, META_FILE)
    pairs = (read_depth_only_pairs(meta, 'classes') if osp.isfile(meta)
             else [])
    return pairs or [pair.classes for pair in DEPTH_CUE_PAIRS]


def train_and_test(args, name, config, parent) -> str:
    work_dir = osp.join(args.out, 'work', name)
    checkpoint = final_checkpoint(args, name)
    data_options = [f'train_dataloader.dataset.data_root={args.data_root}',
                    f'val_dataloader.dataset.data_root={args.data_root}',
                    f'test_dataloader.dataset.data_root={args.data_root}',
                    f'randomness.seed={args.seed}']
    if osp.isfile(checkpoint):
        log(f'{name}: reusing {shown(checkpoint)}', args)
    else:
        options = list(data_options)
        if args.iters_scale != 1:  # smoke tests: every stage shortened
            iters = stage_iters(config, args.iters_scale)
            options += [f'train_cfg.max_iters={iters}',
                        f'train_cfg.val_interval={iters + 1}',
                        f'default_hooks.checkpoint.interval={iters}']
        if parent is not None:
            options.append('load_from=' + final_checkpoint(args, parent))
        log(f'{name}: training', args)
        run([sys.executable, osp.join(TOOLS, 'train.py'), config,
             '--work-dir', work_dir, '--cfg-options', *options], args)
    results = osp.join(args.out, 'results', name)
    if osp.isfile(osp.join(results, 'metrics.json')):
        log(f'{name}: reusing {shown(results)}/metrics.json', args)
    else:
        log(f'{name}: testing', args)
        run([sys.executable, osp.join(TOOLS, 'test.py'), config, checkpoint,
             '--work-dir', work_dir, '--out', results, '--show-dir',
             osp.join(args.out, 'figures', name), '--show-num',
             str(args.show_num), '--show-scale', '2', '--cfg-options',
             *data_options], args)
    return checkpoint


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
                        '(RGB-D) depth (about 2.5 min more on 2 CPU cores)')
    parser.add_argument('--show-num', type=int, default=6,
                        help='test images drawn as Fig. 2/3 panels per run')
    parser.add_argument('--spread', default=None,
                        help='ablation.json of tools/ablation.py whose '
                        'seed-to-seed spread the summary compares with '
                        f'(default: {SPREAD_FILE})')
    parser.add_argument('--iters-scale', type=float, default=1.0,
                        help='for smoke tests only: multiply every stage\'s '
                        'iterations (e.g. 0.02 with --num-train 8 '
                        '--num-test 4); the numbers are then meaningless')
    args = parser.parse_args(argv)
    if args.iters_scale <= 0:
        parser.error(f'--iters-scale must be > 0, got {args.iters_scale}')
    args.out = osp.abspath(args.out or osp.join(ROOT,
                                                OUT_DIRS[args.variant]))
    args.data_root = osp.abspath(args.data_root or osp.join(
        ROOT, DATA_ROOTS[args.variant]))
    args.spread = args.spread or osp.join(
        ROOT, SPREAD_FILE.format(variant=args.variant))
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    missing = [c for c in CONFIGS.values() if not osp.isfile(osp.join(ROOT,
                                                                      c))]
    if missing:
        raise SystemExit(f'demo: error: config not found: {missing[0]}')
    start = time.time()
    claim_out_dir(args)
    make_data(args)
    checkpoints = {}
    stages = selected_stages(args)
    for name, config, parent, _ in stages:
        checkpoints[name] = train_and_test(args, name, config, parent)
    figures = osp.join(args.out, 'figures')
    # Fig. 4; with depth-only pairs (depth-cue), they are outlined and their
    # mean learned weights written to figures/fig4_crf_weights_pairs.md
    from jointdepthseg.datasets.synthetic import (META_FILE,
                                                  read_depth_only_pairs)
    meta = osp.join(args.data_root, META_FILE)
    has_pairs = osp.isfile(meta) and bool(read_depth_only_pairs(meta))
    with_pairs = ['--pairs-from', meta] if has_pairs else []
    # the config gives the pair table its initial values
    run([sys.executable, osp.join(TOOLS, 'plot_crf_weights.py'),
         CONFIGS['stage3_crf'], checkpoints['stage3_crf'], '--out',
         osp.join(figures, 'fig4_crf_weights.png'), *with_pairs], args)
    report = osp.join(args.out, 'report.md')
    run([sys.executable, osp.join(TOOLS, 'make_report.py'),
         *[f'{row}={osp.join(args.out, "results", name)}'
           for name, _, _, row in stages],
         '--baseline', 'Unary-Sem', '--paper', '--out', report], args)
    summary = write_summary(args)
    print_summary(args, summary, time.time() - start)
    log(f'everything is in {args.out} (report: {report}, summary: '
        f'{osp.join(args.out, "summary.json")})', args)


def write_summary(args) -> dict:
    """OUT/summary.json from the runs' metrics.json (see ablation_stats)."""
    from jointdepthseg.evaluation.ablation_stats import (SUMMARY_FILE,
                                                         build_summary)
    from jointdepthseg.evaluation.reports import read_metrics_json
    stages = selected_stages(args)
    metrics = {name: read_metrics_json(osp.join(args.out, 'results', name,
                                                'metrics.json'))
               for name, *_ in stages}
    summary = build_summary(args.variant, args.seed,
                            {name: row for name, _, _, row in stages},
                            metrics, depth_only_pairs(args.data_root))
    summary['data_root'] = args.data_root
    summary['settings'] = {key: value for key, value in settings(args).items()
                           if key not in ('seed', 'data_root')}
    write_json(osp.join(args.out, SUMMARY_FILE), summary)
    return summary


def load_spread(args) -> tuple[dict | None, str]:
    """(ablation.json or None, a sentence saying where the spread is from)."""
    path = shown(args.spread)
    if not osp.isfile(args.spread):
        return None, (f'seed-to-seed spread unknown: no {path}; measure it '
                      f'with python tools/ablation.py --variant '
                      f'{args.variant} --seeds 0 1 2 --out '
                      f'outputs/ablation/{args.variant} and copy its '
                      f'ablation.json and ablation.md to {osp.dirname(path)}')
    with open(args.spread) as file:
        ablation = json.load(file)
    if ablation.get('variant') != args.variant:
        return None, (f'seed-to-seed spread unknown: {path} is for variant '
                      f'{ablation.get("variant")!r}, not {args.variant!r}')
    seeds = ', '.join(str(s) for s in ablation.get('seeds', []))
    return ablation, f'spread = std of the difference over seeds {seeds} ' \
        f'({path})'


def print_summary(args, summary: dict, seconds: float) -> None:
    """Prints each claim's difference and whether it exceeds the spread."""
    from jointdepthseg.evaluation.ablation_report import spread_lines
    miou = summary['miou']
    log(f'{seconds / 60:.1f} min. mIoU: ' + ', '.join(
        f'{row} {miou[name]:.1f}' for name, row in summary['rows'].items()),
        args)
    ablation, source = load_spread(args)
    log(source, args)
    for line in spread_lines(summary, ablation):
        log(line, args)


if __name__ == '__main__':
    main()
