"""Train a jointdepthseg (or any mmseg) model from a config, in the mmseg style.

    python tools/train.py configs/nyu/stage1_sem.py [--work-dir DIR] [--resume]
        [--cfg-options key=value ...] [--launcher pytorch]
"""
from __future__ import annotations

import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='training config file (.py)')
    parser.add_argument('--work-dir',
                        help='folder for logs and checkpoints (default: the '
                        "config's work_dir, else ./work_dirs/CONFIG_NAME)")
    parser.add_argument(
        '--resume', action='store_true',
        help='resume from the latest checkpoint in the work dir')
    parser.add_argument('--amp', action='store_true',
                        help='automatic mixed precision training (GPU)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, default={},
        help='override config values, e.g. train_cfg.max_iters=100')
    parser.add_argument('--launcher',
                        choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher for distributed '
                        'training (torchrun uses pytorch)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0,
                        help='set by torch.distributed.launch')
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def build_config(args: argparse.Namespace) -> Config:
    if not osp.isfile(args.config):
        raise SystemExit(f'error: config file {args.config} not found')
    # registers the jointdepthseg:: config scope (configs inheriting ours
    # from the installed package) before the config is read
    import jointdepthseg  # noqa: F401
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    cfg.resume = args.resume
    return cfg


def check_load_from(cfg: Config, config_path: str) -> None:
    """Exit with one line if the checkpoint the config starts from is a
    local file that does not exist.

    The synthetic and NYU stage configs name their parent stage's final
    checkpoint in the work dir that training the parent by hand uses (e.g.
    configs/synthetic/stage2_joint.py: stage 1's iter_600.pth); without it
    mmengine would fail only after building everything, with a traceback.
    """
    load_from = cfg.get('load_from')
    if load_from and '://' not in load_from and not osp.isfile(load_from):
        raise SystemExit(f'error: load_from {load_from} not found: '
                         f'{config_path} starts from that checkpoint; train '
                         'the stage that writes it first, or pass '
                         '--cfg-options load_from=PATH (load_from=None: '
                         'from scratch)')


def main(argv=None) -> None:
    args = parse_args(argv)
    cfg = build_config(args)
    check_load_from(cfg, args.config)
    # importing jointdepthseg registers its components (and the runner)
    import jointdepthseg  # noqa: F401
    from mmengine.runner import Runner
    from mmseg.registry import RUNNERS

    if 'runner_type' in cfg:
        runner = RUNNERS.build(cfg)
    else:
        runner = Runner.from_cfg(cfg)
    runner.train()


if __name__ == '__main__':
    main()
