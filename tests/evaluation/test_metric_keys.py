"""Metric keys -> rows: main prefixes merge, every other prefix is a row."""
from jointdepthseg.evaluation.metric_keys import (metrics_named,
                                                  rows_from_metrics,
                                                  split_key)


def test_split_key():
    assert split_key('sem/mIoU') == ('sem', 'mIoU')
    assert split_key('a/b/rmse') == ('a/b', 'rmse')
    assert split_key('mIoU') == ('', 'mIoU')


def test_rows_from_metrics_by_prefix():
    metrics = {'depth/rmse': 0.8, 'sem/mIoU': 40.0, 'aAcc': 70.0,
               'unary/mIoU': 38.0, 'unary/per_class_iou': {'wall': 1.0},
               'sem/mAcc': None, 'data_root': '/d/rooms'}
    rows = rows_from_metrics('crf', metrics)
    assert [row.name for row in rows] == ['crf', 'crf [unary]']
    assert rows[0].values == {'rmse': 0.8, 'mIoU': 40.0, 'aAcc': 70.0,
                              'mAcc': None}
    assert rows[1].values == {'mIoU': 38.0}
    assert {row.data for row in rows} == {'/d/rooms'}
    assert rows_from_metrics('x', metrics, data='NYU')[0].data == 'NYU'


def test_metrics_named():
    assert metrics_named({'sem/mIoU': 1, 'unary/mIoU': 2, 'mIoU': 3,
                          'sem/mAcc': 4}, 'mIoU') == {'sem': 1, 'unary': 2,
                                                      '': 3}
