"""``summary.json``: one demo run (one seed) in numbers, and its claims.

``tools/demo.py`` writes one per seed; ``tools/ablation.py`` reduces them
(:mod:`.ablation`). The claims are :data:`.stages.CLAIMS`; the spread and
the "no difference" rule are :mod:`jointdepthseg.evaluation.seed_spread`.

``summary.json`` (all IoUs in percent, ``null`` where a class is absent)::

    {"variant": "depth-cue", "seed": 0,
     "rows": {RUN: report row label, ...},
     "miou": {RUN: mIoU, ...},            # every run
     "unary_miou": {RUN: mIoU, ...},      # runs with a CRF: its unaries
     "depth_only_pairs": [[class_a, class_b], ...],
     "class_iou": {RUN: {CLASS: IoU}},    # the depth-only pairs' classes
     "unary_class_iou": {RUN: {CLASS: IoU}},
     "data_root": DIR,
     "settings": {...}}                   # the demo's options, same per seed
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Optional, Sequence

from .stages import CLAIMS, CRF_STAGES_PRINTED

SUMMARY_FILE = 'summary.json'
#: mIoU field of summary.json -> its per-class field.
CLASS_FIELD = {'miou': 'class_iou', 'unary_miou': 'unary_class_iou'}
#: metrics.json prefix -> summary.json mIoU field.
PREFIX_FIELD = {'sem': 'miou', 'unary': 'unary_miou'}


def depth_only_classes(pairs: Sequence[Sequence[str]]) -> list[str]:
    """The classes of the depth-only pairs, each once, in order."""
    return list(dict.fromkeys(name for pair in pairs for name in pair))


def _percent(value: Any) -> Optional[float]:
    """A finite number, or None (absent class / NaN)."""
    if value is None or not math.isfinite(float(value)):
        return None
    return float(value)


def build_summary(variant: str, seed: int, rows: Mapping[str, str],
                  metrics: Mapping[str, Mapping[str, Any]],
                  depth_only_pairs: Sequence[Sequence[str]]) -> dict:
    """summary.json of one demo run from its runs' metrics.json contents.

    Args:
        variant: synthetic dataset variant (``'rooms'``, ``'depth-cue'``).
        seed: the seed of the data and of training.
        rows: run name -> report row label, in report order.
        metrics: run name -> its metrics.json (``sem/mIoU``,
            ``sem/per_class_iou``; ``unary/...`` for runs with a CRF).
        depth_only_pairs: class-name pairs only depth tells apart.

    Raises:
        ValueError: a run lacks ``sem/mIoU`` or a depth-only class's IoU.
    """
    classes = depth_only_classes(depth_only_pairs)
    summary: dict[str, Any] = dict(
        variant=variant, seed=seed, rows=dict(rows), miou={},
        unary_miou={}, depth_only_pairs=[list(p) for p in depth_only_pairs],
        class_iou={}, unary_class_iou={})
    for run in rows:
        values = metrics[run]
        for prefix, field in PREFIX_FIELD.items():
            if f'{prefix}/mIoU' not in values:
                if prefix == 'sem':
                    raise ValueError(f'run {run}: metrics lack sem/mIoU')
                continue
            summary[field][run] = _percent(values[f'{prefix}/mIoU'])
            per_class = values.get(f'{prefix}/per_class_iou') or {}
            missing = [name for name in classes if name not in per_class]
            if missing:
                raise ValueError(f'run {run}: {prefix}/per_class_iou lacks '
                                 f'{", ".join(missing)}')
            summary[CLASS_FIELD[field]][run] = {
                name: _percent(per_class[name]) for name in classes}
    return summary


def check_summary(summary: Any, variant: str, seed: int, source: str
                  ) -> None:
    """Raise ValueError (naming ``source``) unless it is this seed's."""
    if not isinstance(summary, dict):
        raise ValueError(f'{source} is not a demo summary (not an object)')
    missing = [key for key in ('variant', 'seed', 'rows', 'miou',
                               'depth_only_pairs') if key not in summary]
    if missing:
        raise ValueError(f'{source} is not a demo summary (no '
                         f'{", ".join(missing)})')
    if summary.get('variant') != variant:
        raise ValueError(f'{source} is for variant '
                         f'{summary.get("variant")!r}, not {variant!r}')
    if summary.get('seed') != seed:
        raise ValueError(f'{source} is for seed {summary.get("seed")!r}, '
                         f'not {seed}')


def spread_checks(summary: Mapping[str, Any], ablation: Mapping[str, Any]
                  ) -> list[dict]:
    """One run's claim differences against the ablation's spread.

    Returns:
        Per claim present in both: ``{key, label, difference, spread,
        exceeds}``; ``exceeds`` is ``|difference| > spread`` (the rule of
        ``seed_spread``), None where the ablation has no spread for it.
    """
    spreads = {entry['key']: entry.get('std')
               for entry in ablation.get('differences', [])}
    checks = []
    for claim in CLAIMS:
        (field_a, run_a), (field_b, run_b) = claim.minuend, claim.subtrahend
        a = summary.get(field_a, {}).get(run_a)
        b = summary.get(field_b, {}).get(run_b)
        if a is None or b is None:
            continue
        spread = spreads.get(claim.key)
        checks.append(dict(key=claim.key, label=claim.label,
                           difference=a - b, spread=spread,
                           exceeds=None if spread is None
                           else abs(a - b) > spread))
    return checks


def spread_lines(summary: Mapping[str, Any],
                 ablation: Optional[Mapping[str, Any]]) -> list[str]:
    """One demo run's claims, each against the seed-to-seed spread.

    Args:
        summary: the run's summary.json (``rows``, ``miou``, ``unary_miou``,
            ``class_iou``).
        ablation: ablation.json of the same variant, or None (spread
            unknown: the differences alone).

    Returns:
        One line per claim the run has (difference in mIoU, whether it
        exceeds the spread), then the depth-only classes' IoU of the two
        stage-3 CRFs.
    """
    lines = []
    for check in spread_checks(summary, ablation or {}):
        text = f'{check["label"]}: {check["difference"]:+.1f} mIoU'
        if check['exceeds'] is not None:
            text += (', exceeds' if check['exceeds'] else
                     ', within (no difference):') + \
                f' the seed-to-seed spread {check["spread"]:.1f}'
        lines.append(text)
    for name in CRF_STAGES_PRINTED:
        classes = summary.get('class_iou', {}).get(name, {})
        if name in summary['rows']:
            lines.append(
                f'{summary["rows"][name]}, depth-only classes IoU: ' +
                ', '.join(f'{cls} {iou:.1f}' if iou is not None else
                          f'{cls} -' for cls, iou in classes.items()))
    return lines
