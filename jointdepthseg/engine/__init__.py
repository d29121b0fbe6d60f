from .cpu_distributed import cpu_model_wrapper_cfg, init_cpu_process_group
from .safe_checkpoint import (checkpoint_safe_globals, decode_message_hub,
                              encode_message_hub)
from .safe_resume_runner import PlainCheckpointHook, SafeResumeRunner

__all__ = [
    'PlainCheckpointHook', 'SafeResumeRunner', 'checkpoint_safe_globals',
    'cpu_model_wrapper_cfg', 'init_cpu_process_group',
    'decode_message_hub', 'encode_message_hub'
]
