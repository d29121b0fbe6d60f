"""Result rows and the Table 2 / Table 3 layouts (markdown and CSV).

A :class:`ResultRow` is one method: a name, its Table 2 and/or Table 3
values, and, for numbers copied from a paper, the citation. Table 2 is laid
out like the paper's: rows = metrics, one column per method, and a last column
saying whether higher or lower is better. Table 3 is laid out like the paper's
too: rows = methods, columns = Mean IoU, Mean Accuracy, Pixel Accuracy.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

from .multitask_gain import multitask_gain

#: Table 2 rows: (metric key, paper's label, higher is better).
TABLE2_ROWS = (
    ('delta1', 'threshold δ < 1.25', True),
    ('delta2', 'threshold δ < 1.25²', True),
    ('delta3', 'threshold δ < 1.25³', True),
    ('abs_rel', 'abs relative difference', False),
    ('sq_rel', 'sqr relative difference', False),
    ('rmse', 'RMSE (linear)', False),
    ('rmse_log', 'RMSE (log)', False),
    ('rmse_log_si', 'RMSE (log, scale-invariant)', False),
)

#: Table 3 columns: (metric key, paper's label); all higher is better.
TABLE3_COLUMNS = (
    ('mIoU', 'Mean IoU'),
    ('mAcc', 'Mean Accuracy'),
    ('aAcc', 'Pixel Accuracy'),
)

TABLE2_KEYS = tuple(key for key, _, _ in TABLE2_ROWS)
TABLE3_KEYS = tuple(key for key, _ in TABLE3_COLUMNS)

#: Direction of every metric of Tables 2 and 3 (used by Delta_m).
HIGHER_IS_BETTER = {
    **{key: higher for key, _, higher in TABLE2_ROWS},
    **{key: True for key in TABLE3_KEYS},
}

MISSING = '-'
QUOTED_MARK = ' *(quoted)*'


@dataclass
class ResultRow:
    """One method's numbers.

    Attributes:
        name: method name as shown in the tables.
        values: metric key -> value (Table 2 keys: fractions / metres;
            Table 3 keys: percent); None = not available.
        quoted: citation if the numbers are copied from a publication, None
            for results computed by this code.
        extra: free-form columns for CSV (e.g. the paper's input type).
        data: the test data the numbers come from (a DATA_ROOT or a label);
            Delta_m compares only rows with equal ``data``. None = not
            recorded (older metrics.json).
    """

    name: str
    values: dict[str, Optional[float]]
    quoted: Optional[str] = None
    extra: dict[str, str] = field(default_factory=dict)
    data: Optional[str] = None

    def has_any(self, keys: Sequence[str]) -> bool:
        """Whether at least one of ``keys`` has a finite value."""
        return any(_finite(self.values.get(key)) for key in keys)

    @property
    def label(self) -> str:
        """Name for markdown, marked when quoted."""
        return self.name + (QUOTED_MARK if self.quoted else '')


def format_value(value: Optional[float], digits: int) -> str:
    """``value`` with ``digits`` decimals, or ``'-'`` if missing / NaN."""
    return f'{value:.{digits}f}' if _finite(value) else MISSING


def markdown_table(header: Sequence[str], body: Sequence[Sequence[str]],
                   align: Sequence[str]) -> str:
    """GitHub markdown table; ``align`` holds 'l' or 'r' per column."""
    rule = [':---' if side == 'l' else '---:' for side in align]
    lines = [header, rule, *body]
    return '\n'.join('| ' + ' | '.join(cells) + ' |' for cells in lines)


def table2_markdown(rows: Sequence[ResultRow], digits: int = 3) -> str:
    """Table 2: metrics down, methods across, then higher/lower is better."""
    columns = [row for row in rows if row.has_any(TABLE2_KEYS)]
    header = ['Metric', *(row.label for row in columns), 'Better']
    body = [[
        label, *(format_value(row.values.get(key), digits)
                 for row in columns),
        'higher' if higher else 'lower'
    ] for key, label, higher in TABLE2_ROWS]
    return markdown_table(header, body, ['l'] + ['r'] * len(columns) + ['l'])


def table3_markdown(rows: Sequence[ResultRow], digits: int = 1) -> str:
    """Table 3: methods down; Mean IoU, Mean Accuracy, Pixel Accuracy (%)."""
    header = ['Method', *(label + ' (%)' for _, label in TABLE3_COLUMNS)]
    body = [[
        row.label, *(format_value(row.values.get(key), digits)
                     for key in TABLE3_KEYS)
    ] for row in rows if row.has_any(TABLE3_KEYS)]
    return markdown_table(header, body, ['l', 'r', 'r', 'r'])


def gains_over(rows: Sequence[ResultRow], baseline: str
               ) -> dict[str, tuple[float, int]]:
    """Delta_m (percent, metrics used) over the named row of every other row
    on the same test data (equal ``data``); rows on other data are left out.

    Raises:
        KeyError: no row is called ``baseline`` (lists the names).
    """
    by_name = {row.name: row for row in rows}
    if baseline not in by_name:
        raise KeyError(f'baseline {baseline!r} is not one of the rows: '
                       f'{", ".join(by_name)}')
    base = by_name[baseline]
    return {
        row.name: multitask_gain(row.values, base.values, HIGHER_IS_BETTER)
        for row in rows if row.name != baseline and row.data == base.data
    }


def rows_on_other_data(rows: Sequence[ResultRow], baseline: str
                       ) -> list[ResultRow]:
    """The rows whose test data differs from the baseline row's."""
    base = next(row for row in rows if row.name == baseline)
    return [row for row in rows if row.data != base.data]


def gains_markdown(rows: Sequence[ResultRow], baseline: str) -> str:
    """Table of Delta_m over ``baseline`` for every row sharing a metric
    with it."""
    gains = gains_over(rows, baseline)
    body = [[row.label, format_value(gains[row.name][0], 2),
             str(gains[row.name][1])]
            for row in rows if gains.get(row.name, (0, 0))[1] > 0]
    return markdown_table(['Method', 'Δm (%)', 'metrics used'], body,
                          ['l', 'r', 'r'])


def rows_csv(rows: Sequence[ResultRow],
             gains: Optional[Mapping[str, tuple[float, int]]] = None) -> str:
    """One CSV line per method: name, source, data, every metric, [Delta_m].

    Missing values are empty cells (so is Delta_m of a row on other data
    than the baseline); numbers are written in full precision.
    """
    extra_keys = sorted({key for row in rows for key in row.extra})
    header = ['method', 'source', 'data', *extra_keys, *TABLE2_KEYS,
              *TABLE3_KEYS]
    if gains is not None:
        header += ['delta_m_percent', 'delta_m_num_metrics']
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator='\n')
    writer.writerow(header)
    for row in rows:
        line = [row.name, f'quoted: {row.quoted}' if row.quoted else
                'this code', row.data or '',
                *(row.extra.get(key, '') for key in extra_keys)]
        line += [_csv_number(row.values.get(key))
                 for key in TABLE2_KEYS + TABLE3_KEYS]
        if gains is not None:
            gain, count = gains.get(row.name, (math.nan, 0))
            line += [_csv_number(gain), str(count) if count else '']
        writer.writerow(line)
    return buffer.getvalue()


def _csv_number(value: Optional[float]) -> str:
    """repr of a finite float, else the empty string."""
    return repr(float(value)) if _finite(value) else ''


def _finite(value: Optional[float]) -> bool:
    """True for a real, finite number."""
    return value is not None and math.isfinite(value)
