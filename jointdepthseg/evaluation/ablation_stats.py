"""The demo's results over seeds: summaries, spread, paired differences.

``tools/demo.py`` writes one ``summary.json`` per run of the pipeline (one
seed); ``tools/ablation.py`` reads one per seed and reduces them here. Every
function is pure (no files), so each can be checked against a hand
computation.

``summary.json`` (all IoUs in percent, ``null`` where a class is absent)::

    {"variant": "depth-cue", "seed": 0,
     "rows": {RUN: report row label, ...},
     "miou": {RUN: mIoU, ...},            # every run
     "unary_miou": {RUN: mIoU, ...},      # runs with a CRF: its unaries
     "depth_only_pairs": [[class_a, class_b], ...],
     "class_iou": {RUN: {CLASS: IoU}},    # the depth-only pairs' classes
     "unary_class_iou": {RUN: {CLASS: IoU}},
     "settings": {...}}                   # the demo's options, same per seed

Spread and the "no difference" rule: the spread of a quantity is its sample
standard deviation over seeds (ddof=1). A paired difference
d_s = A_s - B_s (same seed: same data, same initialisation) is reported as a
difference only if ``|mean(d)| > std(d)``, i.e. its mean exceeds the
seed-to-seed spread of the difference itself; otherwise "no difference".
Equivalently the paired t statistic |t| = |mean| / (std / sqrt(n)) exceeds
sqrt(n) (1.73 for 3 seeds, a two-sided p of about 0.22): a screen against
reading noise as an effect, not a significance test. It is the same test the
demo applies to its single run (``|d| > std`` of the ablation's d), so the
two verdicts agree. With fewer than 2 seeds the spread is unknown and the
verdict is "undetermined".
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

SUMMARY_FILE = 'summary.json'
STD_NOTE = 'sample standard deviation over seeds (ddof=1)'
RULE_NOTE = ('a paired difference is a difference only if |mean| > std of '
             'the per-seed differences (ddof=1), i.e. |t| > sqrt(n); '
             'otherwise "no difference"; "undetermined" with fewer than 2 '
             'seeds')
DIFFERENCE, NO_DIFFERENCE, UNDETERMINED = ('difference', 'no difference',
                                           'undetermined')
#: mIoU field of summary.json -> its per-class field.
CLASS_FIELD = {'miou': 'class_iou', 'unary_miou': 'unary_class_iou'}


@dataclass(frozen=True)
class Claim:
    """A paired difference that carries one of the paper's claims.

    Attributes:
        key: name in ablation.json.
        label: how the report names it.
        minuend, subtrahend: ``(field, run)``; field ``'miou'`` (the run's
            output) or ``'unary_miou'`` (its unaries, before the CRF).
    """

    key: str
    label: str
    minuend: tuple[str, str]
    subtrahend: tuple[str, str]


CLAIMS = (
    Claim('depth_in_unaries', 'Unary-Sem+Depth − control (no depth)',
          ('miou', 'stage2_joint'), ('miou', 'stage2_sem_control')),
    Claim('depth_kernel', 'Sem-CRF+ − Sem-CRF',
          ('miou', 'stage3_crf'), ('miou', 'stage3_crf_nodepth')),
    Claim('measured_depth', 'RGB-D Sem-CRF+ − Sem-CRF+',
          ('miou', 'stage3_crf_rgbd'), ('miou', 'stage3_crf')),
    Claim('crf_nodepth_over_unaries', 'Sem-CRF − its unaries',
          ('miou', 'stage3_crf_nodepth'),
          ('unary_miou', 'stage3_crf_nodepth')),
    Claim('crf_over_unaries', 'Sem-CRF+ − its unaries',
          ('miou', 'stage3_crf'), ('unary_miou', 'stage3_crf')),
    Claim('crf_rgbd_over_unaries', 'RGB-D Sem-CRF+ − its unaries',
          ('miou', 'stage3_crf_rgbd'), ('unary_miou', 'stage3_crf_rgbd')),
)


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
        for prefix, field in (('sem', 'miou'), ('unary', 'unary_miou')):
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


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1); std NaN for n < 2."""
    n = len(values)
    if n == 0:
        return math.nan, math.nan
    mean = math.fsum(values) / n
    if n < 2:
        return mean, math.nan
    return mean, math.sqrt(math.fsum((v - mean)**2 for v in values) / (n - 1))


def verdict(mean: float, std: float, n: int) -> str:
    """The module's rule: a difference only if |mean| > std (n >= 2)."""
    if n < 2 or not math.isfinite(std):
        return UNDETERMINED
    return DIFFERENCE if abs(mean) > std else NO_DIFFERENCE


def stat(per_seed: Mapping[int, Optional[float]]) -> dict:
    """{per_seed, mean, std, n} over the seeds with a value."""
    values = [v for v in per_seed.values() if v is not None]
    mean, std = mean_std(values)
    return dict(per_seed={str(s): v for s, v in per_seed.items()},
                mean=_json_number(mean), std=_json_number(std),
                n=len(values))


def paired_stat(a: Mapping[int, Optional[float]],
                b: Mapping[int, Optional[float]]) -> dict:
    """Statistics of d_s = a_s - b_s over the seeds where both exist."""
    diffs = {s: a[s] - b[s] for s in a
             if s in b and a[s] is not None and b[s] is not None}
    result = stat(diffs)
    result['positive_seeds'] = sum(d > 0 for d in diffs.values())
    result['verdict'] = verdict(*mean_std(list(diffs.values())), len(diffs))
    return result


def _json_number(value: float) -> Optional[float]:
    return value if math.isfinite(value) else None


def _per_seed(summaries: Mapping[int, dict], field: str, run: str,
              name: Optional[str] = None) -> dict[int, Optional[float]]:
    """seed -> summary[field][run] (or [run][name]) for the seeds having it.
    """
    values = {}
    for seed, summary in summaries.items():
        entry = summary.get(field, {}).get(run)
        if name is not None:
            entry = None if entry is None else entry.get(name)
        if run in summary.get(field, {}):
            values[seed] = entry
    return values


def aggregate(summaries: Mapping[int, dict]) -> dict:
    """ablation.json: every row's and every claim's statistics over seeds.

    Args:
        summaries: seed -> that seed's summary.json (one variant).

    Raises:
        ValueError: no summaries, mixed variants, or seeds whose depth-only
            pairs differ.
    """
    if not summaries:
        raise ValueError('no seed summaries to aggregate')
    seeds = sorted(summaries)
    first = summaries[seeds[0]]
    for seed in seeds:
        summary = summaries[seed]
        if summary['variant'] != first['variant']:
            raise ValueError(f'seed {seed} is variant {summary["variant"]!r}'
                             f', seed {seeds[0]} {first["variant"]!r}')
        if summary['depth_only_pairs'] != first['depth_only_pairs']:
            raise ValueError(f'seed {seed} has other depth-only pairs than '
                             f'seed {seeds[0]}')
        settings, first_settings = (summary.get('settings', {}),
                                    first.get('settings', {}))
        if settings != first_settings:
            changed = ', '.join(
                f'{key} {first_settings.get(key)!r} vs {settings.get(key)!r}'
                for key in sorted(set(settings) | set(first_settings))
                if settings.get(key) != first_settings.get(key))
            raise ValueError(f'seed {seed} was run with other demo settings '
                             f'than seed {seeds[0]} ({changed})')
    labels: dict[str, str] = {}
    for seed in seeds:
        labels.update({run: label for run, label in
                       summaries[seed]['rows'].items() if run not in labels})
    classes = depth_only_classes(first['depth_only_pairs'])
    rows, class_rows = [], []
    for run, label in labels.items():
        for field in ('miou', 'unary_miou'):
            if not any(run in s.get(field, {}) for s in summaries.values()):
                continue
            row_label = label + (' [unaries]' if field == 'unary_miou'
                                 else '')
            rows.append(dict(run=run, field=field, label=row_label,
                             **stat(_per_seed(summaries, field, run))))
            class_rows.append(dict(run=run, field=field, label=row_label,
                                   classes={name: stat(_per_seed(
                                       summaries, CLASS_FIELD[field], run,
                                       name)) for name in classes}))
    differences, class_differences = [], []
    for claim in CLAIMS:
        (field_a, run_a), (field_b, run_b) = claim.minuend, claim.subtrahend
        a = _per_seed(summaries, field_a, run_a)
        b = _per_seed(summaries, field_b, run_b)
        if not a or not b:
            continue  # a run this ablation did not have
        differences.append(dict(key=claim.key, label=claim.label,
                                minuend=f'{field_a}/{run_a}',
                                subtrahend=f'{field_b}/{run_b}',
                                **paired_stat(a, b)))
        class_differences.append(dict(key=claim.key, label=claim.label,
                                      classes={name: paired_stat(
            _per_seed(summaries, CLASS_FIELD[field_a], run_a, name),
            _per_seed(summaries, CLASS_FIELD[field_b], run_b, name))
            for name in classes}))
    return dict(variant=first['variant'], seeds=seeds, unit='IoU, percent',
                settings=first.get('settings', {}), std=STD_NOTE,
                rule=RULE_NOTE,
                depth_only_pairs=first['depth_only_pairs'],
                depth_only_classes=classes, rows=rows,
                differences=differences, class_rows=class_rows,
                class_differences=class_differences)


def spread_checks(summary: Mapping[str, Any], ablation: Mapping[str, Any]
                  ) -> list[dict]:
    """One run's claim differences against the ablation's spread.

    Returns:
        Per claim present in both: ``{key, label, difference, spread,
        exceeds}``; ``exceeds`` is ``|difference| > spread`` (the module's
        rule), None where the ablation has no spread for it.
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
