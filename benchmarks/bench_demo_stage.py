"""Where a demo stage's time goes: training steps inside mmengine's Runner
against a bare loop, and the one-off costs per stage.

    python benchmarks/bench_demo_stage.py [--config CONFIG] [--iters 30]
        [--rounds 3] [--threads N] [--data-root data/synthetic]

Needs a synthetic dataset (``--data-root``, default data/synthetic; ``make
demo`` or tools/make_synthetic.py writes it). Each measurement runs in a
fresh process, the modes interleaved round by round; the table gives the
median over rounds of the wall time and of the CPU time (the process and its
data-loader workers) per training step, after 5 warm-up steps:

- ``bare, same batches``: ``model.train_step`` on 4 batches read once;
- ``bare, data loader``: the config's train dataloader (its workers);
- ``Runner``: ``runner.train()`` with the config's hooks, the steps only
  (mmengine validates after the last iteration whatever ``val_interval``
  says; that pass is timed apart, as ``validation after training``);

then the one-off costs of a stage: starting a Python process that imports
jointdepthseg and mmseg (what every tool call of the old demo paid), and
building the Runner.
"""
from __future__ import annotations

import argparse
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
MODES = ('bare_cached', 'bare_loader', 'runner')
LABELS = {'bare_cached': 'bare, same batches',
          'bare_loader': 'bare, data loader', 'runner': 'Runner'}
WARM_UP = 5


def cpu_seconds() -> float:
    """User + system seconds of this process and its living children."""
    tick = os.sysconf('SC_CLK_TCK')
    total, me = 0.0, os.getpid()
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/stat') as file:
                fields = file.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        if int(entry) == me or int(fields[1]) == me:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def load_config(args):
    from mmengine.config import Config
    cfg = Config.fromfile(args.config)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = args.data_root
    cfg.load_from = None
    return cfg


def measure(args) -> dict:
    """One mode in this process: seconds and CPU seconds per step."""
    import torch
    if args.threads:
        torch.set_num_threads(args.threads)
    import jointdepthseg  # noqa: F401
    cfg = load_config(args)
    total = WARM_UP + args.iters
    if args.mode == 'runner':
        return measure_runner(cfg, args, total)
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    batches = iter(Runner.build_dataloader(cfg.train_dataloader, seed=0))
    if args.mode == 'bare_cached':
        import copy
        cached = [next(batches) for _ in range(4)]
        # train_step may change a batch in place: a copy each step
        batches = (copy.deepcopy(cached[i % 4]) for i in range(total))
    for step in range(total):
        if step == WARM_UP:
            start, cpu = time.perf_counter(), cpu_seconds()
        model.train_step(next(batches), optim_wrapper)
    return dict(step=(time.perf_counter() - start) / args.iters,
                cpu=(cpu_seconds() - cpu) / args.iters)


def measure_runner(cfg, args, total: int) -> dict:
    from mmengine.hooks import Hook
    from mmseg.registry import RUNNERS
    cfg.work_dir = osp.join(args.work_dir, f'runner_{os.getpid()}')
    cfg.train_cfg.max_iters = total
    cfg.param_scheduler[0].end = total
    cfg.default_hooks.checkpoint.interval = 10**9
    cfg.default_hooks.checkpoint.save_last = False
    times = {}

    class StepClock(Hook):
        def before_train_iter(self, runner, batch_idx, data_batch=None):
            if runner.iter == WARM_UP:
                times['start'], times['cpu'] = (time.perf_counter(),
                                                cpu_seconds())

        def after_train_iter(self, runner, batch_idx, data_batch=None,
                             outputs=None):
            if runner.iter + 1 == total:
                times['step'] = (time.perf_counter() -
                                 times['start']) / args.iters
                times['step_cpu'] = (cpu_seconds() - times['cpu']) / \
                    args.iters
                times['end'] = time.perf_counter()

    start = time.perf_counter()
    runner = RUNNERS.build(cfg)
    build = time.perf_counter() - start
    runner.register_hook(StepClock(), 'LOWEST')
    runner.train()
    return dict(step=times['step'], cpu=times['step_cpu'], build=build,
                validation=time.perf_counter() - times['end'])


def process_start() -> float:
    """Seconds to start Python and import what every tool imports."""
    start = time.perf_counter()
    subprocess.run([sys.executable, '-c', 'import jointdepthseg; '
                    'import mmseg.models; from mmengine.runner import '
                    'Runner'], check=True, cwd=ROOT)
    return time.perf_counter() - start


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=osp.join(
        ROOT, 'configs', 'synthetic', 'stage2_joint.py'),
        help='stage config (default: the demo\'s stage 2)')
    parser.add_argument('--data-root', default=osp.join(ROOT, 'data',
                                                        'synthetic'),
                        help='synthetic dataset (default: data/synthetic)')
    parser.add_argument('--iters', type=int, default=30,
                        help='timed steps per measurement (default: 30)')
    parser.add_argument('--rounds', type=int, default=3,
                        help='interleaved rounds (default: 3)')
    parser.add_argument('--threads', type=int, default=0,
                        help='torch threads (default: torch\'s own)')
    parser.add_argument('--work-dir', default='/tmp/bench_demo_stage',
                        help='folder for the Runner\'s logs')
    parser.add_argument('--mode', choices=MODES, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.mode:  # one measurement, in a fresh process
        print('RESULT ' + json.dumps(measure(args)), flush=True)
        return
    if not osp.isdir(osp.join(args.data_root, 'images')):
        raise SystemExit(f'error: no synthetic dataset in {args.data_root} '
                         '(tools/make_synthetic.py writes one)')
    results = {mode: [] for mode in MODES}
    starts = []
    for round_ in range(args.rounds):
        for mode in MODES:
            done = subprocess.run(
                [sys.executable, __file__, '--mode', mode,
                 *(sys.argv[1:] if argv is None else argv)],
                capture_output=True, text=True, cwd=ROOT)
            line = [x for x in done.stdout.splitlines()
                    if x.startswith('RESULT ')]
            if done.returncode != 0 or not line:
                raise SystemExit(f'error: {mode} failed:\n{done.stderr}')
            results[mode].append(json.loads(line[0][7:]))
        starts.append(process_start())
        print(f'round {round_ + 1}/{args.rounds} done', file=sys.stderr)

    def median(mode, key):
        return statistics.median(r[key] for r in results[mode])

    print(f'{osp.relpath(args.config, ROOT)}, {args.iters} steps, median '
          f'of {args.rounds} rounds')
    print('| what | s / step | CPU s / step |')
    print('|---|---|---|')
    for mode in MODES:
        print(f'| {LABELS[mode]} | {median(mode, "step"):.3f} | '
              f'{median(mode, "cpu"):.3f} |')
    print('| **once per stage** | s | |')
    print(f'| validation after training | {median("runner", "validation"):.1f}'
          ' | |')
    print(f'| building the Runner | {median("runner", "build"):.1f} | |')
    print(f'| a tool process starting (imports) | '
          f'{statistics.median(starts):.1f} | |')


if __name__ == '__main__':
    main()
