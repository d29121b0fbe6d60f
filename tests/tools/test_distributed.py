"""tools/train.py under torchrun with 2 CPU processes (gloo): each rank sees
different images, yet both end with the same weights (DDP averages the
gradients), and rank 0 writes the checkpoint."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from jointdepthseg.engine import checkpoint_safe_globals
from tests.helpers.tiny_data import write_tiny_dataset
from tests.helpers.tiny_train_config import ROOT, write_tiny_config

RANK_HOOKS_MODULE = '''
import os

import torch
import torch.distributed as dist
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmseg.registry import HOOKS


@HOOKS.register_module()
class RecordRankWeightsHook(Hook):
    """Saves, per rank, the weights before and after training and the
    images of the first iteration."""

    def before_train(self, runner):
        self.initial = self._weights(runner)
        self.first_images = None

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if self.first_images is None:
            self.first_images = [sample.img_path for sample in
                                 data_batch['data_samples']]

    def after_train(self, runner):
        torch.save(dict(rank=dist.get_rank(),
                        world_size=dist.get_world_size(),
                        backend=dist.get_backend(),
                        wrapper=type(runner.model).__name__,
                        first_images=self.first_images,
                        initial=self.initial,
                        final=self._weights(runner)),
                   os.path.join(runner.work_dir,
                                f'rank{dist.get_rank()}_weights.pth'))

    @staticmethod
    def _weights(runner):
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        return {key: value.detach().clone()
                for key, value in model.state_dict().items()}
'''

MAX_ITERS = 3


@pytest.mark.slow
def test_two_cpu_ranks_end_with_the_same_weights(tmp_path):
    data_root = write_tiny_dataset(tmp_path / 'data', num_train=4,
                                   num_test=1, size=(36, 40))
    (tmp_path / 'rank_hooks.py').write_text(RANK_HOOKS_MODULE)
    # the poly schedule reaches lr 0 at max_iters: end it one iteration later
    # so that every recorded iteration updates the weights
    config = write_tiny_config(tmp_path, data_root, max_iters=MAX_ITERS,
                               extra=f'''
        custom_imports = dict(
            imports=['jointdepthseg', 'tiny_test_hooks', 'rank_hooks'],
            allow_failed_imports=False)
        custom_hooks = [dict(type='RecordRankWeightsHook')]
        param_scheduler = [dict(type='PolyLR', eta_min=0, power=0.9, begin=0,
                                end={MAX_ITERS + 1}, by_epoch=False)]
        default_hooks = dict(checkpoint=dict(interval={MAX_ITERS}))
    ''')
    work_dir = tmp_path / 'work'
    # CPU even where GPUs exist: the test is about the gloo/CPU path
    env = dict(os.environ, OMP_NUM_THREADS='1', CUDA_VISIBLE_DEVICES='',
               PYTHONPATH=os.pathsep.join([str(tmp_path), ROOT]))
    result = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
         '--standalone', osp.join(ROOT, 'tools', 'train.py'), config,
         '--work-dir', str(work_dir), '--launcher', 'pytorch'],
        env=env, capture_output=True, text=True, timeout=240, cwd=tmp_path)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]

    ranks = [torch.load(work_dir / f'rank{rank}_weights.pth',
                        weights_only=True) for rank in (0, 1)]
    for rank, record in enumerate(ranks):
        assert record['rank'] == rank and record['world_size'] == 2
        assert record['backend'] == 'gloo'
        assert record['wrapper'] == 'MMDistributedDataParallel'
    # the two ranks trained on different images ...
    assert not set(ranks[0]['first_images']) & set(ranks[1]['first_images'])
    # ... and their weights moved, identically
    final0, final1 = ranks[0]['final'], ranks[1]['final']
    assert final0.keys() == final1.keys()
    moved = 0
    for key in final0:
        assert torch.equal(final0[key], final1[key]), key
        moved += not torch.equal(final0[key], ranks[0]['initial'][key])
    assert moved >= len(final0) // 2, f'only {moved} tensors were trained'

    with checkpoint_safe_globals():
        checkpoint = torch.load(work_dir / f'iter_{MAX_ITERS}.pth',
                                weights_only=True)
    assert checkpoint['meta']['iter'] == MAX_ITERS
    for key, value in checkpoint['state_dict'].items():
        assert torch.equal(value, final0[key]), key
