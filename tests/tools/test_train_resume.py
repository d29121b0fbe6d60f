"""tools/train.py end to end: a run killed after its first checkpoint resumes
at the right iteration with the same optimizer state (torch >= 2.6 safe load)."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from jointdepthseg.engine import checkpoint_safe_globals
from tests.helpers.tiny_data import write_tiny_dataset
from tests.helpers.tiny_train_config import ROOT, write_tiny_config


def run_train(config, work_dir, tmp_path, *extra):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), ROOT]),
               OMP_NUM_THREADS='1')
    return subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'train.py'), config,
         '--work-dir', str(work_dir), *extra],
        env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_killed_run_resumes_with_same_iteration_and_optimizer(tmp_path):
    data_root = write_tiny_dataset(tmp_path / 'data', num_train=4,
                                   num_test=1, size=(36, 40))
    work_dir = tmp_path / 'work'
    config = write_tiny_config(tmp_path, data_root, max_iters=6, extra='''
        custom_hooks = [dict(type='KillAfterIterHook', kill_at=3)]
    ''')
    first = run_train(config, work_dir, tmp_path)
    assert first.returncode == -9, first.stderr[-3000:]  # SIGKILL
    assert osp.isfile(work_dir / 'iter_2.pth')
    assert not osp.exists(work_dir / 'iter_4.pth')

    # the checkpoint holds plain data: torch's safe loader takes it with
    # nothing allowed beyond numpy's array reconstruction
    with checkpoint_safe_globals():
        saved = torch.load(work_dir / 'iter_2.pth', weights_only=True)
    assert saved['meta']['iter'] == 2

    config = write_tiny_config(tmp_path, data_root, max_iters=6, extra='''
        custom_hooks = [dict(type='RecordResumeHook')]
    ''')
    second = run_train(config, work_dir, tmp_path, '--resume')
    assert second.returncode == 0, second.stderr[-3000:]
    log = second.stdout + second.stderr
    assert 'resumed' in log.lower() and 'iter_2.pth' in log

    resumed = torch.load(work_dir / 'resumed_state.pth', weights_only=True)
    assert resumed['iter'] == 2
    saved_state = saved['optimizer']['state']
    assert saved_state, 'SGD with momentum keeps a buffer per parameter'
    resumed_state = resumed['optimizer']['state']
    assert saved_state.keys() == resumed_state.keys()
    for key in saved_state:
        torch.testing.assert_close(resumed_state[key]['momentum_buffer'],
                                   saved_state[key]['momentum_buffer'])
    assert resumed['optimizer']['param_groups'][0]['lr'] == \
        saved['optimizer']['param_groups'][0]['lr']

    with checkpoint_safe_globals():
        final = torch.load(work_dir / 'iter_6.pth', weights_only=True)
    assert final['meta']['iter'] == 6
