from .safe_checkpoint import (checkpoint_safe_globals, decode_message_hub,
                              encode_message_hub)
from .safe_resume_runner import PlainCheckpointHook, SafeResumeRunner

__all__ = [
    'PlainCheckpointHook', 'SafeResumeRunner', 'checkpoint_safe_globals',
    'decode_message_hub', 'encode_message_hub'
]
