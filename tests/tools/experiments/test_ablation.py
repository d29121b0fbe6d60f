"""Seed ablation: aggregation and ablation.md on summaries with known
numbers (tests/helpers/demo_summaries.py), checked by hand."""
import pytest

from tests.helpers.demo_summaries import CLASSES, fake_summary
from tools.experiments.ablation import ablation_markdown, aggregate


def test_aggregate_rows_and_claims():
    result = aggregate({seed: fake_summary(seed) for seed in (2, 0, 1)})
    assert result['seeds'] == [0, 1, 2]
    assert result['depth_only_classes'] == CLASSES
    rows = {row['label']: row for row in result['rows']}
    assert list(rows) == ['Unary-Sem', 'Unary-Sem (same iterations, no '
                          'depth)', 'Unary-Sem+Depth', 'Sem-CRF',
                          'Sem-CRF [unaries]', 'Sem-CRF+',
                          'Sem-CRF+ [unaries]']
    assert rows['Unary-Sem']['std'] == pytest.approx(0.351188, abs=1e-6)
    assert rows['Sem-CRF+ [unaries]']['mean'] == pytest.approx(45.0)
    assert rows['Sem-CRF+ [unaries]']['std'] == pytest.approx(1.0)

    claims = {entry['key']: entry for entry in result['differences']}
    assert 'measured_depth' not in claims  # no RGB-D run in these seeds
    depth = claims['depth_in_unaries']
    assert (depth['mean'], depth['std']) == (pytest.approx(1.0),
                                             pytest.approx(1.0))
    assert depth['verdict'] == 'no difference'
    assert depth['positive_seeds'] == 2
    kernel = claims['depth_kernel']
    assert kernel['mean'] == pytest.approx(8 / 3)
    assert kernel['verdict'] == 'difference'
    own = claims['crf_over_unaries']  # 52-44, 53-45, 54.5-46
    assert own['per_seed'] == {'0': 8.0, '1': 8.0, '2': 8.5}

    class_claims = {e['key']: e['classes'] for e in
                    result['class_differences']}
    pillow = class_claims['depth_kernel']['pillow']
    assert pillow['per_seed'] == {'0': 10.0, '1': 12.0, '2': 14.0}
    assert (pillow['mean'], pillow['std']) == (12.0, 2.0)
    assert pillow['verdict'] == 'difference'
    assert class_claims['crf_over_unaries']['pillow']['mean'] == 1.0
    assert class_claims['depth_kernel']['books']['n'] == 0  # absent
    bookshelf_row = {r['label']: r['classes'] for r in
                     result['class_rows']}['Sem-CRF+']['bookshelf']
    assert (bookshelf_row['mean'], bookshelf_row['std']) == (41.0, 1.0)


def test_aggregate_refuses_mixed_seeds():
    with pytest.raises(ValueError, match="seed 1 is variant 'rooms'"):
        aggregate({0: fake_summary(0), 1: fake_summary(1, 'rooms')})
    other = fake_summary(1)
    other['depth_only_pairs'] = [['pillow', 'bed']]
    with pytest.raises(ValueError, match='other depth-only pairs'):
        aggregate({0: fake_summary(0), 1: other})
    with pytest.raises(ValueError, match='no seed summaries'):
        aggregate({})
    smoke = fake_summary(1)
    smoke['settings'] = dict(num_train=240, iters_scale=0.02)
    first = dict(fake_summary(0), settings=dict(num_train=240,
                                                iters_scale=1.0))
    with pytest.raises(ValueError, match=r'seed 1 was run with other demo '
                       r'settings than seed 0 \(iters_scale 1.0 vs 0.02\)'):
        aggregate({0: first, 1: smoke})


def test_markdown_shows_verdicts():
    text = ablation_markdown(aggregate({s: fake_summary(s)
                                        for s in (0, 1, 2)}))
    assert '| Unary-Sem | 38.53 ± 0.35 | 38.50, 38.90, 38.20 |' in text
    assert ('| Unary-Sem+Depth − control (no depth) | +1.00 ± 1.00 | '
            '+1.00, +0.00, +2.00 | 2/3 | no difference |') in text
    assert ('| Sem-CRF+ − Sem-CRF | +2.67 ± 0.76 | +2.00, +2.50, +3.50 | '
            '3/3 | difference |') in text
    assert 'ddof=1' in text and '|mean| > std' in text
    assert 'Pairs that only geometry separates: pillow / sofa; books / ' \
        'bookshelf.' in text
    lines = [line for line in text.splitlines()
             if line.startswith('| Sem-CRF+ − Sem-CRF |')]
    # mIoU table, then the per-class table: pillow, sofa, books, bookshelf
    assert lines[1] == ('| Sem-CRF+ − Sem-CRF | +12.00 ± 2.00 | '
                        'no difference (+0.00 ± 0.00) | - ± - (n=0) | '
                        'no difference (+0.00 ± 0.00) |')


def test_markdown_without_depth_only_pairs():
    summaries = {}
    for seed in (0, 1):
        summary = fake_summary(seed, 'rooms')
        summary.update(depth_only_pairs=[], class_iou={},
                       unary_class_iou={})
        summaries[seed] = summary
    text = ablation_markdown(aggregate(summaries))
    assert 'The dataset names no depth-only class pairs.' in text
    assert '(n=' not in text.split('## Paired')[0]
