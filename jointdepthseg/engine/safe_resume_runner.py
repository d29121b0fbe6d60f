"""An mmengine Runner whose checkpoints save and resume under torch >= 2.6."""
from __future__ import annotations

import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmseg.registry import HOOKS, RUNNERS

from .cpu_distributed import cpu_model_wrapper_cfg, init_cpu_process_group
from .safe_checkpoint import (checkpoint_safe_globals, decode_message_hub,
                              encode_message_hub)


@HOOKS.register_module()
class PlainCheckpointHook(Hook):
    """Stores the message hub as plain data in checkpoints (see
    :mod:`jointdepthseg.engine.safe_checkpoint`) and rebuilds it on load."""

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        encode_message_hub(checkpoint)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        decode_message_hub(checkpoint)


@RUNNERS.register_module()
class SafeResumeRunner(Runner):
    """``Runner`` that keeps torch's safe checkpoint loading on.

    Differences from mmengine's Runner:
    - it always registers :class:`PlainCheckpointHook`, so the checkpoints it
      writes hold only tensors, numbers, strings and containers;
    - ``load_checkpoint`` (used by ``--resume``, ``load_from`` and testing)
      allows numpy's array reconstruction inside the load only;
    - without CUDA, ``--launcher pytorch`` (torchrun) works on CPU with the
      gloo backend (see :mod:`jointdepthseg.engine.cpu_distributed`).

    Use it with ``runner_type = 'SafeResumeRunner'`` in a config.
    """

    def __init__(self, *args, custom_hooks=None, **kwargs):
        custom_hooks = list(custom_hooks or [])
        if not any(_is_plain_checkpoint_hook(hook) for hook in custom_hooks):
            custom_hooks.append(dict(type='PlainCheckpointHook'))
        super().__init__(*args, custom_hooks=custom_hooks, **kwargs)

    def load_checkpoint(self, filename: str, *args, **kwargs) -> dict:
        with checkpoint_safe_globals():
            return super().load_checkpoint(filename, *args, **kwargs)

    def setup_env(self, env_cfg: dict) -> None:
        if self.distributed and not torch.cuda.is_available():
            init_cpu_process_group(self.launcher, env_cfg.get('dist_cfg', {}))
        super().setup_env(env_cfg)

    def wrap_model(self, model_wrapper_cfg, model):
        if (self.distributed and model_wrapper_cfg is None
                and not torch.cuda.is_available()):
            model_wrapper_cfg = cpu_model_wrapper_cfg(
                self.cfg.get('find_unused_parameters', False))
        return super().wrap_model(model_wrapper_cfg, model)

    def _init_model_weights(self) -> None:
        # init_cfg=dict(type='Pretrained', checkpoint=...) loads files too
        with checkpoint_safe_globals():
            super()._init_model_weights()


def _is_plain_checkpoint_hook(hook) -> bool:
    if isinstance(hook, dict):
        return hook.get('type') in ('PlainCheckpointHook', PlainCheckpointHook)
    return isinstance(hook, PlainCheckpointHook)
