"""metrics.json, report.md and report.csv of one run, and run comparisons.

``tools/test.py`` writes, for one run, ``metrics.json`` (the evaluator's
output, NaN as ``null``), ``report.md`` (Table 2, Table 3, per-class IoU)
and ``report.csv``. ``tools/make_report.py`` reads several ``metrics.json``
files and puts the runs side by side, optionally next to the paper's quoted
rows and with the multi-task gain Delta_m over a baseline.

Metric keys are ``PREFIX/NAME`` as mmengine writes them (see
``docs/evaluation.md``): the ``depth`` and ``sem`` prefixes form a run's
main row; any other prefix (e.g. ``unary`` for the CRF-less unaries) becomes
its own row ``RUN [PREFIX]``. ``metrics.json`` also records the test set's
``data_root`` (not a metric): Delta_m compares only rows on the same data,
and the paper's quoted rows are on NYUDepth v2 (``PAPER_DATA``).
"""
from __future__ import annotations

import json
import math
import os
import os.path as osp
import tempfile
from typing import Any, Mapping, Optional, Sequence

from .paper_results import PAPER_CITATION, TABLE2_QUOTED, TABLE3_QUOTED
from .tables import (TABLE2_KEYS, TABLE3_KEYS, ResultRow, gains_markdown,
                     gains_over, markdown_table, rows_csv,
                     rows_on_other_data, table2_markdown, table3_markdown)

#: Prefixes merged into a run's main row ('' = keys without prefix).
MAIN_PREFIXES = ('depth', 'sem', '')
METRICS_FILE = 'metrics.json'
#: metrics.json key of the test set's DATA_ROOT (absolute), not a metric.
DATA_KEY = 'data_root'
#: The test data of the paper's quoted rows.
PAPER_DATA = 'NYUDepth v2'


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


def atomic_write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and a rename."""
    folder = osp.dirname(path) or '.'
    os.makedirs(folder, exist_ok=True)
    handle, tmp_path = tempfile.mkstemp(
        dir=folder, prefix='.' + osp.basename(path), suffix='.tmp')
    try:
        with os.fdopen(handle, 'w', encoding='utf-8') as file:
            file.write(text)
        os.replace(tmp_path, path)
    except BaseException:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise


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


def _split_key(key: str) -> tuple[str, str]:
    """'sem/mIoU' -> ('sem', 'mIoU'); 'mIoU' -> ('', 'mIoU')."""
    prefix, _, name = key.rpartition('/')
    return prefix, name


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
        prefix, metric = _split_key(key)
        if metric in TABLE2_KEYS or metric in TABLE3_KEYS:
            number = None if value is None else float(value)
            group = '' if prefix in MAIN_PREFIXES else prefix
            groups.setdefault(group, {})[metric] = number
    rows = [ResultRow(name, groups.pop(''), data=data)] \
        if '' in groups else []
    rows += [ResultRow(f'{name} [{prefix}]', values, data=data)
             for prefix, values in groups.items()]
    return rows


def paper_rows() -> list[ResultRow]:
    """The paper's Table 2 and Table 3 rows, marked as quoted."""
    rows = []
    for entry in TABLE2_QUOTED + TABLE3_QUOTED:
        extra = {'input': entry['input']} if 'input' in entry else {}
        rows.append(
            ResultRow(entry['name'], dict(entry['values']),
                      quoted=f'{PAPER_CITATION}, {entry["table"]}',
                      extra=extra, data=PAPER_DATA))
    return rows


def depth_conventions(metrics: Mapping[str, Any]) -> list[str]:
    """One sentence per depth metric saying how it was computed."""
    sentences = []
    for key, value in metrics.items():
        prefix, metric = _split_key(key)
        if metric != 'conventions' or not isinstance(value, Mapping):
            continue
        how = ('averaged per image' if value.get('average') == 'image' else
               'pooled over all pixels')
        crop = 'inside' if value.get('eigen_crop') else 'without'
        sentences.append(
            f'`{prefix or "depth"}`: {how} over {value.get("num_images")} '
            f'images ({value.get("num_pixels")} valid pixels; '
            f'{value.get("num_images_without_valid_depth")} images without '
            f'valid depth left out), ground truth d* = the test pipeline\'s '
            "depth map (depths/ in our configs: NYU's in-painted maps, as "
            'Eigen et al.; the NYU configs train on the raw Kinect depth, '
            f'holes ignored) with {value.get("min_depth_m")} '
            f'm < d* < {value.get("max_depth_m")} m, predictions clamped to '
            f'that range, {crop} the Eigen crop [45:471, 41:601]; '
            'rmse_log_si = sqrt(mean((g - mean g)²)), g = log d - log d*, '
            'per image.')
    return sentences


def per_class_iou_markdown(metrics: Mapping[str, Any]) -> Optional[str]:
    """Per-class IoU (%) table, one column per semantic prefix, or None."""
    columns = {}
    for key, value in metrics.items():
        prefix, metric = _split_key(key)
        if metric == 'per_class_iou' and isinstance(value, Mapping):
            columns[prefix or 'sem'] = value
    if not columns:
        return None
    classes = list(next(iter(columns.values())))
    body = [[name, *(_percent(column.get(name)) for column in
                     columns.values())] for name in classes]
    return markdown_table(['Class', *(f'IoU (%) [{prefix}]'
                                      for prefix in columns)],
                          body, ['l'] + ['r'] * len(columns))


def _percent(value: Optional[float]) -> str:
    """Two decimals, or '-' for absent classes."""
    return '-' if value is None or not math.isfinite(value) else \
        f'{value:.2f}'


def comparison_markdown(rows: Sequence[ResultRow],
                        conventions: Sequence[str] = (),
                        baseline: Optional[str] = None,
                        title: str = 'Evaluation') -> str:
    """Markdown with Table 2, Table 3 and, with a baseline, Delta_m."""
    parts = [f'# {title}', '']
    if any(row.has_any(TABLE2_KEYS) for row in rows):
        parts += ['## Table 2: depth estimation', '',
                  table2_markdown(rows), '']
        parts += [f'- {sentence}' for sentence in conventions]
        parts += ['- δ and relative differences are fractions, RMSE '
                  '(linear) is in metres, log RMSEs in natural-log units.', '']
    if any(row.has_any(TABLE3_KEYS) for row in rows):
        parts += ['## Table 3: semantic segmentation', '',
                  table3_markdown(rows), '',
                  '- Scores from one confusion matrix over the test set; '
                  'classes whose score is 0/0 are left out of the means.', '']
    if baseline is not None:
        parts += [f'## Multi-task gain Δm over {baseline}', '',
                  gains_markdown(rows, baseline), '',
                  '- Δm = 100/T Σᵢ sᵢ (Mᵢ − Bᵢ)/Bᵢ over the T metrics of '
                  'Tables 2 and 3 that both rows report; sᵢ = +1 where higher '
                  'is better, −1 where lower is better (Maninis et al., CVPR '
                  '2019; Vandenhende et al., TPAMI 2021).',
                  *data_notes(rows, baseline), '']
    if any(row.quoted for row in rows):
        parts += [f'Rows marked *(quoted)* are copied from {PAPER_CITATION}, '
                  'not computed here.', '']
    return '\n'.join(parts)


def data_notes(rows: Sequence[ResultRow], baseline: str) -> list[str]:
    """Lines saying which rows Delta_m compares and which it leaves out."""
    base = next(row for row in rows if row.name == baseline)
    notes = [f'- Δm only between rows on the same test data as {baseline} '
             f'({base.data or "not recorded"}).']
    others: dict[Optional[str], list[ResultRow]] = {}
    for row in rows_on_other_data(rows, baseline):
        others.setdefault(row.data, []).append(row)
    for data, group in others.items():
        if data == PAPER_DATA and all(row.quoted for row in group):
            notes.append("- No Δm for the paper's quoted rows, shown for "
                         f'reference only: they are on {PAPER_DATA}.')
        elif data is None:
            notes.append(f'- No Δm for {", ".join(r.name for r in group)}: '
                         'metrics.json records no test data (make_report.py'
                         ' --data LABEL names it).')
        else:
            notes.append(f'- No Δm for {", ".join(r.name for r in group)}: '
                         f'tested on {data}.')
    if base.data is None and any(row.data is None and row.name != baseline
                                 for row in rows):
        notes.append('- The runs without recorded test data are assumed to '
                     'share one data set (make_report.py --data LABEL names '
                     'it).')
    return notes


def run_report_markdown(metrics: Mapping[str, Any],
                        name: str = 'this run') -> str:
    """report.md of one run: Table 2, Table 3 and per-class IoU."""
    text = comparison_markdown(rows_from_metrics(name, metrics),
                               depth_conventions(metrics),
                               title=f'Evaluation of {name}')
    per_class = per_class_iou_markdown(metrics)
    if per_class is not None:
        text += '\n'.join(['', '## Per-class IoU', '', per_class, '',
                           '- `-`: class absent from both ground truth and '
                           'prediction.', ''])
    return text


def write_run_report(out_dir: str, metrics: Mapping[str, Any],
                     name: str = 'this run',
                     data_root: Optional[str] = None) -> dict[str, str]:
    """Write metrics.json, report.md and report.csv of one run.

    Args:
        out_dir: folder to write into.
        metrics: the evaluator's output.
        name: the run's name in the report.
        data_root: the test set's DATA_ROOT, recorded in metrics.json as
            ``data_root`` (absolute) so that reports compare like with like.

    Returns:
        Paths written, keyed ``'json'``, ``'markdown'``, ``'csv'``.
    """
    if data_root is not None:
        metrics = {**metrics, DATA_KEY: osp.abspath(data_root)}
    paths = dict(json=osp.join(out_dir, METRICS_FILE),
                 markdown=osp.join(out_dir, 'report.md'),
                 csv=osp.join(out_dir, 'report.csv'))
    write_metrics_json(paths['json'], metrics)
    atomic_write_text(paths['markdown'], run_report_markdown(metrics, name))
    atomic_write_text(paths['csv'], rows_csv(rows_from_metrics(name,
                                                               metrics)))
    return paths


def compare_runs(runs: Mapping[str, Mapping[str, Any]],
                 paper: bool = False,
                 baseline: Optional[str] = None,
                 data: Optional[str] = None) -> tuple[str, str]:
    """Several runs side by side (and the paper's rows if ``paper``).

    Args:
        runs: run name -> its metrics (as in metrics.json).
        paper: add the paper's quoted Table 2 / Table 3 rows.
        baseline: name of a row (a run, ``RUN [PREFIX]`` or a quoted row)
            for Delta_m, computed only over rows on its test data.
        data: test data of every run, overriding the recorded
            ``data_root`` (``PAPER_DATA`` puts NYU runs beside the paper's).

    Returns:
        ``(markdown, csv)`` texts.
    """
    rows: list[ResultRow] = []
    conventions = []
    for name, metrics in runs.items():
        rows += rows_from_metrics(name, metrics, data)
        conventions += [f'{name}, {sentence}'
                        for sentence in depth_conventions(metrics)]
    if paper:
        rows += paper_rows()
    gains = None if baseline is None else gains_over(rows, baseline)
    markdown = comparison_markdown(rows, conventions, baseline,
                                   title='Comparison of runs')
    return markdown, rows_csv(rows, gains)

