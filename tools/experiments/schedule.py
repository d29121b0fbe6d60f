"""``--iters-scale``: one stage's schedule shortened (or lengthened) whole.

Scaling only ``max_iters`` would leave PolyLR's ``end`` at the full length
(the learning rate would stop decaying part way) and a checkpoint interval
that is never reached. :func:`scale_schedule` multiplies every iteration
count of a config by the same ratio: ``train_cfg.max_iters`` and
``val_interval``, the ``begin``/``end`` of every iteration-based parameter
scheduler, and the checkpoint and logger intervals.
"""
from __future__ import annotations

from mmengine.config import Config


def scaled_iters(max_iters: int, scale: float) -> int:
    """``max_iters`` times ``scale``, rounded, at least 1."""
    if not scale > 0:
        raise ValueError(f'iters scale must be > 0, got {scale}')
    return max(1, round(max_iters * scale))


def scale_schedule(cfg: Config, scale: float) -> Config:
    """Scale every iteration count of ``cfg`` in place; returns ``cfg``.

    Every count n becomes ``round(n * iters / max_iters)`` where ``iters``
    is :func:`scaled_iters` (so a count equal to ``max_iters`` becomes
    exactly ``iters``); intervals stay >= 1 and a scheduler's ``end`` stays
    after its ``begin``. ``scale == 1`` changes nothing.

    Raises:
        ValueError: ``scale`` <= 0, or an epoch-based scheduler (the demo's
            configs are iteration based; epochs do not scale this way).
    """
    max_iters = int(cfg.train_cfg.max_iters)
    iters = scaled_iters(max_iters, scale)
    if iters == max_iters:
        return cfg

    def scaled(count: int, minimum: int = 1) -> int:
        return max(minimum, round(count * iters / max_iters))

    cfg.train_cfg.max_iters = iters
    if cfg.train_cfg.get('val_interval') is not None:
        cfg.train_cfg.val_interval = scaled(cfg.train_cfg.val_interval)
    schedulers = cfg.get('param_scheduler') or []
    if isinstance(schedulers, dict):
        schedulers = [schedulers]
    for scheduler in schedulers:
        if scheduler.get('by_epoch', True):
            raise ValueError(f'scale_schedule: {scheduler.get("type")} is '
                             'epoch based; only iteration-based schedules '
                             'scale')
        begin = scaled(scheduler.get('begin', 0), minimum=0)
        scheduler['begin'] = begin
        if 'end' in scheduler:
            scheduler['end'] = scaled(scheduler['end'], minimum=begin + 1)
    for hook in ('checkpoint', 'logger'):
        settings = cfg.get('default_hooks', {}).get(hook)
        if settings is not None and settings.get('interval') is not None:
            settings['interval'] = scaled(settings['interval'])
    return cfg
