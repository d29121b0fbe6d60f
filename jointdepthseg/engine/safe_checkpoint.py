"""Checkpoints that load with torch's safe ``weights_only=True`` unpickler.

torch >= 2.6 loads checkpoints with ``weights_only=True`` by default. mmengine
0.10.7 saves its message hub's ``HistoryBuffer`` objects, whose pickled state
calls ``builtins.getattr`` (to store the bound statistics methods): no safe
loader may allow that, since ``getattr`` reaches any attribute of any object.

Instead of turning safe loading off, we keep the checkpoint plain:
``encode_message_hub`` stores each buffer as lists of floats before saving and
``decode_message_hub`` rebuilds the buffers after loading. Only numpy's array
and scalar reconstruction (pure data) is allow-listed, and only while a
checkpoint is being loaded (``checkpoint_safe_globals``).
"""
from __future__ import annotations

import contextlib

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

_BUFFER_MARK = '__history_buffer__'


def _numpy_safe_globals() -> list:
    """Numpy's data-only reconstruction functions and dtype classes."""
    multiarray = getattr(np, '_core', None) or np.core
    names = [multiarray.multiarray._reconstruct, multiarray.multiarray.scalar,
             np.ndarray, np.dtype]
    names += [type(np.dtype(code)) for code in
              ('bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16',
               'uint32', 'uint64', 'float16', 'float32', 'float64')]
    return names


def checkpoint_safe_globals():
    """Context manager: allow numpy data in ``torch.load(weights_only=True)``.

    Scoped to the ``with`` block; nothing outside it changes.
    """
    if not hasattr(torch.serialization, 'safe_globals'):  # torch < 2.5
        return contextlib.nullcontext()
    return torch.serialization.safe_globals(_numpy_safe_globals())


def encode_message_hub(checkpoint: dict) -> None:
    """In place: HistoryBuffers in ``checkpoint['message_hub']`` -> plain dicts."""
    scalars = checkpoint.get('message_hub', {}).get('log_scalars', {})
    for key, buffer in list(scalars.items()):
        if isinstance(buffer, HistoryBuffer):
            log_history, count_history = buffer.data
            scalars[key] = {
                _BUFFER_MARK: True,
                'log_history': [float(v) for v in log_history],
                'count_history': [float(v) for v in count_history],
                'max_length': int(buffer.max_length),
            }


def decode_message_hub(checkpoint: dict) -> None:
    """In place: the inverse of :func:`encode_message_hub`."""
    scalars = checkpoint.get('message_hub', {}).get('log_scalars', {})
    for key, value in list(scalars.items()):
        if isinstance(value, dict) and value.get(_BUFFER_MARK):
            scalars[key] = HistoryBuffer(value['log_history'],
                                         value['count_history'],
                                         value['max_length'])
