"""A killed and resumed run ends exactly where an uninterrupted one does.

tools/train.py twice from the same config and seed (InfiniteSampler with a
fixed seed, so the same data order): one run straight to iteration 6, one
SIGKILLed after iteration 3 (its last checkpoint is iteration 2) and resumed
with ``--resume``.  Their final checkpoints must hold the same weights,
optimizer state (momentum buffers, learning rate), parameter-scheduler
state and mmengine message-hub history (every logged loss, learning rate and
iteration count; only the wall-clock times differ).
"""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from jointdepthseg.engine import checkpoint_safe_globals
from tests.helpers.tiny_data import write_tiny_dataset
from tests.helpers.tiny_train_config import ROOT, write_tiny_config

MAX_ITERS = 6
KILL_AT = 3     # the process dies after this iteration, before its save
# Logged scalars that measure wall-clock time (they legitimately differ).
TIMING_KEYS = ('train/time', 'train/data_time')
# Runtime info that names the run (the config text with its paths, the
# timestamped experiment name, the work dir's checkpoint path).
RUN_SPECIFIC_INFO = ('cfg', 'experiment_name', 'last_ckpt')


def start_train(config_dir, work_dir, *extra):
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1',
               PYTHONPATH=os.pathsep.join([str(config_dir), ROOT]))
    return subprocess.Popen(
        [sys.executable, osp.join(ROOT, 'tools', 'train.py'),
         str(config_dir / 'tiny_config.py'), '--work-dir', str(work_dir),
         *extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)


def finish(process):
    log, _ = process.communicate(timeout=300)
    return process.returncode, log


def load(path):
    with checkpoint_safe_globals():
        return torch.load(path, weights_only=True)


def assert_same_nested(actual, expected, where):
    """Tensors equal, numbers equal, containers key by key."""
    if isinstance(expected, torch.Tensor):
        assert isinstance(actual, torch.Tensor), where
        torch.testing.assert_close(actual, expected, rtol=0, atol=0,
                                   msg=where)
    elif isinstance(expected, dict):
        assert set(actual) == set(expected), (where, set(actual),
                                              set(expected))
        for key in expected:
            assert_same_nested(actual[key], expected[key], f'{where}.{key}')
    elif isinstance(expected, (list, tuple)):
        assert len(actual) == len(expected), where
        for index, (a, e) in enumerate(zip(actual, expected)):
            assert_same_nested(a, e, f'{where}[{index}]')
    else:
        assert actual == expected, (where, actual, expected)


@pytest.mark.slow
def test_killed_and_resumed_run_equals_an_uninterrupted_one(tmp_path):
    data_root = write_tiny_dataset(tmp_path / 'data', num_train=4,
                                   num_test=1, size=(36, 40))
    straight_cfg, killed_cfg = tmp_path / 'straight', tmp_path / 'killed'
    straight_cfg.mkdir()
    killed_cfg.mkdir()
    write_tiny_config(straight_cfg, data_root, max_iters=MAX_ITERS)
    write_tiny_config(killed_cfg, data_root, max_iters=MAX_ITERS, extra=f'''
        custom_hooks = [dict(type='KillAfterIterHook', kill_at={KILL_AT})]
    ''')
    straight_dir, resumed_dir = tmp_path / 'straight_run', tmp_path / 'run'
    # the two first runs share the two cores
    straight = start_train(straight_cfg, straight_dir)
    killed = start_train(killed_cfg, resumed_dir)
    code, log = finish(killed)
    assert code == -9, log[-3000:]  # SIGKILL
    assert osp.isfile(resumed_dir / 'iter_2.pth')
    assert not osp.exists(resumed_dir / f'iter_{MAX_ITERS}.pth')
    write_tiny_config(killed_cfg, data_root, max_iters=MAX_ITERS)
    resumed = start_train(killed_cfg, resumed_dir, '--resume')
    code, log = finish(straight)
    assert code == 0, log[-3000:]
    code, log = finish(resumed)
    assert code == 0, log[-3000:]
    assert 'resumed' in log.lower() and 'iter_2.pth' in log

    final = f'iter_{MAX_ITERS}.pth'
    expected, actual = load(straight_dir / final), load(resumed_dir / final)
    assert actual['meta']['iter'] == expected['meta']['iter'] == MAX_ITERS
    assert_same_nested(actual['state_dict'], expected['state_dict'],
                       'state_dict')
    assert expected['optimizer']['state'], 'SGD momentum buffers'
    assert_same_nested(actual['optimizer'], expected['optimizer'],
                       'optimizer')
    assert expected['param_schedulers'], 'the PolyLR state'
    assert_same_nested(actual['param_schedulers'],
                       expected['param_schedulers'], 'param_schedulers')

    hub, expected_hub = actual['message_hub'], expected['message_hub']
    scalars = expected_hub['log_scalars']
    assert {'train/loss', 'train/lr'} <= set(scalars)
    assert set(hub['log_scalars']) == set(scalars)
    for key, buffer in scalars.items():
        got = hub['log_scalars'][key]
        # one entry per iteration, none lost at the kill, none twice
        assert len(got['log_history']) == len(buffer['log_history']) == \
            MAX_ITERS, key
        assert got['count_history'] == buffer['count_history'], key
        if key not in TIMING_KEYS:
            assert got['log_history'] == buffer['log_history'], key
    info, expected_info = hub['runtime_info'], expected_hub['runtime_info']
    assert set(info) == set(expected_info)
    for key in set(expected_info) - set(RUN_SPECIFIC_INFO):
        assert_same_nested(info[key], expected_info[key],
                           f'runtime_info.{key}')
    assert osp.basename(info['last_ckpt']) == final
    assert hub['resumed_keys'] == expected_hub['resumed_keys']
