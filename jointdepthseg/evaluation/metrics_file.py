"""``metrics.json``: one test run's evaluator output on disk.

``tools/test.py`` (and the demo) write it, ``tools/make_report.py`` reads
several of them. Metric keys are ``PREFIX/NAME`` as mmengine writes them
(``sem/mIoU``, ``depth/rmse``, ``unary/mIoU``; see
:mod:`jointdepthseg.evaluation.metric_keys`); NaN and infinities are stored
as ``null``. The file also records the test set's ``data_root``
(``metric_keys.DATA_KEY``, not a metric).
"""
from __future__ import annotations

import json
import math
import os.path as osp
from typing import Any, Mapping

from jointdepthseg.fileio import atomic_write_text

METRICS_FILE = 'metrics.json'


def to_json_compatible(value: Any) -> Any:
    """Nested metrics -> plain JSON types; NaN and infinities -> None."""
    if isinstance(value, Mapping):
        return {str(key): to_json_compatible(item)
                for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json_compatible(item) for item in value]
    if hasattr(value, 'tolist'):  # numpy / torch arrays and scalars
        return to_json_compatible(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_metrics_json(path: str, metrics: Mapping[str, Any]) -> None:
    """Write the evaluator's output as JSON (NaN -> null), atomically."""
    atomic_write_text(
        path, json.dumps(to_json_compatible(metrics), indent=2,
                         ensure_ascii=False, allow_nan=False) + '\n')


def read_metrics_json(path: str) -> dict[str, Any]:
    """Read a ``metrics.json`` written by :func:`write_metrics_json`.

    Raises:
        FileNotFoundError: the file does not exist (names it).
        ValueError: it is not a JSON object (names it).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'no metrics file at {path}')
    with open(path, encoding='utf-8') as file:
        try:
            metrics = json.load(file)
        except json.JSONDecodeError as error:
            raise ValueError(f'{path} is not valid JSON: {error}') from error
    if not isinstance(metrics, dict):
        raise ValueError(f'{path} must hold a JSON object of metrics')
    return metrics
