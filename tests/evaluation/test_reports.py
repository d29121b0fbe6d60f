"""Report files written by reports.py, parsed back."""
import csv
import json
import math

import pytest

from jointdepthseg.evaluation.multitask_gain import multitask_gain
from jointdepthseg.evaluation.paper_results import (TABLE2_QUOTED,
                                                    TABLE3_QUOTED)
from jointdepthseg.evaluation.metrics_file import read_metrics_json
from jointdepthseg.evaluation.reports import compare_runs, write_run_report
from tests.helpers.markdown import markdown_tables

DEPTH = dict(delta1=0.5712, delta2=0.8561, delta3=0.9573, abs_rel=0.2003,
             sq_rel=0.3011, rmse=0.8164, rmse_log=0.3141, rmse_log_si=0.0612)


def run_metrics(miou=39.21, unary_miou=36.52):
    """An evaluator output as tools/test.py receives it."""
    metrics = {f'depth/{key}': value for key, value in DEPTH.items()}
    metrics['depth/conventions'] = dict(
        average='image', eigen_crop=False, min_depth_m=0.001,
        max_depth_m=10.0, num_images=654, num_images_without_valid_depth=0,
        num_pixels=123456)
    metrics.update({'sem/mIoU': miou, 'sem/mAcc': 52.31, 'sem/aAcc': 68.62,
                    'sem/per_class_iou': {'wall': 70.123, 'sofa': math.nan},
                    'sem/per_class_acc': {'wall': 80.0, 'sofa': math.nan},
                    'unary/mIoU': unary_miou, 'unary/mAcc': 49.2,
                    'unary/aAcc': 66.6,
                    'unary/per_class_iou': {'wall': 65.5, 'sofa': 1.25},
                    'unary/per_class_acc': {'wall': 75.0, 'sofa': 2.0}})
    return metrics


def test_run_report_files_parse_back(tmp_path):
    paths = write_run_report(str(tmp_path / 'out'), run_metrics(), 'crf')
    metrics = read_metrics_json(paths['json'])
    assert metrics['sem/mIoU'] == 39.21
    assert metrics['sem/per_class_iou']['sofa'] is None  # NaN -> null
    assert metrics['depth/conventions']['num_images'] == 654
    json.loads((tmp_path / 'out' / 'metrics.json').read_text())  # strict

    tables = markdown_tables(open(paths['markdown']).read())
    table2 = tables['Table 2: depth estimation']
    assert table2[0] == ['Metric', 'crf', 'Better']
    rows = {row[0]: row[1:] for row in table2[1:]}
    assert rows['threshold δ < 1.25'] == ['0.571', 'higher']
    assert rows['RMSE (log, scale-invariant)'] == ['0.061', 'lower']
    assert len(rows) == 8
    table3 = tables['Table 3: semantic segmentation']
    assert table3[0] == ['Method', 'Mean IoU (%)', 'Mean Accuracy (%)',
                         'Pixel Accuracy (%)']
    assert table3[1] == ['crf', '39.2', '52.3', '68.6']
    assert table3[2] == ['crf [unary]', '36.5', '49.2', '66.6']
    per_class = tables['Per-class IoU']
    assert per_class[1] == ['wall', '70.12', '65.50']
    assert per_class[2] == ['sofa', '-', '1.25']
    text = open(paths['markdown']).read()
    assert 'averaged per image over 654 images' in text

    with open(paths['csv'], newline='') as file:
        lines = list(csv.DictReader(file))
    assert [line['method'] for line in lines] == ['crf', 'crf [unary]']
    assert float(lines[0]['rmse']) == DEPTH['rmse']
    assert lines[1]['rmse'] == '' and float(lines[1]['mIoU']) == 36.52


def test_comparison_with_paper_and_gain():
    runs = {'Unary-Sem': {'sem/mIoU': 36.0, 'sem/mAcc': 49.0,
                          'sem/aAcc': 66.0},
            'Joint': run_metrics(miou=37.0)}
    markdown, csv_text = compare_runs(runs, paper=True, baseline='Unary-Sem')
    tables = markdown_tables(markdown)
    table2 = tables['Table 2: depth estimation']
    assert table2[0] == ['Metric', 'Joint', 'Eigen et al. [7] *(quoted)*',
                         'Liu et al. [15] *(quoted)*',
                         'Ours (Mousavian et al.) *(quoted)*', 'Better']
    assert table2[5][0] == 'sqr relative difference'
    assert table2[5][1:5] == ['0.301', '0.121', '-', '0.301']
    table3 = {row[0]: row[1:] for row in tables[
        'Table 3: semantic segmentation'][1:]}
    assert table3['Ours-Sem-CRF+ *(quoted)*'] == ['39.2', '52.3', '68.6']
    assert table3['Deng et al. [6] *(quoted)*'][0] == '-'
    assert len(table3) == 3 + len(TABLE3_QUOTED)

    gains = {row[0]: row[1:] for row in tables[
        'Multi-task gain Δm over Unary-Sem'][1:]}
    # Joint vs baseline over mIoU, mAcc, aAcc (the baseline has no depth).
    expected = 100 / 3 * ((37.0 - 36.0) / 36.0 + (52.31 - 49.0) / 49.0 +
                          (68.62 - 66.0) / 66.0)
    assert float(gains['Joint'][0]) == pytest.approx(expected, abs=0.005)
    assert gains['Joint'][1] == '3'
    assert 'Eigen et al. [7] *(quoted)*' not in gains  # no shared metric
    # the quoted rows are on NYUDepth v2, not on the runs' data
    assert 'Deng et al. [6] *(quoted)*' not in gains
    assert "No Δm for the paper's quoted rows" in markdown
    assert 'Maninis' in markdown and 'not computed here' in markdown

    lines = {line['method']: line for line in csv.DictReader(
        csv_text.splitlines())}
    assert float(lines['Joint']['delta_m_percent']) == pytest.approx(expected)
    assert lines['Unary-Sem']['delta_m_percent'] == ''
    assert lines['FCN [17]']['source'].startswith('quoted: Mousavian')
    assert lines['FCN [17]']['input'] == 'RGB'
    assert float(lines['Liu et al. [15]']['delta1']) == \
        TABLE2_QUOTED[1]['values']['delta1']


def test_unknown_baseline():
    with pytest.raises(KeyError, match='Nope'):
        compare_runs({'a': {'sem/mIoU': 1.0}}, baseline='Nope')


def test_depth_conventions_stated_once_for_all_runs():
    """Three runs on one test set: the definitions and the settings appear
    once each under Table 2, not once per run."""
    runs = {name: run_metrics() for name in ('A', 'B', 'C')}
    markdown, _ = compare_runs(runs)
    notes = [line for line in markdown.splitlines() if line.startswith('- ')]
    assert sum('rmse_log_si = sqrt' in line for line in notes) == 1
    settings = [line for line in notes if 'averaged per image' in line]
    assert settings == ['- Every row computed here: averaged per image over '
                        '654 images (123456 valid pixels; 0 images without '
                        'valid depth left out), 0.001 m < d* < 10.0 m, no '
                        'crop.']


def test_depth_conventions_name_the_runs_only_where_they_differ():
    cropped = run_metrics()
    cropped['depth/conventions'] = dict(cropped['depth/conventions'],
                                        eigen_crop=True, average='pixel')
    markdown, _ = compare_runs({'A': run_metrics(), 'B': run_metrics(),
                                'C': cropped})
    notes = [line for line in markdown.splitlines() if line.startswith('- ')]
    assert '- A, B: averaged per image over 654 images' in '\n'.join(notes)
    assert ('- C: pooled over all pixels over 654 images (123456 valid '
            'pixels; 0 images without valid depth left out), 0.001 m < d* < '
            '10.0 m, inside the Eigen crop [45:471, 41:601].') in notes


def test_multitask_gain_signs():
    higher = dict(mIoU=True, rmse=False)
    gain, count = multitask_gain(dict(mIoU=44.0, rmse=0.9),
                                 dict(mIoU=40.0, rmse=1.0), higher)
    assert count == 2
    assert gain == pytest.approx(100 * (0.1 + 0.1) / 2)
    gain, count = multitask_gain(dict(mIoU=None, rmse=math.nan),
                                 dict(mIoU=40.0, rmse=1.0), higher)
    assert count == 0 and math.isnan(gain)
