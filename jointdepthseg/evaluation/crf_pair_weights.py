"""What the CRF learned per class pair: depth-only pairs against the rest.

The paper (Sec. 4.3) reads Fig. 4 as "w(2) is large for pairs of classes
where the depth discontinuity helps" (pillow vs couch, bookshelf vs book,
sink vs counter).  :func:`pair_weight_summary` turns that reading into
numbers: the mean learned w(1), w(2) and mu over a given set of class pairs
(both orders) and over all other off-diagonal pairs, next to their initial
values, plus the share of the depth kernel ``w(2) / (w(1) + w(2))``, which
does not depend on how the pair's overall scale is split between mu and the
w (only the products mu * w(m) enter the CRF).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

GROUPS = ('depth-only pairs', 'other pairs')


def pair_masks(num_classes: int, pairs: Sequence[Sequence[int]]
               ) -> dict[str, np.ndarray]:
    """Boolean (C, C) masks: the given pairs in both orders, and every other
    off-diagonal pair."""
    chosen = np.zeros((num_classes, num_classes), dtype=bool)
    for a, b in pairs:
        if not (0 <= a < num_classes and 0 <= b < num_classes) or a == b:
            raise ValueError(f'class pair ({a}, {b}) is not a pair of two '
                             f'classes out of {num_classes}')
        chosen[a, b] = chosen[b, a] = True
    other = ~chosen & ~np.eye(num_classes, dtype=bool)
    return dict(zip(GROUPS, (chosen, other)))


def pair_weight_summary(matrices: Mapping[str, np.ndarray],
                        pairs: Sequence[Sequence[int]],
                        initial: Mapping[str, float]) -> dict:
    """Mean learned weights over the given pairs and over the other pairs.

    Args:
        matrices: ``compatibility``, ``weight_appearance``, ``weight_depth``,
            each (C, C) (see ``visualization/crf_weights.py``).
        pairs: class-id pairs ``(a, b)``, e.g. the depth-only pairs.
        initial: initial ``w1``, ``w2`` and ``mu`` (off-diagonal) values.

    Returns:
        dict: group -> ``{'w1', 'w2', 'mu', 'depth_share'}`` means, plus
        ``'initial'`` with the same keys.
    """
    w1 = np.asarray(matrices['weight_appearance'], dtype=np.float64)
    w2 = np.asarray(matrices['weight_depth'], dtype=np.float64)
    mu = np.asarray(matrices['compatibility'], dtype=np.float64)
    share = w2 / (w1 + w2)
    summary = {}
    for group, mask in pair_masks(len(mu), pairs).items():
        if not mask.any():
            continue
        summary[group] = dict(w1=float(w1[mask].mean()),
                              w2=float(w2[mask].mean()),
                              mu=float(mu[mask].mean()),
                              depth_share=float(share[mask].mean()))
    start = dict(initial)
    start['depth_share'] = start['w2'] / (start['w1'] + start['w2'])
    summary['initial'] = start
    return summary


def pair_weight_table(summary: Mapping) -> str:
    """The summary as a markdown table (one row per group)."""
    lines = ['| pairs | w(1) | w(2) | mu | w(2) / (w(1) + w(2)) |',
             '|---|---|---|---|---|']
    for group in (*GROUPS, 'initial'):
        if group in summary:
            v = summary[group]
            lines.append(f'| {group} | {v["w1"]:.2f} | {v["w2"]:.2f} | '
                         f'{v["mu"]:.2f} | {v["depth_share"]:.2f} |')
    return '\n'.join(lines) + '\n'
