"""The paper's pipeline end to end on the embedded synthetic rooms (`make demo`).

Generates the synthetic dataset, trains stage 1 (semantics), stage 2 (joint,
from stage 1), stage 3 (CRF with depth, from stage 2) and the CRF without its
depth kernel, tests each, and writes one ablation report in the layout of the
paper's Tables 2 and 3 plus the Fig. 2-4 pictures into one folder. Re-running
reuses what is already done (the data, finished stages, finished tests).

    python tools/demo.py [--out outputs/demo] [--seed 0]
"""
from __future__ import annotations

import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOOLS = osp.join(ROOT, 'tools')

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
)


def log(message: str) -> None:
    print(f'[demo {time.strftime("%H:%M:%S")}] {message}', flush=True)


def run(command: list[str]) -> None:
    """Runs a tool, its output streaming through; stops the demo on failure."""
    log(' '.join(osp.relpath(c, ROOT) if c.startswith(ROOT) else c
                 for c in command))
    result = subprocess.run(command, cwd=ROOT)
    if result.returncode != 0:
        raise SystemExit(f'demo: step failed (exit {result.returncode}): '
                         f'{" ".join(command)}')


def final_checkpoint(work_dir: str, config: str) -> str:
    from mmengine.config import Config
    max_iters = Config.fromfile(osp.join(ROOT, config)).train_cfg.max_iters
    return osp.join(work_dir, f'iter_{max_iters}.pth')


def make_data(args) -> None:
    marker = osp.join(args.data_root, 'demo_dataset.json')
    wanted = dict(num_train=args.num_train, num_test=args.num_test,
                  seed=args.seed, size='120x160')
    if osp.isfile(marker) and json.load(open(marker)) == wanted:
        log(f'reusing the synthetic dataset in {args.data_root}')
        return
    run([sys.executable, osp.join(TOOLS, 'make_synthetic.py'), '--out',
         args.data_root, '--num-train', str(args.num_train), '--num-test',
         str(args.num_test), '--seed', str(args.seed), '--size', '120x160',
         '--workers', '2'])
    with open(marker + '.tmp', 'w') as file:
        json.dump(wanted, file)
    os.replace(marker + '.tmp', marker)


def train_and_test(args, name, config, parent) -> str:
    work_dir = osp.join(args.out, 'work', name)
    checkpoint = final_checkpoint(work_dir, config)
    data_options = [f'train_dataloader.dataset.data_root={args.data_root}',
                    f'val_dataloader.dataset.data_root={args.data_root}',
                    f'test_dataloader.dataset.data_root={args.data_root}',
                    f'randomness.seed={args.seed}']
    if osp.isfile(checkpoint):
        log(f'{name}: reusing {osp.relpath(checkpoint, ROOT)}')
    else:
        options = list(data_options)
        if parent is not None:
            parent_config = dict((s[0], s[1]) for s in STAGES)[parent]
            options.append('load_from=' + final_checkpoint(
                osp.join(args.out, 'work', parent), parent_config))
        run([sys.executable, osp.join(TOOLS, 'train.py'), config,
             '--work-dir', work_dir, '--cfg-options', *options])
    results = osp.join(args.out, 'results', name)
    if osp.isfile(osp.join(results, 'metrics.json')):
        log(f'{name}: reusing {osp.relpath(results, ROOT)}/metrics.json')
    else:
        run([sys.executable, osp.join(TOOLS, 'test.py'), config, checkpoint,
             '--work-dir', work_dir, '--out', results, '--show-dir',
             osp.join(args.out, 'figures', name), '--show-num',
             str(args.show_num), '--show-scale', '2', '--cfg-options',
             *data_options])
    return checkpoint


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default=osp.join(ROOT, 'outputs', 'demo'),
                        help='folder for everything the demo writes')
    parser.add_argument('--data-root',
                        default=osp.join(ROOT, 'data', 'synthetic'),
                        help='where the synthetic dataset is written')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the dataset and of training')
    parser.add_argument('--num-train', type=int, default=240,
                        help='synthetic training images')
    parser.add_argument('--num-test', type=int, default=60,
                        help='synthetic test images')
    parser.add_argument('--show-num', type=int, default=6,
                        help='test images drawn as Fig. 2/3 panels per run')
    args = parser.parse_args(argv)
    args.out = osp.abspath(args.out)
    args.data_root = osp.abspath(args.data_root)
    start = time.time()
    make_data(args)
    checkpoints = {}
    for name, config, parent, _ in STAGES:
        checkpoints[name] = train_and_test(args, name, config, parent)
    figures = osp.join(args.out, 'figures')
    run([sys.executable, osp.join(TOOLS, 'plot_crf_weights.py'),
         checkpoints['stage3_crf'], '--out',
         osp.join(figures, 'fig4_crf_weights.png')])
    report = osp.join(args.out, 'report.md')
    run([sys.executable, osp.join(TOOLS, 'make_report.py'),
         *[f'{row}={osp.join(args.out, "results", name)}'
           for name, _, _, row in STAGES],
         '--baseline', 'Unary-Sem', '--paper', '--out', report])
    summarize(args, time.time() - start)
    log(f'everything is in {args.out} (report: {report})')


def summarize(args, seconds: float) -> None:
    """Prints whether depth and the CRF improved mIoU, honestly.

    Depth: stage 2 against stage 1 and against the control trained as long
    without depth. CRF: each stage-3 run's refined labels against the same
    network's unaries (its `unary/` metric), which isolates the CRF.
    """
    def metrics(name):
        path = osp.join(args.out, 'results', name, 'metrics.json')
        with open(path) as file:
            return json.load(file)
    results = {name: metrics(name) for name, *_ in STAGES}
    miou = {name: values['sem/mIoU'] for name, values in results.items()}
    log(f'seed {args.seed}, {seconds / 60:.1f} min. mIoU: ' + ', '.join(
        f'{row} {miou[name]:.1f}' for name, _, _, row in STAGES))
    log('depth: {:+.1f} mIoU over stage 1, {:+.1f} over the control trained '
        'as long without depth'.format(
            miou['stage2_joint'] - miou['stage1_sem'],
            miou['stage2_joint'] - miou['stage2_sem_control']))
    for name in ('stage3_crf_nodepth', 'stage3_crf'):
        unary = results[name]['unary/mIoU']
        log(f'CRF ({name}): {miou[name] - unary:+.1f} mIoU over its own '
            f'unaries ({unary:.1f} -> {miou[name]:.1f})')


if __name__ == '__main__':
    main()
