"""--iters-scale scales a whole schedule: iterations, PolyLR, intervals."""
import os.path as osp

import pytest
from mmengine.config import Config

from tools.experiments.schedule import scale_schedule, scaled_iters

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))


def stage2():
    return Config.fromfile(osp.join(ROOT, 'configs', 'synthetic',
                                    'stage2_joint.py'))


def test_demo_config_scaled_whole():
    cfg = scale_schedule(stage2(), 0.02)  # 300 iterations -> 6
    assert cfg.train_cfg.max_iters == 6
    assert cfg.param_scheduler[0].end == 6  # PolyLR decays to the end
    assert cfg.param_scheduler[0].begin == 0
    assert cfg.default_hooks.checkpoint.interval == 6  # a final checkpoint
    assert cfg.default_hooks.logger.interval == 1  # 20 * 0.02, at least 1
    assert cfg.train_cfg.val_interval == 6  # 301 * 6 / 300 rounded


def test_scale_one_changes_nothing():
    cfg = stage2()
    assert scale_schedule(stage2(), 1.0).to_dict() == cfg.to_dict()


def test_warmup_and_decay_keep_their_proportions():
    cfg = Config(dict(
        train_cfg=dict(max_iters=1000, val_interval=100),
        param_scheduler=[
            dict(type='LinearLR', begin=0, end=50, by_epoch=False),
            dict(type='PolyLR', begin=50, end=1000, by_epoch=False)],
        default_hooks=dict(checkpoint=dict(interval=250),
                           logger=dict(interval=50))))
    scale_schedule(cfg, 0.1)
    assert cfg.train_cfg.max_iters == 100 and cfg.train_cfg.val_interval == 10
    assert [(s.begin, s.end) for s in cfg.param_scheduler] == [(0, 5),
                                                               (5, 100)]
    assert cfg.default_hooks.checkpoint.interval == 25
    assert cfg.default_hooks.logger.interval == 5
    scale_schedule(cfg, 0.001)  # 100 -> 1: every count at least 1
    assert cfg.train_cfg.max_iters == 1
    assert [(s.begin, s.end) for s in cfg.param_scheduler] == [(0, 1),
                                                               (0, 1)]


def test_refused_scales_and_schedules():
    with pytest.raises(ValueError, match='iters scale must be > 0'):
        scaled_iters(100, 0)
    cfg = Config(dict(train_cfg=dict(max_iters=10),
                      param_scheduler=[dict(type='PolyLR', end=10)]))
    with pytest.raises(ValueError, match='PolyLR is epoch based'):
        scale_schedule(cfg, 0.5)
