"""Seed ablation statistics against hand computations on fake summaries."""
import math

import pytest

from jointdepthseg.evaluation.ablation_report import ablation_markdown
from jointdepthseg.evaluation.ablation_stats import (aggregate,
                                                     build_summary,
                                                     check_summary,
                                                     mean_std, paired_stat,
                                                     spread_checks, verdict)

ROWS = {'stage1_sem': 'Unary-Sem',
        'stage2_sem_control': 'Unary-Sem (same iterations, no depth)',
        'stage2_joint': 'Unary-Sem+Depth', 'stage3_crf_nodepth': 'Sem-CRF',
        'stage3_crf': 'Sem-CRF+'}
PAIRS = [['pillow', 'sofa'], ['books', 'bookshelf']]
CLASSES = ['pillow', 'sofa', 'books', 'bookshelf']

# Per seed 0, 1, 2 (percent).
MIOU = {'stage1_sem': (38.5, 38.9, 38.2),
        'stage2_sem_control': (41.0, 43.0, 42.0),
        'stage2_joint': (42.0, 43.0, 44.0),        # - control: 1, 0, 2
        'stage3_crf_nodepth': (50.0, 50.5, 51.0),
        'stage3_crf': (52.0, 53.0, 54.5)}          # - nodepth: 2, 2.5, 3.5
UNARY = {'stage3_crf_nodepth': (44.0, 44.0, 44.0),
         'stage3_crf': (44.0, 45.0, 46.0)}
# pillow IoU per seed; Sem-CRF+ - Sem-CRF: 10, 12, 14 on pillow.
PILLOW = {'stage3_crf_nodepth': (20.0, 21.0, 22.0),
          'stage3_crf': (30.0, 33.0, 36.0)}


def fake_summary(seed, variant='depth-cue'):
    """The summary.json tools/demo.py would write, with known numbers."""
    def classes(run, unary=False):
        pillow = PILLOW.get(run, (5.0, 5.0, 5.0))[seed]
        return {'pillow': pillow - (1.0 if unary else 0.0), 'sofa': 60.0,
                'books': None, 'bookshelf': 40.0 + seed}
    return dict(
        variant=variant, seed=seed, rows=dict(ROWS),
        miou={run: values[seed] for run, values in MIOU.items()},
        unary_miou={run: values[seed] for run, values in UNARY.items()},
        depth_only_pairs=PAIRS,
        class_iou={run: classes(run) for run in MIOU},
        unary_class_iou={run: classes(run, True) for run in UNARY})


def test_mean_std_is_the_sample_std():
    mean, std = mean_std([38.5, 38.9, 38.2])
    # by hand: mean 115.6 / 3; squared deviations 0.00111, 0.13444, 0.11111
    assert mean == pytest.approx(38.533333, abs=1e-6)
    assert std == pytest.approx(math.sqrt(0.246667 / 2), abs=1e-5)
    assert std == pytest.approx(0.351188, abs=1e-6)
    assert mean_std([3.0])[0] == 3.0 and math.isnan(mean_std([3.0])[1])


def test_verdict_both_sides_of_the_rule():
    assert verdict(1.0, 1.0, 3) == 'no difference'  # |mean| = std
    assert verdict(-1.0001, 1.0, 3) == 'difference'
    assert verdict(0.5, 1.0, 3) == 'no difference'
    assert verdict(5.0, math.nan, 1) == 'undetermined'
    assert verdict(0.0, 0.0, 3) == 'no difference'


def test_paired_stat_by_hand():
    result = paired_stat({0: 52.0, 1: 53.0, 2: 54.5},
                         {0: 50.0, 1: 50.5, 2: 51.0})
    assert result['per_seed'] == {'0': 2.0, '1': 2.5, '2': 3.5}
    assert result['mean'] == pytest.approx(8 / 3)
    # deviations -2/3, -1/6, 5/6: sum of squares 7/6, / 2
    assert result['std'] == pytest.approx(math.sqrt(7 / 12))
    assert result['positive_seeds'] == 3 and result['n'] == 3
    assert result['verdict'] == 'difference'
    # a seed missing on one side is left out of the pairs
    partial = paired_stat({0: 1.0, 1: 2.0, 2: None}, {0: 0.0, 1: 0.0})
    assert partial['n'] == 2 and partial['mean'] == 1.5


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


def metrics(miou, pillow, unary=None):
    values = {'sem/mIoU': miou, 'sem/per_class_iou': {
        'pillow': pillow, 'sofa': 50.0, 'wall': 70.0}}
    if unary is not None:
        values['unary/mIoU'] = unary
        values['unary/per_class_iou'] = {'pillow': pillow - 2, 'sofa': 48.0}
    return values


def test_build_summary_from_metrics():
    rows = {'stage1_sem': 'Unary-Sem', 'stage3_crf': 'Sem-CRF+'}
    summary = build_summary(
        'depth-cue', 3, rows,
        {'stage1_sem': metrics(38.5, math.nan),
         'stage3_crf': metrics(52.0, 30.0, unary=44.0)},
        [('pillow', 'sofa')])
    assert summary == dict(
        variant='depth-cue', seed=3, rows=rows,
        miou={'stage1_sem': 38.5, 'stage3_crf': 52.0},
        unary_miou={'stage3_crf': 44.0},
        depth_only_pairs=[['pillow', 'sofa']],
        class_iou={'stage1_sem': {'pillow': None, 'sofa': 50.0},
                   'stage3_crf': {'pillow': 30.0, 'sofa': 50.0}},
        unary_class_iou={'stage3_crf': {'pillow': 28.0, 'sofa': 48.0}})
    with pytest.raises(ValueError, match='run stage1_sem: metrics lack'):
        build_summary('rooms', 0, rows, {'stage1_sem': {},
                                         'stage3_crf': metrics(1, 1)}, [])
    with pytest.raises(ValueError, match='per_class_iou lacks books'):
        build_summary('rooms', 0, {'stage1_sem': 'A'},
                      {'stage1_sem': metrics(1, 1)}, [('books', 'sofa')])


def test_check_summary_names_the_mismatch():
    check_summary(fake_summary(1), 'depth-cue', 1, 'x.json')
    with pytest.raises(ValueError, match="x.json is for variant 'rooms', "
                       "not 'depth-cue'"):
        check_summary(fake_summary(1, 'rooms'), 'depth-cue', 1, 'x.json')
    with pytest.raises(ValueError, match='x.json is for seed 1, not 2'):
        check_summary(fake_summary(1), 'depth-cue', 2, 'x.json')
    with pytest.raises(ValueError, match='not a demo summary'):
        check_summary([], 'depth-cue', 2, 'x.json')
    older = fake_summary(2)
    del older['depth_only_pairs']
    with pytest.raises(ValueError, match=r'x.json is not a demo summary '
                       r'\(no depth_only_pairs\)'):
        check_summary(older, 'depth-cue', 2, 'x.json')


def test_spread_checks_against_the_ablation():
    ablation = aggregate({s: fake_summary(s) for s in (0, 1, 2)})
    run = fake_summary(0)  # its depth kernel difference: +2.0 (> 0.76)
    run['miou']['stage2_joint'] = 41.5  # - control 41.0: +0.5 (< 1.0)
    checks = {c['key']: c for c in spread_checks(run, ablation)}
    assert checks['depth_kernel']['difference'] == pytest.approx(2.0)
    assert checks['depth_kernel']['exceeds'] is True
    assert checks['depth_in_unaries']['exceeds'] is False
    assert checks['depth_in_unaries']['spread'] == pytest.approx(1.0)
    unknown = spread_checks(run, {})
    assert all(check['exceeds'] is None for check in unknown)
