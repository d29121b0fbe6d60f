"""One stage's config, the reuse of finished work, and failures as one
line (no training here; the demo test trains)."""
import json
import os.path as osp

import pytest

from tools.experiments.stage_runner import (DONE_FILE, RunSettings,
                                            StageFailed, finished_checkpoint,
                                            run_stage, stage_config)
from tools.experiments.stages import DEMO_STAGES, Stage

STAGES = {stage.name: stage for stage in DEMO_STAGES}


def settings(tmp_path, **kwargs):
    return RunSettings(str(tmp_path / 'out'), str(tmp_path / 'data'),
                       seed=3, **kwargs)


def test_stage_config_follows_the_stage_table(tmp_path):
    run = settings(tmp_path, iters_scale=0.02, show_num=2)
    # stage2_joint's config names stage 1's default work_dir for hand runs;
    # the demo's load_from is what the stage table gives
    cfg = stage_config(STAGES['stage2_joint'], run, '/parent/iter_12.pth')
    assert cfg.load_from == '/parent/iter_12.pth'
    assert stage_config(STAGES['stage1_sem'], run, None).load_from is None
    assert cfg.work_dir == osp.join(run.out, 'work', 'stage2_joint')
    for loader in ('train_dataloader', 'test_dataloader'):
        assert cfg[loader].dataset.data_root == run.data_root
    assert cfg.randomness.seed == 3
    assert cfg.train_cfg.max_iters == 6 and cfg.param_scheduler[0].end == 6
    # no validation at the end of training: the test follows
    assert cfg.val_dataloader is None and cfg.val_cfg is None
    hook = cfg.custom_hooks[-1]
    assert hook == dict(type='JointVisualizationHook',
                        out_dir=osp.join(run.out, 'figures', 'stage2_joint'),
                        max_images=2, scale=2.0)
    other = stage_config(STAGES['stage2_joint'], run, None)
    assert other.experiment_name != cfg.experiment_name  # own instances


def test_only_a_marked_training_is_finished(tmp_path):
    run = settings(tmp_path, iters_scale=0.02)
    stage = STAGES['stage3_crf']  # 80 iterations -> 2
    folder = tmp_path / 'out' / 'work' / 'stage3_crf'
    folder.mkdir(parents=True)
    (folder / 'iter_2.pth').write_bytes(b'half written')
    assert finished_checkpoint(stage, run) is None  # no marker
    marker = folder / DONE_FILE
    marker.write_text(json.dumps(dict(checkpoint='iter_2.pth', iters=2,
                                      parent='stage2_joint')))
    assert finished_checkpoint(stage, run) == str(folder / 'iter_2.pth')
    assert finished_checkpoint(stage, settings(tmp_path)) is None  # 80 its
    marker.write_text(json.dumps(dict(checkpoint='iter_2.pth', iters=2,
                                      parent='stage1_sem')))
    assert finished_checkpoint(stage, run) is None  # another start
    marker.write_text('{')
    assert finished_checkpoint(stage, run) is None


def test_finished_stage_is_not_run_again(tmp_path, monkeypatch):
    run = settings(tmp_path)
    stage = STAGES['stage1_sem']
    folder = tmp_path / 'out' / 'work' / 'stage1_sem'
    folder.mkdir(parents=True)
    (folder / 'iter_600.pth').write_bytes(b'')
    (folder / DONE_FILE).write_text(json.dumps(dict(
        checkpoint='iter_600.pth', iters=600, parent=None)))
    results = tmp_path / 'out' / 'results' / 'stage1_sem'
    results.mkdir(parents=True)
    (results / 'metrics.json').write_text('{}')
    import tools.experiments.stage_runner as stage_runner
    monkeypatch.setattr(stage_runner, 'build_runner', pytest.fail)
    result = run_stage(stage, run, None, log=lambda line: None)
    assert (result.trained, result.tested) == (False, False)
    assert result.checkpoint == str(folder / 'iter_600.pth')


def test_failing_stage_says_which_why_and_where(tmp_path):
    """Training on a data root without images: one line naming the stage,
    the step and the log, which holds the traceback."""
    (tmp_path / 'data').mkdir()
    stage = Stage('empty_rooms', 'configs/synthetic/stage1_sem.py', None,
                  'Unary-Sem')
    with pytest.raises(StageFailed) as info:
        run_stage(stage, settings(tmp_path, iters_scale=0.01), None,
                  log=lambda line: None)
    message = str(info.value)
    assert message.startswith('stage empty_rooms failed while training: ')
    assert '\n' not in message
    assert info.value.log_path is not None
    assert message.endswith(f'(log: {info.value.log_path})')
    assert 'Traceback' in open(info.value.log_path).read()
    assert not (tmp_path / 'out' / 'work' / 'empty_rooms' / DONE_FILE
                ).exists()


def test_unreadable_config_fails_before_any_runner(tmp_path):
    stage = Stage('nowhere', str(tmp_path / 'missing.py'), None, 'X')
    with pytest.raises(StageFailed, match=r'^stage nowhere failed while '
                       r'reading its config: .*\(no log: it failed before '
                       r'its runner started\)$'):
        run_stage(stage, settings(tmp_path), None, log=lambda line: None)
