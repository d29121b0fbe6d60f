"""Reading prediction and ground-truth maps out of evaluated data samples."""
from __future__ import annotations

from typing import Any, Mapping

import torch


def sample_map(sample: Any, key: str, metric: str) -> torch.Tensor:
    """The (H, W) map stored under ``key`` of one data sample.

    Args:
        sample: a data sample as mmengine's ``Evaluator`` passes it (a dict
            from ``SegDataSample.to_dict()``) or a ``SegDataSample``.
        key: field name, e.g. ``'pred_depth_map'``; its ``data`` is (1, H, W)
            or (H, W).
        metric: name of the calling metric, for the error message.

    Returns:
        (H, W) tensor.

    Raises:
        KeyError: the field is missing (names the field and the metric).
        ValueError: the map is not (H, W) or (1, H, W).
    """
    if isinstance(sample, Mapping):
        field = sample.get(key)
        data = None if field is None else field['data']
    else:
        field = getattr(sample, key, None)
        data = None if field is None else field.data
    if data is None:
        raise KeyError(
            f'{metric} needs data samples with a {key!r} field; the model '
            f'or dataset did not provide it (see docs/architecture.md)')
    if data.dim() == 3 and data.shape[0] == 1:
        data = data[0]
    if data.dim() != 2:
        raise ValueError(f'{metric}: {key!r} must be (1, H, W) or (H, W), '
                         f'got {tuple(data.shape)}')
    return data


def sample_name(sample: Any) -> str:
    """``img_path`` of a data sample for error messages, or ``'<unknown>'``."""
    if isinstance(sample, Mapping):
        return str(sample.get('img_path', '<unknown>'))
    return str(getattr(sample, 'img_path', '<unknown>'))
