"""summary.json built from metrics, checked, and held against a spread."""
import math

import pytest

from tests.helpers.demo_summaries import fake_summary
from tools.experiments.ablation import aggregate
from tools.experiments.summary import (build_summary, check_summary,
                                       spread_checks, spread_lines)


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
    assert 'measured_depth' not in checks  # no RGB-D run
    unknown = spread_checks(run, {})
    assert all(check['exceeds'] is None for check in unknown)


def test_spread_lines():
    run = fake_summary(0)
    ablation = {'differences': [{'key': 'depth_kernel', 'std': 1.2}]}
    lines = spread_lines(run, ablation)
    assert 'Sem-CRF+ − Sem-CRF: +2.0 mIoU, exceeds the seed-to-seed spread ' \
        '1.2' in lines
    assert 'Unary-Sem+Depth − control (no depth): +1.0 mIoU' in lines
    assert lines[-1] == ('Sem-CRF+, depth-only classes IoU: pillow 30.0, '
                         'sofa 60.0, books -, bookshelf 40.0')
