"""The CPU path of distributed training: process group from torchrun's
environment, DDP without device ids, clear errors for CUDA-only settings."""
import socket

import pytest
import torch.distributed as dist

from jointdepthseg.engine.cpu_distributed import (cpu_model_wrapper_cfg,
                                                  init_cpu_process_group)


def free_port():
    with socket.socket() as sock:
        sock.bind(('localhost', 0))
        return sock.getsockname()[1]


def test_creates_a_gloo_group_from_the_torchrun_environment(monkeypatch):
    for key, value in dict(RANK='0', WORLD_SIZE='1', MASTER_ADDR='localhost',
                           MASTER_PORT=str(free_port())).items():
        monkeypatch.setenv(key, value)
    assert not dist.is_initialized()
    try:
        assert init_cpu_process_group(
            'pytorch', dict(backend='gloo', timeout=60)) is True
        assert dist.get_backend() == 'gloo' and dist.get_world_size() == 1
        # an existing group is kept
        assert init_cpu_process_group('pytorch', dict(backend='gloo')) is False
    finally:
        dist.destroy_process_group()


@pytest.mark.parametrize('launcher, backend, message', [
    ('pytorch', 'nccl', "backend='nccl' needs CUDA"),
    ('pytorch', None, "backend='nccl' needs CUDA"),  # mmengine's default
    ('slurm', 'gloo', "launcher 'slurm' needs CUDA"),
])
def test_cuda_only_settings_are_refused(launcher, backend, message):
    dist_cfg = {} if backend is None else dict(backend=backend)
    with pytest.raises(ValueError, match=message) as error:
        init_cpu_process_group(launcher, dist_cfg)
    assert 'gloo' in str(error.value) or 'torchrun' in str(error.value)


def test_ddp_wrapper_has_no_device_ids():
    cfg = cpu_model_wrapper_cfg(find_unused_parameters=True)
    assert cfg == dict(type='MMDistributedDataParallel', device_ids=None,
                       broadcast_buffers=False, find_unused_parameters=True)
