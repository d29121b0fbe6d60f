"""Metric keys -> result rows.

mmengine names every metric ``PREFIX/NAME`` (the evaluator's ``prefix``):
``depth/rmse``, ``sem/mIoU``, ``unary/mIoU`` (a second semantic metric, e.g.
the unaries before the CRF). The ``depth`` and ``sem`` prefixes (and keys
without a prefix) form a run's main row; every other prefix becomes its own
row ``RUN [PREFIX]``.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from .tables import TABLE2_KEYS, TABLE3_KEYS, ResultRow

#: Prefixes merged into a run's main row ('' = keys without prefix).
MAIN_PREFIXES = ('depth', 'sem', '')
#: metrics.json key of the test set's DATA_ROOT (absolute), not a metric.
DATA_KEY = 'data_root'


def split_key(key: str) -> tuple[str, str]:
    """'sem/mIoU' -> ('sem', 'mIoU'); 'mIoU' -> ('', 'mIoU')."""
    prefix, _, name = key.rpartition('/')
    return prefix, name


def metrics_named(metrics: Mapping[str, Any], name: str
                  ) -> dict[str, Any]:
    """``{prefix: value}`` of every key ``PREFIX/name`` (or ``name``)."""
    found = {}
    for key, value in metrics.items():
        prefix, metric = split_key(key)
        if metric == name:
            found[prefix] = value
    return found


def rows_from_metrics(name: str, metrics: Mapping[str, Any],
                      data: Optional[str] = None) -> list[ResultRow]:
    """A run's result rows: the main row, then one per other prefix.

    Args:
        name: the run's name.
        metrics: its metrics.json.
        data: its test data; default: the recorded ``data_root`` (or None).
    """
    data = data if data is not None else metrics.get(DATA_KEY)
    groups: dict[str, dict[str, Optional[float]]] = {}
    for key, value in metrics.items():
        prefix, metric = split_key(key)
        if metric in TABLE2_KEYS or metric in TABLE3_KEYS:
            number = None if value is None else float(value)
            group = '' if prefix in MAIN_PREFIXES else prefix
            groups.setdefault(group, {})[metric] = number
    rows = [ResultRow(name, groups.pop(''), data=data)] \
        if '' in groups else []
    rows += [ResultRow(f'{name} [{prefix}]', values, data=data)
             for prefix, values in groups.items()]
    return rows
