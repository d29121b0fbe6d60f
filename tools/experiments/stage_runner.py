"""One stage trained and tested in this process by mmengine's ``Runner``.

A stage (:class:`.stages.Stage`) becomes a config (:func:`stage_config`:
the data root, the seed, the schedule scaled by ``--iters-scale``, the
parent's checkpoint as ``load_from``, the work dir), one ``Runner`` trains
it and then tests the trained model (no validation at the end of training:
the test right after it is the same evaluation), and the test writes
``results/NAME/{metrics.json,report.md,report.csv}`` and the Fig. 2 / 3
panels in ``figures/NAME/``.

Finished work is reused: training counts as finished only once
``work/NAME/stage_done.json`` names its final checkpoint (written after
``Runner.train`` returned, so a run killed while saving is not mistaken for
a finished one), a test once ``metrics.json`` exists (written last). A
failure raises :class:`StageFailed`: one line naming the stage, what it was
doing, why, and the log holding the traceback.

Several Runners in one process share mmengine's global instances by name:
each run gets its own ``experiment_name`` (logger, message hub, default
scope and visualizer are looked up by it), closes its log file when done
and restores torch's thread count; ``randomness.seed`` seeds every run as
its own process would.
"""
from __future__ import annotations

import gc
import json
import logging
import os.path as osp
import time
import traceback
import uuid
from dataclasses import dataclass
from typing import Callable, Optional

from .schedule import scale_schedule, scaled_iters
from .stages import Stage

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DONE_FILE = 'stage_done.json'
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


@dataclass(frozen=True)
class RunSettings:
    """What every stage of one demo run shares.

    Attributes:
        out: the demo's output folder (``work/``, ``results/``,
            ``figures/`` under it).
        data_root: the dataset's folder.
        seed: ``randomness.seed`` of every stage.
        iters_scale: multiplies every stage's schedule (:mod:`.schedule`).
        show_num: test images drawn as Fig. 2 / 3 panels per stage.
        show_scale: panel pixels per image pixel.
    """

    out: str
    data_root: str
    seed: int = 0
    iters_scale: float = 1.0
    show_num: int = 6
    show_scale: float = 2.0


class StageFailed(RuntimeError):
    """A stage's config, training or test failed; ``str()`` is one line."""

    def __init__(self, stage: str, doing: str, reason: str,
                 log_path: Optional[str]) -> None:
        where = (f'log: {log_path}' if log_path else
                 'no log: it failed before its runner started')
        super().__init__(f'stage {stage} failed while {doing}: {reason} '
                         f'({where})')
        self.stage = stage
        self.log_path = log_path


def work_dir(settings: RunSettings, name: str) -> str:
    return osp.join(settings.out, 'work', name)


def results_dir(settings: RunSettings, name: str) -> str:
    return osp.join(settings.out, 'results', name)


def figures_dir(settings: RunSettings, name: str) -> str:
    return osp.join(settings.out, 'figures', name)


def stage_config(stage: Stage, settings: RunSettings,
                 load_from: Optional[str]):
    """The stage's config as this demo run trains and tests it.

    Args:
        stage: the stage.
        settings: the demo run's settings.
        load_from: the checkpoint the stage starts from: its parent's final
            checkpoint (the stage table decides, not the config's own
            ``load_from``), None for a stage without parent.
    """
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, stage.config))
    for loader in LOADERS:
        cfg[loader].dataset.data_root = settings.data_root
    cfg.randomness = dict(cfg.get('randomness') or {}, seed=settings.seed)
    scale_schedule(cfg, settings.iters_scale)
    cfg.load_from = load_from
    cfg.resume = False
    cfg.work_dir = work_dir(settings, stage.name)
    cfg.experiment_name = f'{stage.name}_{uuid.uuid4().hex[:8]}'
    # no validation after the last iteration (mmengine validates there
    # whatever val_interval says): the test that follows is the same
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.custom_hooks = list(cfg.get('custom_hooks') or []) + [dict(
        type='JointVisualizationHook',
        out_dir=figures_dir(settings, stage.name),
        max_images=settings.show_num, scale=settings.show_scale)]
    return cfg


def final_iters(stage: Stage, settings: RunSettings) -> int:
    """The stage's training iterations after ``--iters-scale``."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, stage.config))
    return scaled_iters(int(cfg.train_cfg.max_iters), settings.iters_scale)


def finished_checkpoint(stage: Stage, settings: RunSettings
                        ) -> Optional[str]:
    """The stage's final checkpoint if its training finished with these
    settings (iterations, parent), else None."""
    folder = work_dir(settings, stage.name)
    try:
        with open(osp.join(folder, DONE_FILE)) as file:
            done = json.load(file)
    except (OSError, ValueError):
        return None
    checkpoint = osp.join(folder, str(done.get('checkpoint')))
    wanted = dict(iters=final_iters(stage, settings), parent=stage.parent)
    if any(done.get(key) != value for key, value in wanted.items()) or \
            not osp.isfile(checkpoint):
        return None
    return checkpoint


def build_runner(cfg):
    """``RUNNERS.build`` if the config names a runner type, else Runner."""
    import jointdepthseg  # noqa: F401  registers the components
    from mmengine.runner import Runner
    from mmseg.registry import RUNNERS
    return RUNNERS.build(cfg) if 'runner_type' in cfg else \
        Runner.from_cfg(cfg)


def log_file(runner) -> str:
    return osp.join(runner.log_dir, f'{runner.timestamp}.log')


def release(runner, threads: int) -> None:
    """Close the run's log file and let its data workers end; restore
    torch's thread count."""
    import torch
    for handler in list(runner.logger.handlers):
        if isinstance(handler, logging.FileHandler):
            handler.close()
            runner.logger.removeHandler(handler)
    torch.set_num_threads(threads)


@dataclass
class StageResult:
    """What :func:`run_stage` did: the final checkpoint, whether it trained
    and tested now (False: reused), and its minutes."""

    checkpoint: str
    trained: bool
    tested: bool
    minutes: float


def run_stage(stage: Stage, settings: RunSettings,
              load_from: Optional[str], reuse: bool = True,
              log: Callable[[str], None] = print) -> StageResult:
    """Train (unless finished) and test (unless tested) one stage.

    Args:
        stage: the stage.
        settings: the demo run's settings.
        load_from: its parent's final checkpoint (None: no parent).
        reuse: reuse finished training and tests; False retrains (e.g. its
            parent was retrained just now).
        log: prints a progress line.

    Raises:
        StageFailed: the config, training or test failed.
    """
    start = time.time()
    checkpoint = finished_checkpoint(stage, settings) if reuse else None
    metrics_file = osp.join(results_dir(settings, stage.name),
                            'metrics.json')
    train = checkpoint is None
    test = train or not osp.isfile(metrics_file)
    if not test:
        log(f'{stage.name}: reusing {checkpoint} and {metrics_file}')
        return StageResult(checkpoint, False, False, 0.0)
    doing, runner = 'reading its config', None
    import torch
    threads = torch.get_num_threads()
    try:
        cfg = stage_config(stage, settings,
                           load_from if train else checkpoint)
        doing = 'building its runner'
        runner = build_runner(cfg)
        if train:
            origin = (f'from {osp.relpath(load_from, settings.out)}'
                      if load_from else 'from its initialisation')
            log(f'{stage.name}: training {cfg.train_cfg.max_iters} '
                f'iterations {origin} (log: {log_file(runner)})')
            doing = 'training'
            runner.train()
            checkpoint = osp.join(cfg.work_dir, f'iter_{runner.iter}.pth')
            if not osp.isfile(checkpoint):
                raise FileNotFoundError(f'no final checkpoint {checkpoint}')
            write_done(stage, settings, checkpoint)
        else:
            log(f'{stage.name}: reusing {checkpoint}; testing')
        doing = 'testing'
        metrics = runner.test()
        from jointdepthseg.evaluation.reports import write_run_report
        write_run_report(results_dir(settings, stage.name), metrics,
                         stage.name, settings.data_root)
    except Exception as error:  # noqa: BLE001 - one line, log has the rest
        path = log_file(runner) if runner is not None else None
        if path is not None:
            with open(path, 'a') as file:
                file.write(traceback.format_exc())
        reason = f'{type(error).__name__}: {error}'.splitlines()[0]
        raise StageFailed(stage.name, doing, reason, path) from error
    finally:
        if runner is not None:
            release(runner, threads)
        del runner
        gc.collect()  # the data loaders' worker processes end with them
    minutes = (time.time() - start) / 60
    log(f'{stage.name}: {"trained and tested" if train else "tested"} in '
        f'{minutes:.1f} min')
    return StageResult(checkpoint, train, True, minutes)


def write_done(stage: Stage, settings: RunSettings, checkpoint: str
               ) -> None:
    """Mark the stage's training finished (after its final checkpoint)."""
    from jointdepthseg.fileio import atomic_write_json
    atomic_write_json(osp.join(work_dir(settings, stage.name), DONE_FILE),
                      dict(checkpoint=osp.basename(checkpoint),
                           iters=final_iters(stage, settings),
                           parent=stage.parent))
