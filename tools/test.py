"""Test a checkpoint and write the paper's Table 2 / Table 3 report.

Example::

    python tools/test.py configs/nyu/stage2_joint.py \
        work_dirs/nyu/stage2_joint/iter_10000.pth --out results/stage2 \
        --show-dir results/stage2/figures --show-num 20

writes ``results/stage2/metrics.json``, ``report.md`` and ``report.csv`` and the
Fig. 2 / Fig. 3 panels of the first 20 test images. See docs/evaluation.md.
"""
from __future__ import annotations

import argparse
import os
import os.path as osp
import sys

from mmengine.config import Config, DictAction
from mmengine.dist import is_main_process
from mmengine.runner import Runner


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line arguments (mmseg's tools/test.py plus --out/--show-num)."""
    parser = argparse.ArgumentParser(
        description='Test a jointdepthseg model and write the Table 2 / '
        'Table 3 report')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir',
        help='folder for logs; default ./work_dirs/<config name>')
    parser.add_argument(
        '--out',
        help='folder for metrics.json, report.md and report.csv')
    parser.add_argument(
        '--show-dir',
        help='folder for the Fig. 2 / Fig. 3 panels of the test images')
    parser.add_argument(
        '--show-num',
        type=int,
        default=None,
        help='with --show-dir: draw only the first N test images '
        '(default: all)')
    parser.add_argument(
        '--show-scale',
        type=float,
        default=None,
        help='with --show-dir: figure pixels per image pixel (default: '
        "the hook's 0.5, for 480x640 images; use 2 for 120x160)")
    parser.add_argument(
        '--name',
        default=None,
        help='run name shown in the report (default: the config name)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value pairs, e.g. '
        'test_dataloader.dataset.data_root=data/nyu')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed.launch passes --local-rank (torch>=2.0) or
    # --local_rank (older).
    parser.add_argument(
        '--local_rank', '--local-rank', type=int, default=0,
        help='set by the distributed launcher')
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def check_inputs(args: argparse.Namespace) -> None:
    """Exit with one line if the config or checkpoint does not exist."""
    if not osp.isfile(args.config):
        sys.exit(f'error: config file not found: {args.config}')
    if not osp.isfile(args.checkpoint):
        sys.exit(f'error: checkpoint file not found: {args.checkpoint}')
    if args.show_num is not None and args.show_num < 0:
        sys.exit(f'error: --show-num must be >= 0, got {args.show_num}')


def build_config(args: argparse.Namespace) -> Config:
    """The config with the command-line settings applied."""
    # registers the jointdepthseg:: config scope (configs inheriting ours
    # from the installed package) before the config is read
    import jointdepthseg  # noqa: F401
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    if args.show_dir:
        hooks = list(cfg.get('custom_hooks', None) or [])
        hook = dict(type='JointVisualizationHook', out_dir=args.show_dir,
                    max_images=args.show_num)
        if args.show_scale is not None:
            hook['scale'] = args.show_scale
        hooks.append(hook)
        cfg.custom_hooks = hooks
    return cfg


def build_runner(cfg: Config) -> Runner:
    """``RUNNERS.build`` if the config names a runner type, else Runner."""
    if 'runner_type' in cfg:
        from mmseg.registry import RUNNERS
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def main(argv=None) -> dict:
    """Test, then (rank 0) write the report; returns the metrics."""
    args = parse_args(argv)
    check_inputs(args)
    import jointdepthseg  # noqa: F401  registers the components
    from jointdepthseg.evaluation.reports import (run_report_markdown,
                                                  write_run_report)
    cfg = build_config(args)
    runner = build_runner(cfg)
    metrics = runner.test()
    if is_main_process():
        name = args.name or osp.splitext(osp.basename(args.config))[0]
        if args.out:
            data_root = cfg.test_dataloader.dataset.get('data_root')
            paths = write_run_report(args.out, metrics, name, data_root)
            print(f'wrote {paths["json"]}, {paths["markdown"]} and '
                  f'{paths["csv"]}')
        else:
            print(run_report_markdown(metrics, name))
    return metrics


if __name__ == '__main__':
    main()
