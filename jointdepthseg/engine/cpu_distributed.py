"""Distributed training on machines without CUDA, through mmengine's launcher.

mmengine 0.10.7's ``init_dist(launcher='pytorch')`` calls
``torch.cuda.set_device(LOCAL_RANK)`` before it creates the process group,
and its ``Runner.wrap_model`` hands ``device_ids=[LOCAL_RANK]`` to
``DistributedDataParallel``; both fail when there is no GPU (DDP takes
``device_ids=None`` for CPU modules). :class:`SafeResumeRunner` uses the two
functions below instead when CUDA is unavailable, so

    torchrun --nproc_per_node=2 tools/train.py CONFIG --launcher pytorch \\
        --cfg-options env_cfg.dist_cfg.backend=gloo

trains on CPU exactly as it does on GPUs (used by tests and CPU clusters).
"""
from __future__ import annotations

import datetime

import torch.distributed as torch_dist

#: Process-group backends that work without CUDA.
CPU_BACKENDS = ('gloo', 'mpi')


def init_cpu_process_group(launcher: str, dist_cfg: dict) -> bool:
    """Creates the default process group from torchrun's environment.

    Args:
        launcher: the runner's launcher; only ``'pytorch'`` (torchrun, which
            sets RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT) is supported.
        dist_cfg: ``env_cfg.dist_cfg``: ``backend`` (must be 'gloo' or 'mpi'),
            optional ``timeout`` in seconds and other keyword arguments of
            ``torch.distributed.init_process_group``.

    Returns:
        True if it created the group, False if one already existed.

    Raises:
        ValueError: another launcher, or a backend that needs CUDA (naming
            the setting to change).
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        return False
    if launcher != 'pytorch':
        raise ValueError(
            f'launcher {launcher!r} needs CUDA in mmengine; without a GPU '
            "use torchrun with '--launcher pytorch'")
    kwargs = dict(dist_cfg)
    backend = kwargs.pop('backend', 'nccl')
    if backend not in CPU_BACKENDS:
        raise ValueError(
            f'env_cfg.dist_cfg.backend={backend!r} needs CUDA; without a GPU '
            f'set it to one of {CPU_BACKENDS}, e.g. --cfg-options '
            'env_cfg.dist_cfg.backend=gloo')
    if kwargs.get('timeout') is not None:
        kwargs['timeout'] = datetime.timedelta(seconds=kwargs['timeout'])
    torch_dist.init_process_group(backend=backend, init_method='env://',
                                  **kwargs)
    return True


def cpu_model_wrapper_cfg(find_unused_parameters: bool = False) -> dict:
    """mmengine's DDP wrapper config for a model on CPU (``device_ids=None``).

    Args:
        find_unused_parameters: as the config's ``find_unused_parameters``.
    """
    return dict(type='MMDistributedDataParallel', device_ids=None,
                broadcast_buffers=False,
                find_unused_parameters=find_unused_parameters)
