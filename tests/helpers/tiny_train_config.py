"""Writes a tiny training config (and test hooks) for tools/train.py tests."""
import os.path as osp
import textwrap

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

HOOKS_MODULE = '''
import json, os, signal

import torch
from mmengine.hooks import Hook

from jointdepthseg.engine import checkpoint_safe_globals
from mmseg.registry import HOOKS


@HOOKS.register_module()
class KillAfterIterHook(Hook):
    """SIGKILLs the process once iteration `kill_at` has run (no cleanup)."""

    def __init__(self, kill_at):
        self.kill_at = kill_at

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if runner.iter + 1 == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)


@HOOKS.register_module()
class RecordResumeHook(Hook):
    """Writes the iteration and optimizer state the run starts from."""

    priority = 'VERY_LOW'

    def before_train(self, runner):
        state = runner.optim_wrapper.state_dict()
        torch.save(dict(iter=runner.iter, optimizer=state),
                   os.path.join(runner.work_dir, 'resumed_state.pth'))
'''


def write_tiny_config(tmp_path, data_root, max_iters=6, extra=''):
    """Returns the config path; hooks module is importable from tmp_path."""
    (tmp_path / 'tiny_test_hooks.py').write_text(HOOKS_MODULE)
    base = osp.join(ROOT, 'configs', 'nyu', 'stage2_joint.py')
    text = textwrap.dedent(f'''
        _base_ = [{base!r}]
        custom_imports = dict(imports=['jointdepthseg', 'tiny_test_hooks'],
                              allow_failed_imports=False)
        channels = [4, 8, 8, 8, 64]
        model = dict(
            data_preprocessor=dict(size=(32, 32)),
            backbone=dict(width_mult=1 / 16),
            decode_head=dict(in_channels=channels),
            depth_head=dict(in_channels=channels))
        train_pipeline = [
            dict(type='LoadImageFromFile'),
            dict(type='LoadNYUAnnotations'),
            dict(type='RandomCrop', crop_size=(32, 32)),
            dict(type='RandomFlip', prob=0.5),
            dict(type='DepthTrainingTarget', max_depth=7.0, bin_size=0.14),
            dict(type='PackSegInputs'),
        ]
        train_dataloader = dict(
            batch_size=2, num_workers=0, persistent_workers=False,
            dataset=dict(data_root={str(data_root)!r},
                         pipeline=train_pipeline))
        val_dataloader = None
        val_evaluator = None
        val_cfg = None
        test_dataloader = None
        test_evaluator = None
        test_cfg = None
        max_iters = {max_iters}
        train_cfg = dict(max_iters=max_iters, val_interval=1000)
        param_scheduler = [dict(type='PolyLR', eta_min=0, power=0.9, begin=0,
                                end=max_iters, by_epoch=False)]
        default_hooks = dict(
            logger=dict(interval=1),
            checkpoint=dict(interval=2, max_keep_ckpts=10))
        load_from = None
        env_cfg = dict(dist_cfg=dict(backend='gloo'))
    ''') + textwrap.dedent(extra)
    path = tmp_path / 'tiny_config.py'
    path.write_text(text)
    return str(path)
